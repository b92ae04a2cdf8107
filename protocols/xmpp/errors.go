package xmpp

import (
	"errors"
	"fmt"

	"github.com/padlock-phone/padlock/internal/fingerprint"
)

// ErrUsernameTaken is returned by Register when the server already has an
// account of that name (XEP-0077 <conflict/>).
var ErrUsernameTaken = errors.New("this username is already taken, choose another")

// ErrRegistrationClosed is returned by Register when the server does not let
// new accounts be created in-band.
var ErrRegistrationClosed = errors.New("this server does not allow creating accounts from the phone; create the account on the server, then add it here")

// ErrNotConnected is returned by Client methods while the connection is down
// (it is being re-established).
var ErrNotConnected = errors.New("not connected to the XMPP server, try again once it is back")

// ErrClosed is returned by Client methods after Close.
var ErrClosed = errors.New("xmpp client closed")

// AuthError means the server refused the account's credentials.
type AuthError struct {
	JID string
	// Condition is the SASL failure condition the server gave, such as
	// "not-authorized".
	Condition string
	Err       error
}

func (e *AuthError) Error() string {
	switch e.Condition {
	case "not-authorized":
		return "wrong password for " + e.JID
	case "":
		return fmt.Sprintf("login as %s failed: %v", e.JID, e.Err)
	}
	return fmt.Sprintf("server refused login for %s: %s", e.JID, e.Condition)
}

func (e *AuthError) Unwrap() error { return e.Err }

// UnreachableError means no XMPP stream could be set up with the server:
// the TCP connection failed or broke during negotiation.
type UnreachableError struct {
	Addr string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("server %s unreachable: %v", e.Addr, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// CertificateError means the server's TLS certificate did not verify and
// did not match the pinned fingerprint. Fingerprint is the SHA-256 of the
// certificate the server presented, for the user to compare and pin.
type CertificateError struct {
	Addr        string
	Fingerprint [32]byte
	// Pinned is true when a fingerprint was pinned but differs.
	Pinned bool
	Err    error
}

func (e *CertificateError) Error() string {
	fp := fingerprint.Format(e.Fingerprint)
	if e.Pinned {
		return fmt.Sprintf("certificate of %s has changed: it does not match the pinned fingerprint; it now presents SHA-256 %s (%v)", e.Addr, fp, e.Err)
	}
	return fmt.Sprintf("certificate of %s is not trusted (%v); if you trust it, pin its SHA-256 fingerprint %s", e.Addr, e.Err, fp)
}

func (e *CertificateError) Unwrap() error { return e.Err }

// RefusedError is the server answering a request (roster change, password
// change, registration) with an XMPP error: its condition, such as
// "not-acceptable", and its human text if it gave one.
type RefusedError struct {
	Condition string
	Text      string
}

func (e *RefusedError) Error() string {
	msg := "server refused the request: " + e.Condition
	if e.Text != "" {
		msg += " (" + e.Text + ")"
	}
	return msg
}
