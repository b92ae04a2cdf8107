package xmpp_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/internal/fingerprint"
	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
)

func TestLogin(t *testing.T) {
	s := prosody.Start(t, prosody.Options{})
	s.Register(t, "alice", "alicepass")
	pinned := account(s, "alice", "alicepass")
	caPool := account(s, "alice", "alicepass")
	caPool.PinnedFingerprint = [32]byte{}
	caPool.RootCAs = s.CertPool()
	direct := account(s, "alice", "alicepass")
	direct.TLS = xmpp.DirectTLS
	direct.Server = s.DirectTLSAddr
	for _, tc := range []struct {
		name string
		cfg  xmpp.Config
	}{
		{"STARTTLS pinned fingerprint", pinned},
		{"STARTTLS CA pool", caPool},
		{"direct TLS pinned", direct},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, tc.cfg)
			ev := waitFor[xmpp.Connected](t, c, nil)
			if !strings.HasPrefix(ev.JID, "alice@localhost/") {
				t.Fatalf("bound JID %q", ev.JID)
			}
		})
	}
}

func TestLoginErrors(t *testing.T) {
	s := prosody.Start(t, prosody.Options{})
	s.Register(t, "alice", "alicepass")

	wrong := account(s, "alice", "nope")
	_, err := xmpp.Dial(ctxT(t), wrong)
	var ae *xmpp.AuthError
	if !errors.As(err, &ae) || err.Error() != "wrong password for alice@localhost" {
		t.Errorf("wrong password: got %v", err)
	}

	untrusted := account(s, "alice", "alicepass")
	untrusted.PinnedFingerprint = [32]byte{}
	_, err = xmpp.Dial(ctxT(t), untrusted)
	var ce *xmpp.CertificateError
	if !errors.As(err, &ce) || ce.Fingerprint != s.Fingerprint || ce.Pinned {
		t.Errorf("untrusted certificate: got %v", err)
	} else if !strings.Contains(err.Error(), fingerprint.Format(s.Fingerprint)) {
		t.Errorf("error does not show the fingerprint: %v", err)
	}

	directUntrusted := untrusted
	directUntrusted.TLS, directUntrusted.Server = xmpp.DirectTLS, s.DirectTLSAddr
	_, err = xmpp.Dial(ctxT(t), directUntrusted)
	if !errors.As(err, &ce) || ce.Fingerprint != s.Fingerprint {
		t.Errorf("untrusted certificate over direct TLS: got %v", err)
	}

	badPin := account(s, "alice", "alicepass")
	badPin.PinnedFingerprint[0] ^= 1
	_, err = xmpp.Dial(ctxT(t), badPin)
	if !errors.As(err, &ce) || ce.Fingerprint != s.Fingerprint || !ce.Pinned {
		t.Errorf("changed certificate: got %v", err)
	}

	closed := account(s, "alice", "alicepass")
	closed.Server = "127.0.0.1:1"
	_, err = xmpp.Dial(ctxT(t), closed)
	var ue *xmpp.UnreachableError
	if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "server 127.0.0.1:1 unreachable: ") {
		t.Errorf("unreachable: got %v", err)
	}
}
