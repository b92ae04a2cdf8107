package xmpp

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"sync"

	"mellium.im/sasl"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
)

// attempt holds what one connection attempt learned, for error reporting.
type attempt struct {
	mu      sync.Mutex
	certErr *CertificateError
	authErr *AuthError
}

func (at *attempt) setCertErr(e *CertificateError) {
	at.mu.Lock()
	at.certErr = e
	at.mu.Unlock()
}

// tlsConfig verifies the server certificate itself (InsecureSkipVerify only
// turns off the library's check so that VerifyConnection can also accept a
// pinned self-signed certificate): a certificate that verifies against the
// roots is accepted, one that does not is accepted only if its SHA-256
// equals the pinned fingerprint. Otherwise the handshake fails and the
// presented fingerprint is recorded so the user can pin it.
func (a *account) tlsConfig(at *attempt) *tls.Config {
	return &tls.Config{
		ServerName:         a.domain,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("server sent no certificate")
			}
			leaf := cs.PeerCertificates[0]
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, verr := leaf.Verify(x509.VerifyOptions{
				DNSName:       a.domain,
				Roots:         a.cfg.RootCAs,
				Intermediates: inter,
			})
			if verr == nil {
				return nil
			}
			fp := sha256.Sum256(leaf.Raw)
			if a.pinned && fp == a.cfg.PinnedFingerprint {
				return nil
			}
			e := &CertificateError{Addr: a.addr, Fingerprint: fp, Pinned: a.pinned, Err: verr}
			at.setCertErr(e)
			return e
		},
	}
}

// mechanisms are tried in this order. SCRAM is preferred; PLAIN is a last
// resort and, like every SASL mechanism here, is only offered once the
// stream is encrypted (the SASL feature requires the Secure state).
var mechanisms = []sasl.Mechanism{sasl.ScramSha256Plus, sasl.ScramSha1Plus, sasl.ScramSha256, sasl.ScramSha1, sasl.Plain}

// loginFeatures are the stream features of a normal session: STARTTLS
// (unless already on TLS), SASL with the account's password, resource binding.
func (a *account) loginFeatures(at *attempt, password []byte) []xmpp.StreamFeature {
	auth := xmpp.SASL("", string(password), mechanisms...)
	negotiate := auth.Negotiate
	auth.Negotiate = func(ctx context.Context, s *xmpp.Session, data interface{}) (xmpp.SessionState, io.ReadWriter, error) {
		mask, rw, err := negotiate(ctx, s, data)
		if err != nil && !isNetErr(err) {
			e := &AuthError{JID: a.jid.Bare().String(), Condition: saslCondition(err), Err: err}
			at.mu.Lock()
			at.authErr = e
			at.mu.Unlock()
			return mask, rw, e
		}
		return mask, rw, err
	}
	return []xmpp.StreamFeature{xmpp.StartTLS(a.tlsConfig(at)), auth, xmpp.BindResource()}
}

// open dials the server and negotiates a session with the given features.
// The returned session is Ready; the caller must check its state bits.
func (a *account) open(ctx context.Context, at *attempt, features []xmpp.StreamFeature) (*xmpp.Session, error) {
	ctx, cancel := withTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", a.addr)
	if err != nil {
		return nil, &UnreachableError{Addr: a.addr, Err: err}
	}
	// Cut the connection if negotiation outlives ctx. (mellium's own
	// deadline handling sets and at once clears a past deadline, which can
	// leave a blocked read waiting forever on a silent server.)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var state xmpp.SessionState
	if a.cfg.TLS == DirectTLS {
		tc := tls.Client(conn, a.tlsConfig(at))
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, a.classify(at, err)
		}
		conn, state = tc, xmpp.Secure
	}
	origin := a.jid
	sess, err := xmpp.NewSession(ctx, origin.Domain(), origin, conn, state, xmpp.NewNegotiator(func(*xmpp.Session, *xmpp.StreamConfig) xmpp.StreamConfig {
		sc := xmpp.StreamConfig{Features: features}
		if a.cfg.PacketLog != nil {
			sc.TeeIn = newSplitter(a.logUnit(In))
			sc.TeeOut = newSplitter(a.logUnit(Out))
		}
		return sc
	}))
	if err == nil && !stop() {
		err = ctx.Err() // negotiation finished just as the deadline cut it
	}
	if err != nil {
		conn.Close()
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return nil, a.classify(at, err)
	}
	return sess, nil
}

// logUnit passes one split unit of the stream to the packet log, redacting
// elements (stream headers and ends hold nothing secret).
func (a *account) logUnit(dir Direction) func(unit []byte, element bool) {
	return func(unit []byte, element bool) {
		if element {
			unit = Redact(unit)
		}
		a.cfg.PacketLog(dir, unit)
	}
}

// classify turns a failed attempt into the error the user should see.
func (a *account) classify(at *attempt, err error) error {
	at.mu.Lock()
	defer at.mu.Unlock()
	switch {
	case at.certErr != nil:
		return at.certErr
	case at.authErr != nil:
		return at.authErr
	}
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae
	}
	if isNetErr(err) {
		return &UnreachableError{Addr: a.addr, Err: err}
	}
	return fmt.Errorf("could not set up an XMPP session with %s: %w", a.addr, err)
}

// isNetErr reports whether err is the connection failing rather than the
// server saying no.
func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, context.DeadlineExceeded)
}

// saslCondition digs the RFC 6120 failure condition ("not-authorized") out of
// the library's SASL error, whose type is internal to it.
func saslCondition(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		v := reflect.ValueOf(e)
		if v.Kind() != reflect.Struct {
			continue
		}
		f := v.FieldByName("Condition")
		if !f.IsValid() || !f.CanInterface() {
			continue
		}
		if s, ok := f.Interface().(fmt.Stringer); ok {
			return s.String()
		}
	}
	return ""
}

// bareString is the bare form of a JID string, or the input if it does not
// parse.
func bareString(s string) string {
	j, err := jid.Parse(s)
	if err != nil {
		return s
	}
	return j.Bare().String()
}
