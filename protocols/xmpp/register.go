package xmpp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/stanza"
)

const nsRegisterFeature = "http://jabber.org/features/iq-register"

func randomID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// registerPayload is <query xmlns='jabber:iq:register'> with a username and
// password.
func registerPayload(user string, password []byte) xml.TokenReader {
	return xmlstream.Wrap(
		xmlstream.MultiReader(textElement("username", user), textElement("password", string(password))),
		xml.StartElement{Name: xml.Name{Space: nsRegister, Local: "query"}},
	)
}

// registration records the outcome of the in-band registration feature.
type registration struct {
	offered bool  // the server listed the feature
	done    bool  // the request was answered
	err     error // nil: account created
}

// registerFeature creates the account during stream negotiation (XEP-0077
// §3.1 on a fresh, encrypted, unauthenticated stream) and then ends
// negotiation: the registration session is closed right after.
func (a *account) registerFeature(reg *registration) xmpp.StreamFeature {
	return xmpp.StreamFeature{
		Name:       xml.Name{Space: nsRegisterFeature, Local: "register"},
		Necessary:  xmpp.Secure,
		Prohibited: xmpp.Authn,
		List: func(ctx context.Context, e xmlstream.TokenWriter, start xml.StartElement) (bool, error) {
			return false, errors.New("xmpp: registration feature is client-only")
		},
		// Registration is what this stream is for: report it required, or
		// the library calls a stream whose STARTTLS was optional ready
		// right after TLS and never reads the features offered over TLS,
		// where servers list registration.
		Parse: func(ctx context.Context, d *xml.Decoder, start *xml.StartElement) (bool, interface{}, error) {
			reg.offered = true
			return true, nil, d.Skip()
		},
		Negotiate: func(ctx context.Context, s *xmpp.Session, _ interface{}) (xmpp.SessionState, io.ReadWriter, error) {
			w := s.TokenWriter()
			defer w.Close()
			iq := stanza.IQ{ID: randomID(), Type: stanza.SetIQ, To: a.jid.Domain()}
			if _, err := xmlstream.Copy(w, iq.Wrap(registerPayload(a.jid.Localpart(), a.cfg.Password))); err != nil {
				return 0, nil, err
			}
			if err := w.Flush(); err != nil {
				return 0, nil, err
			}
			r := s.TokenReader()
			defer r.Close()
			d := xml.NewTokenDecoder(r)
			for {
				tok, err := d.Token()
				if err != nil {
					return 0, nil, err
				}
				start, ok := tok.(xml.StartElement)
				if !ok {
					continue // whitespace
				}
				var reply iqReply
				if err := d.DecodeElement(&reply, &start); err != nil {
					return 0, nil, err
				}
				reg.done = true
				reg.err = registrationResult(&reply)
				// Nothing more to negotiate on this stream.
				return xmpp.Ready, nil, nil
			}
		},
	}
}

// registrationResult maps an XEP-0077 answer to this package's errors.
func registrationResult(r *iqReply) error {
	err := replyErr(r)
	var re *RefusedError
	if !errors.As(err, &re) {
		return err
	}
	switch re.Condition {
	case "conflict":
		return ErrUsernameTaken
	case "not-allowed", "forbidden", "feature-not-implemented", "service-unavailable", "registration-required":
		return fmt.Errorf("%w (server said %s)", ErrRegistrationClosed, describe(re))
	case "not-acceptable", "bad-request":
		return fmt.Errorf("the server did not accept this username or password (%s): choose another", describe(re))
	case "resource-constraint", "policy-violation":
		return fmt.Errorf("the server refuses new accounts from this address for now (%s): try again later", describe(re))
	}
	return err
}

// describe is a refusal's condition with the server's text, if any.
func describe(re *RefusedError) string {
	if re.Text == "" {
		return re.Condition
	}
	return fmt.Sprintf("%s: %q", re.Condition, re.Text)
}

// Register creates the account cfg.JID with cfg.Password on its server by
// in-band registration (XEP-0077), over the same encrypted, certificate
// checked connection Dial would use. It returns ErrUsernameTaken when the
// name is in use, ErrRegistrationClosed when the server does not allow it,
// and otherwise says what went wrong (the server's refusal with its text,
// the certificate, no encryption offered, the server unreachable); every
// failure is logged. It does not log in; Dial afterwards.
func Register(ctx context.Context, cfg Config) error {
	a, err := newAccount(cfg)
	if err != nil {
		return err
	}
	err = a.register(ctx)
	if err != nil {
		a.log.Warn("xmpp in-band registration failed", "err", err)
	} else {
		a.log.Info("xmpp account created in-band")
	}
	return err
}

func (a *account) register(ctx context.Context) error {
	at := &attempt{}
	reg := &registration{}
	sess, err := a.open(ctx, at, []xmpp.StreamFeature{xmpp.StartTLS(a.tlsConfig(at)), a.registerFeature(reg)})
	secure := at.verified()
	if sess != nil {
		secure = sess.State()&xmpp.Secure != 0
		sess.Close()
		sess.Conn().Close()
	}
	if reg.done {
		return reg.err
	}
	var ce *CertificateError
	var ue *UnreachableError
	switch {
	case errors.As(err, &ce) || errors.As(err, &ue):
		return err
	case !secure:
		if err != nil {
			return fmt.Errorf("server %s did not set up an encrypted connection (no STARTTLS, or TLS failed): %w", a.addr, err)
		}
		return fmt.Errorf("server %s did not offer an encrypted connection; the phone does not send passwords in the clear", a.addr)
	case err == nil || strings.Contains(err.Error(), "out of order"):
		// Encrypted, but registration was not among the features offered
		// over TLS (the library calls a list without any feature it knows
		// "out of order").
		return fmt.Errorf("%w (it did not offer registration over TLS)", ErrRegistrationClosed)
	}
	return fmt.Errorf("could not create the account on %s: %w", a.addr, err)
}

// ChangePassword changes the account's password in-band (XEP-0077 §3.3)
// and returns nil only once the server has confirmed it. Reconnections then
// use the new password.
func (c *Client) ChangePassword(ctx context.Context, newPassword []byte) error {
	if len(newPassword) == 0 {
		return errors.New("the new password is empty")
	}
	s, err := c.session()
	if err != nil {
		return err
	}
	iq := stanza.IQ{Type: stanza.SetIQ}
	r, err := c.acct.sendIQ(ctx, s, iq, registerPayload(c.acct.jid.Localpart(), newPassword))
	if err != nil {
		return fmt.Errorf("change password for %s: no answer from the server: %w", c.acct.jid.Bare(), err)
	}
	if err := replyErr(r); err != nil {
		return fmt.Errorf("change password for %s: %w", c.acct.jid.Bare(), err)
	}
	c.mu.Lock()
	clear(c.password)
	c.password = append([]byte(nil), newPassword...)
	c.mu.Unlock()
	c.acct.log.Info("xmpp password changed in-band")
	return nil
}
