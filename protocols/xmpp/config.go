// Package xmpp is Padlock's XMPP driver: one Client per enabled account,
// each keeping a TLS-protected, SCRAM-authenticated session up (reconnecting
// with backoff), and turning roster, presence, subscriptions and chat into
// events and method calls. It also creates accounts and changes passwords
// in-band (XEP-0077), and logs stanzas with their secrets redacted.
package xmpp

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"mellium.im/xmpp/jid"
)

// TLSMode says how the connection is encrypted. There is no plaintext mode:
// passwords never cross the network unencrypted.
type TLSMode int

const (
	// StartTLS connects in the clear and upgrades with STARTTLS before
	// anything else is sent; a server that does not offer it is refused.
	StartTLS TLSMode = iota
	// DirectTLS speaks TLS from the first byte (XEP-0368, usually port 5223).
	DirectTLS
)

func (m TLSMode) String() string {
	if m == DirectTLS {
		return "direct TLS"
	}
	return "STARTTLS"
}

// Backoff sets the delays between reconnection attempts: Initial, doubling
// on every failure up to Max. The zero value means 1 s to 60 s.
type Backoff struct {
	Initial, Max time.Duration
}

func (b Backoff) normalized() Backoff {
	if b.Initial <= 0 {
		b.Initial = time.Second
	}
	if b.Max <= 0 {
		b.Max = 60 * time.Second
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	return b
}

// Config is one account's connection settings.
type Config struct {
	// JID is the account, "user@domain" (a resource, if given, is requested
	// when binding).
	JID string
	// Password is copied by Dial and Register; the caller may wipe its own.
	Password []byte
	// Server overrides where to connect, as host:port. Empty means the JID's
	// domain on port 5222 (5223 for DirectTLS).
	Server string
	TLS    TLSMode
	// PinnedFingerprint is the SHA-256 of a server certificate to accept even
	// though it does not verify (self-signed). The zero value pins nothing.
	PinnedFingerprint [32]byte
	// RootCAs verifies the server certificate; nil means the system roots.
	RootCAs *x509.CertPool
	// Logger gets connection life-cycle messages; nil discards them.
	Logger *slog.Logger
	// PacketLog, if set, gets every stanza in and out, redacted (see Redact).
	PacketLog PacketLogger
	// Backoff between reconnection attempts.
	Backoff Backoff
	// Timeout bounds waiting for the server: setting up a session (TCP, TLS,
	// login) and each answer to a request. 0 means 30 s.
	Timeout time.Duration
	// PingInterval is how often the session is checked with an XMPP ping
	// (XEP-0199), so that a silently dead connection is noticed and
	// re-established. 0 means 60 s.
	PingInterval time.Duration
	// Caps goes into our presence (XEP-0115), so other clients know this
	// device takes calls; zero: none.
	Caps Caps
}

// account is a validated Config.
type account struct {
	cfg    Config
	jid    jid.JID // as configured (bare, or with a requested resource)
	domain string
	addr   string // host:port to dial
	pinned bool
	log    *slog.Logger
}

func newAccount(cfg Config) (*account, error) {
	if cfg.JID == "" {
		return nil, errors.New("no XMPP address (JID) given")
	}
	j, err := jid.Parse(cfg.JID)
	if err != nil {
		return nil, fmt.Errorf("%q is not a valid XMPP address: %w", cfg.JID, err)
	}
	if j.Localpart() == "" {
		return nil, fmt.Errorf("%q has no user name: write it as user@%s", cfg.JID, j.Domainpart())
	}
	if len(cfg.Password) == 0 {
		return nil, fmt.Errorf("no password given for %s", j.Bare())
	}
	a := &account{cfg: cfg, jid: j, domain: j.Domainpart(), log: cfg.Logger}
	a.cfg.Password = append([]byte(nil), cfg.Password...)
	a.cfg.Backoff = cfg.Backoff.normalized()
	if a.cfg.Timeout <= 0 {
		a.cfg.Timeout = 30 * time.Second
	}
	if a.cfg.PingInterval <= 0 {
		a.cfg.PingInterval = 60 * time.Second
	}
	a.pinned = cfg.PinnedFingerprint != [32]byte{}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.log = a.log.With("jid", j.Bare().String())
	switch {
	case cfg.Server != "":
		if _, _, err := net.SplitHostPort(cfg.Server); err != nil {
			return nil, fmt.Errorf("server %q: write it as host:port (%v)", cfg.Server, err)
		}
		a.addr = cfg.Server
	case cfg.TLS == DirectTLS:
		a.addr = net.JoinHostPort(a.domain, strconv.Itoa(5223))
	default:
		a.addr = net.JoinHostPort(a.domain, strconv.Itoa(5222))
	}
	return a, nil
}
