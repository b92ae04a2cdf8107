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

// AuthError means the server refused the login.
type AuthError struct {
	JID string
	// Condition is the SASL failure condition the server gave, such as
	// "not-authorized", and Text its explanation, if any.
	Condition, Text string
	// Binding is the channel binding the refused login used
	// ("tls-exporter", "tls-unique", or "" for none).
	Binding string
	Err     error
}

// BindingRejected reports whether the server refused the login's channel
// binding rather than the password: the connection may be intercepted, or
// the server computes the binding differently.
func (e *AuthError) BindingRejected() bool {
	return e.Binding != "" && looksLikeBinding(e.Text)
}

// WrongPassword reports whether the server said the password is wrong:
// trying again cannot help until the person enters another.
func (e *AuthError) WrongPassword() bool {
	return e.Condition == "not-authorized" && !e.BindingRejected()
}

func (e *AuthError) Error() string {
	switch {
	case e.BindingRejected():
		return fmt.Sprintf("the server refused the %s channel binding of the login as %s (%q): either the connection is intercepted or the server cannot check this binding; the password was not the problem", e.Binding, e.JID, e.Text)
	case e.Condition == "not-authorized":
		return "wrong password for " + e.JID
	case e.Condition == "":
		return fmt.Sprintf("login as %s failed: %v", e.JID, e.Err)
	case e.Text != "":
		return fmt.Sprintf("server refused login for %s: %s (%q)", e.JID, e.Condition, e.Text)
	}
	return fmt.Sprintf("server refused login for %s: %s", e.JID, e.Condition)
}

func (e *AuthError) Unwrap() error { return e.Err }

// Final reports whether err is a login failure that retrying cannot fix
// until the person acts: a wrong password or an untrusted certificate.
// Everything else (an unreachable server, a temporary or unexplained
// refusal, a refused channel binding) is retried with backoff.
func Final(err error) bool {
	var ae *AuthError
	var ce *CertificateError
	return errors.As(err, &ce) || errors.As(err, &ae) && ae.WrongPassword()
}

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
