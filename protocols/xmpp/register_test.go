package xmpp_test

import (
	"errors"
	"testing"

	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
)

func TestRegisterAndChangePassword(t *testing.T) {
	s := prosody.Start(t, prosody.Options{})
	carol := account(s, "carol", "carolpass")
	if err := xmpp.Register(ctxT(t), carol); err != nil {
		t.Fatalf("Register: %v", err)
	}
	err := xmpp.Register(ctxT(t), account(s, "carol", "other"))
	if !errors.Is(err, xmpp.ErrUsernameTaken) || err.Error() != "this username is already taken, choose another" {
		t.Fatalf("second Register: got %v, want ErrUsernameTaken", err)
	}

	c := dial(t, carol)
	waitFor[xmpp.Connected](t, c, nil)
	if err := c.ChangePassword(ctxT(t), []byte("carolpass2")); err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	// A reconnection logs in with the new password.
	s.Kill()
	waitFor[xmpp.Disconnected](t, c, nil)
	s.Restart(t)
	waitFor[xmpp.Connected](t, c, nil)
	c.Close()

	c2 := dial(t, account(s, "carol", "carolpass2"))
	waitFor[xmpp.Connected](t, c2, nil)
	_, err = xmpp.Dial(ctxT(t), carol)
	var ae *xmpp.AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("old password after change: got %v, want AuthError", err)
	}
}

func TestRegisterClosed(t *testing.T) {
	s := prosody.Start(t, prosody.Options{RegistrationClosed: true})
	err := xmpp.Register(ctxT(t), account(s, "dave", "davepass"))
	if !errors.Is(err, xmpp.ErrRegistrationClosed) {
		t.Fatalf("Register on a closed server: got %v, want ErrRegistrationClosed", err)
	}
	// The certificate is checked before anything is sent.
	cfg := account(s, "dave", "davepass")
	cfg.PinnedFingerprint = [32]byte{1}
	var ce *xmpp.CertificateError
	if err := xmpp.Register(ctxT(t), cfg); !errors.As(err, &ce) {
		t.Fatalf("Register with a wrong pin: got %v, want CertificateError", err)
	}
}
