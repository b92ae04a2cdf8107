package xmpp_test

import (
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/tests/peers/ejabberd"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
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
func TestLoginAllServers(t *testing.T) {
	for _, s := range allServers(t) {
		t.Run(s.Name, func(t *testing.T) {
			user := "login" + strings.ReplaceAll(s.Name, "-", "")
			s.Register(t, user, "rightpass")
			c := dial(t, accountOn(s, user, "rightpass"))
			ev := waitFor[xmpp.Connected](t, c, nil)
			if !strings.HasPrefix(ev.JID, s.JID(user)+"/") {
				t.Fatalf("bound JID %q", ev.JID)
			}
			_, err := xmpp.Dial(ctxT(t), accountOn(s, user, "wrongpass"))
			var ae *xmpp.AuthError
			if !errors.As(err, &ae) || err.Error() != "wrong password for "+s.JID(user) {
				t.Fatalf("wrong password: got %v", err)
			}
		})
	}
}
