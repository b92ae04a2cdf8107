package xmpp

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
)

// attempt holds what one connection attempt learned, for error reporting.
type attempt struct {
	// tls12 caps this attempt at TLS 1.2, for the tls-unique channel
	// binding (see login).
	tls12 bool

	mu      sync.Mutex
	certErr *CertificateError
	authErr *AuthError
	// cbTypes are the channel binding types the server listed (XEP-0440),
	// cbListed whether it listed any at all.
	cbTypes  []string
	cbListed bool
	// binding is the channel binding this attempt's SASL exchange used
	// ("" for none).
	binding string
	// tlsOK: a TLS handshake got as far as a certificate that was
	// accepted.
	tlsOK bool
}

func (at *attempt) verified() bool {
	at.mu.Lock()
	defer at.mu.Unlock()
	return at.tlsOK
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
		MaxVersion:         maxTLS(at.tls12),
		CipherSuites:       tls12Suites,
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
			fp := sha256.Sum256(leaf.Raw)
			if verr == nil || a.pinned && fp == a.cfg.PinnedFingerprint {
				at.mu.Lock()
				at.tlsOK = true
				at.mu.Unlock()
				return nil
			}
			e := &CertificateError{Addr: a.addr, Fingerprint: fp, Pinned: a.pinned, Err: verr}
			at.setCertErr(e)
			return e
		},
	}
}

// mechanisms are tried in this order. SCRAM is preferred, with channel
// binding (-PLUS) when the server offers it; PLAIN is a last resort and,
// like every SASL mechanism here, is only offered once the stream is
// encrypted (the SASL feature requires the Secure state).
var mechanisms = []sasl.Mechanism{sasl.ScramSha256Plus, sasl.ScramSha1Plus, sasl.ScramSha256, sasl.ScramSha1, sasl.Plain}

// tls12Suites are the only TLS 1.2 suites offered: forward secret, AEAD.
var tls12Suites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

func maxTLS(tls12 bool) uint16 {
	if tls12 {
		return tls.VersionTLS12
	}
	return 0 // the library's highest, TLS 1.3
}

// Channel binding types (RFC 5929, RFC 9266). The SASL library binds
// tls-exporter on TLS 1.3 and tls-unique on TLS 1.2 (tls-unique is not
// defined for 1.3).
const (
	bindExporter = "tls-exporter"
	bindUnique   = "tls-unique"
)

func bindingFor(tlsVersion uint16) string {
	if tlsVersion >= tls.VersionTLS13 {
		return bindExporter
	}
	return bindUnique
}

const nsSASLCB = "urn:xmpp:sasl-cb:0"

// channelBindingFeature reads the server's list of channel binding types
// (XEP-0440). It is informational: nothing is negotiated.
func channelBindingFeature(at *attempt) xmpp.StreamFeature {
	return xmpp.StreamFeature{
		Name:       xml.Name{Space: nsSASLCB, Local: "sasl-channel-binding"},
		Necessary:  xmpp.Secure,
		Prohibited: xmpp.Authn,
		List: func(context.Context, xmlstream.TokenWriter, xml.StartElement) (bool, error) {
			return false, errors.New("xmpp: channel binding list is client-only")
		},
		Parse: func(ctx context.Context, d *xml.Decoder, start *xml.StartElement) (bool, interface{}, error) {
			types, err := parseChannelBindings(d, start)
			at.mu.Lock()
			at.cbListed, at.cbTypes = true, types
			at.mu.Unlock()
			return false, nil, err
		},
	}
}

// maxChannelBindings bounds what is kept of a hostile server's list.
const maxChannelBindings = 16

// parseChannelBindings decodes <sasl-channel-binding><channel-binding
// type='…'/>…</sasl-channel-binding>.
func parseChannelBindings(d *xml.Decoder, start *xml.StartElement) ([]string, error) {
	var list struct {
		Types []struct {
			Type string `xml:"type,attr"`
		} `xml:"urn:xmpp:sasl-cb:0 channel-binding"`
	}
	if err := d.DecodeElement(&list, start); err != nil {
		return nil, err
	}
	var types []string
	for _, t := range list.Types {
		if len(types) == maxChannelBindings {
			break
		}
		if t.Type != "" && len(t.Type) <= 64 {
			types = append(types, t.Type)
		}
	}
	return types, nil
}

// errWantTLS12 ends an attempt whose server can bind only tls-unique,
// which needs TLS 1.2; login tries again capped at 1.2.
var errWantTLS12 = errors.New("the server can check only the tls-unique channel binding, which needs TLS 1.2")

// chooseMechanisms decides, from what the server offers, whether this
// login binds the TLS channel: it removes the -PLUS mechanisms when the
// server listed binding types (XEP-0440) without the one this TLS version
// allows, and returns the binding the selected mechanism will use.
func chooseMechanisms(offered []string, tlsVersion uint16, listed bool, types []string, tls12 bool) (mechs []string, binding string, err error) {
	want := bindingFor(tlsVersion)
	mechs = offered
	if listed && !slices.Contains(types, want) {
		if want == bindExporter && !tls12 && slices.Contains(types, bindUnique) {
			return nil, "", errWantTLS12
		}
		mechs = slices.DeleteFunc(slices.Clone(offered), func(m string) bool { return strings.HasSuffix(m, "-PLUS") })
	}
	for _, m := range mechanisms {
		if slices.Contains(mechs, m.Name) {
			if strings.HasSuffix(m.Name, "-PLUS") {
				binding = want
			}
			break
		}
	}
	return mechs, binding, nil
}

// loginFeatures are the stream features of a normal session: STARTTLS
// (unless already on TLS), SASL with the account's password, resource binding.
func (a *account) loginFeatures(at *attempt, password []byte) []xmpp.StreamFeature {
	auth := xmpp.SASL("", string(password), mechanisms...)
	negotiate := auth.Negotiate
	auth.Negotiate = func(ctx context.Context, s *xmpp.Session, data interface{}) (xmpp.SessionState, io.ReadWriter, error) {
		offered, _ := data.([]string)
		at.mu.Lock()
		listed, types := at.cbListed, at.cbTypes
		at.mu.Unlock()
		mechs, binding, err := chooseMechanisms(offered, s.ConnectionState().Version, listed, types, at.tls12)
		if err != nil {
			return 0, nil, err
		}
		at.mu.Lock()
		at.binding = binding
		at.mu.Unlock()
		mask, rw, err := negotiate(ctx, s, mechs)
		if err != nil && !isNetErr(err) {
			cond, text := saslFailure(err)
			e := &AuthError{JID: a.jid.Bare().String(), Condition: cond, Text: text, Binding: binding, Err: err}
			at.mu.Lock()
			at.authErr = e
			at.mu.Unlock()
			return mask, rw, e
		}
		return mask, rw, err
	}
	return []xmpp.StreamFeature{xmpp.StartTLS(a.tlsConfig(at)), channelBindingFeature(at), auth, xmpp.BindResource()}
}

// login opens an authenticated session. When the server refuses a login
// bound with tls-exporter (TLS 1.3), it is tried once more over TLS 1.2
// with tls-unique: some servers (ejabberd 23.01) offer -PLUS on TLS 1.3
// but compute tls-exporter differently. The second login is still bound,
// so a man in the middle, who cannot forge either binding, gains nothing
// from causing the first to fail. tls12 starts at TLS 1.2 directly (what
// an earlier login learned); the result says whether TLS 1.2 was used.
func (a *account) login(ctx context.Context, password []byte, tls12 bool) (sess *xmpp.Session, usedTLS12 bool, err error) {
	at := &attempt{tls12: tls12}
	sess, err = a.open(ctx, at, a.loginFeatures(at, password))
	if err == nil || tls12 {
		return sess, tls12, err
	}
	var ae *AuthError
	retry := errors.Is(err, errWantTLS12) || errors.As(err, &ae) && ae.Binding == bindExporter && ae.Condition == "not-authorized"
	if !retry {
		return nil, false, err
	}
	a.log.Warn("xmpp login bound with tls-exporter refused; trying tls-unique over TLS 1.2", "reason", err)
	at = &attempt{tls12: true}
	sess, err = a.open(ctx, at, a.loginFeatures(at, password))
	if err != nil {
		return nil, false, err
	}
	a.log.Info("xmpp server accepts the tls-unique channel binding over TLS 1.2; using it from now on")
	return sess, true, nil
}

// looksLikeBinding tells whether a server's failure text blames the
// channel binding rather than the password ("Invalid channel binding").
func looksLikeBinding(text string) bool {
	t := strings.ToLower(text)
	return strings.Contains(t, "channel binding") || strings.Contains(t, "channel-binding") || strings.Contains(t, "cbind")
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

// saslFailure digs the RFC 6120 failure condition ("not-authorized") and
// the server's text out of the library's SASL error, whose type is
// internal to it.
func saslFailure(err error) (cond, text string) {
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
			cond = s.String()
		}
		if t := v.FieldByName("Text"); t.IsValid() && t.Kind() == reflect.String {
			text = t.String()
			if len(text) > 200 {
				text = text[:200]
			}
		}
		return cond, text
	}
	return "", ""
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
