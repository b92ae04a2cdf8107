package xmpp_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/tests/peers/ejabberd"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
	"github.com/padlock-phone/padlock/tests/peers/slixmpp"
	"github.com/padlock-phone/padlock/tests/peers/xmppserver"
)

// The three server setups people run, shared by this package's tests
// that go over all of them (started on first use, stopped at the end).
var (
	serversOnce sync.Once
	servers     []xmppserver.Info
	stopServers []func()
)

// allServers starts strict prosody, stock prosody and stock ejabberd once.
func allServers(t *testing.T) []xmppserver.Info {
	serversOnce.Do(func() {
		tb := &sharedTB{T: t}
		servers = []xmppserver.Info{
			prosody.Start(tb, prosody.Options{}).Info(),
			prosody.Start(tb, prosody.Options{Stock: true}).Info(),
			ejabberd.Start(tb).Info(),
		}
		stopServers = tb.cleanups
	})
	if len(servers) != 3 {
		t.Fatal("the shared test servers did not start (see the first test's log)")
	}
	return servers
}

// sharedTB lets the servers outlive the first test that asked for them:
// their cleanups run at the end of TestMain.
type sharedTB struct {
	*testing.T
	cleanups []func()
}

func (s *sharedTB) Cleanup(f func()) { s.cleanups = append([]func(){f}, s.cleanups...) }

func (s *sharedTB) TempDir() string {
	d, err := os.MkdirTemp("", "padlock-xmpp-test-")
	if err != nil {
		s.Fatal(err)
	}
	s.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// stopAllServers ends the shared servers (from TestMain).
func stopAllServers() {
	for _, f := range stopServers {
		f()
	}
}

func accountOn(s xmppserver.Info, user, password string) xmpp.Config {
	return xmpp.Config{
		JID:               s.JID(user),
		Password:          []byte(password),
		Server:            s.Addr,
		PinnedFingerprint: s.Fingerprint,
		Backoff:           testBackoff,
	}
}

// TestLoginAllServers logs in over STARTTLS on every setup, with the
// channel binding each supports, and tells a wrong password apart.
// ejabberd 23.01 offers SCRAM-SHA-1-PLUS on TLS 1.3 but refuses
// tls-exporter ("Invalid channel binding"): that is shown as a refused
// binding, and the login goes on bound with tls-unique over TLS 1.2.
// prosody 0.12 offers no -PLUS on TLS 1.3.
func TestLoginAllServers(t *testing.T) {
	for _, s := range allServers(t) {
		t.Run(s.Name, func(t *testing.T) {
			user := "login" + strings.ReplaceAll(s.Name, "-", "")
			s.Register(t, user, "rightpass")
			var logs bytes.Buffer
			cfg := accountOn(s, user, "rightpass")
			cfg.Logger = slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
			c := dial(t, cfg)
			ev := waitFor[xmpp.Connected](t, c, nil)
			if !strings.HasPrefix(ev.JID, s.JID(user)+"/") {
				t.Fatalf("bound JID %q", ev.JID)
			}
			c.Close()
			fellBack := strings.Contains(logs.String(), "accepts the tls-unique channel binding over TLS 1.2")
			once := xmpp.LoginOnce(ctxT(t), accountOn(s, user, "rightpass"))
			var ae *xmpp.AuthError
			switch s.Name {
			case "ejabberd-stock":
				if !fellBack {
					t.Errorf("no fallback to tls-unique logged:\n%s", logs.String())
				}
				if !errors.As(once, &ae) || !ae.BindingRejected() || xmpp.Final(once) ||
					!strings.Contains(once.Error(), "refused the tls-exporter channel binding") || strings.Contains(once.Error(), "wrong password") {
					t.Errorf("tls-exporter login: got %v, want a refused binding, not final", once)
				}
			default:
				if fellBack {
					t.Errorf("fell back to TLS 1.2 on %s:\n%s", s.Name, logs.String())
				}
				if once == nil || !strings.Contains(once.Error(), "without channel binding") {
					t.Errorf("single login on %s: %v (prosody 0.12 has no binding on TLS 1.3)", s.Name, once)
				}
			}
			_, err := xmpp.Dial(ctxT(t), accountOn(s, user, "wrongpass"))
			if !errors.As(err, &ae) || err.Error() != "wrong password for "+s.JID(user) || !xmpp.Final(err) {
				t.Fatalf("wrong password: got %v", err)
			}
		})
	}
}

// syncWriter serialises writes from the client's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// TestRegisterAllServers creates an account in-band on every setup (stock
// prosody offers STARTTLS without requiring it, so registration is only
// listed after TLS), refuses a taken name, and changes the password; an
// independent client (slixmpp) then logs in with the new password and is
// refused the old one.
func TestRegisterAllServers(t *testing.T) {
	for _, s := range allServers(t) {
		t.Run(s.Name, func(t *testing.T) {
			user := "ibr" + strings.ReplaceAll(s.Name, "-", "")
			cfg := accountOn(s, user, "firstpass")
			if err := xmpp.Register(ctxT(t), cfg); err != nil {
				t.Fatalf("Register: %v", err)
			}
			err := xmpp.Register(ctxT(t), accountOn(s, user, "other"))
			if !errors.Is(err, xmpp.ErrUsernameTaken) {
				t.Fatalf("second Register: got %v, want ErrUsernameTaken", err)
			}
			c := dial(t, cfg)
			waitFor[xmpp.Connected](t, c, nil)
			if err := c.ChangePassword(ctxT(t), []byte("secondpass")); err != nil {
				t.Fatalf("ChangePassword: %v", err)
			}
			peer := func(pw string) slixmpp.Config {
				return slixmpp.Config{JID: s.JID(user), Password: pw, Addr: s.Addr, Cert: s.Cert}
			}
			if !slixmpp.CheckLogin(t, peer("secondpass")) {
				t.Error("slixmpp could not log in with the new password")
			}
			if slixmpp.CheckLogin(t, peer("firstpass")) {
				t.Error("slixmpp logged in with the old password")
			}
		})
	}
}
