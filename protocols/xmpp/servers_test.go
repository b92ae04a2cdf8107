package xmpp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
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
func allServers(t testing.TB) []xmppserver.Info {
	serversOnce.Do(func() {
		tb := &sharedTB{TB: t}
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
	testing.TB
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

// TestRoomsAllServers: Padlock and two slixmpp participants in a room on
// each setup: occupants listed, messages seen by all, a password room, a
// direct invitation, leaving.
func TestRoomsAllServers(t *testing.T) {
	for _, s := range allServers(t) {
		t.Run(s.Name, func(t *testing.T) {
			for _, u := range []string{"ralice", "rbob", "rcarol"} {
				s.Register(t, u, u+"-pw")
			}
			peer := func(u string) *slixmpp.Peer {
				return slixmpp.Start(t, slixmpp.Config{JID: s.JID(u), Password: u + "-pw", Addr: s.Addr, Cert: s.Cert})
			}
			bob, carol := peer("rbob"), peer("rcarol")
			room, locked := "club@"+s.MUC, "vault@"+s.MUC
			bob.Do(t, map[string]any{"cmd": "join", "room": room, "nick": "bob", "configure": true})
			bob.Await(t, "joined "+room, func(e slixmpp.Event) bool { return e.Event == "joined" && e.Room == room })
			bob.Do(t, map[string]any{"cmd": "join", "room": locked, "nick": "bob", "configure": true, "password": "sesame"})
			bob.Await(t, "joined "+locked, func(e slixmpp.Event) bool { return e.Event == "joined" && e.Room == locked })
			carol.Do(t, map[string]any{"cmd": "join", "room": room, "nick": "carol"})
			carol.Await(t, "joined", func(e slixmpp.Event) bool { return e.Event == "joined" && e.Room == room })

			c := dial(t, accountOn(s, "ralice", "ralice-pw"))
			waitFor[xmpp.Connected](t, c, nil)
			if err := c.SendRoom(ctxT(t), room, "too early"); err == nil {
				t.Fatal("SendRoom before joining did not fail")
			}
			if err := c.JoinRoom(ctxT(t), room, "alice", ""); err != nil {
				t.Fatalf("JoinRoom: %v", err)
			}
			seen := map[string]bool{}
			for len(seen) < 3 {
				p := waitFor[xmpp.RoomPresence](t, c, func(p xmpp.RoomPresence) bool { return p.Room == room && p.Available })
				seen[p.Nick] = true
				if p.Nick == "alice" != p.Self {
					t.Fatalf("self flag wrong: %+v", p)
				}
			}
			carol.Do(t, map[string]any{"cmd": "groupchat", "room": room, "body": "hello from carol"})
			m := waitFor[xmpp.RoomMessage](t, c, func(m xmpp.RoomMessage) bool { return m.Body == "hello from carol" })
			if m.Nick != "carol" || m.Delayed {
				t.Fatalf("room message %+v", m)
			}
			if err := c.SendRoom(ctxT(t), room, "hello from alice"); err != nil {
				t.Fatal(err)
			}
			for _, p := range []*slixmpp.Peer{bob, carol} {
				p.Await(t, "alice's room message", func(e slixmpp.Event) bool {
					return e.Event == "groupchat" && e.Nick == "alice" && e.Body == "hello from alice"
				})
			}

			err := c.JoinRoom(ctxT(t), locked, "alice", "")
			if err == nil || !strings.Contains(err.Error(), "needs a password") {
				t.Fatalf("join a password room without it: %v", err)
			}
			if err := c.JoinRoom(ctxT(t), locked, "alice", "wrong"); err == nil {
				t.Fatal("joined with a wrong password")
			}
			if err := c.JoinRoom(ctxT(t), locked, "alice", "sesame"); err != nil {
				t.Fatalf("join with the password: %v", err)
			}

			bob.Do(t, map[string]any{"cmd": "invite", "room": room, "to": s.JID("ralice"), "reason": "come in"})
			inv := waitFor[xmpp.Invitation](t, c, nil)
			if inv.Room != room || inv.From != s.JID("rbob") || !inv.Direct || inv.Reason != "come in" {
				t.Fatalf("invitation %+v", inv)
			}

			if err := c.LeaveRoom(ctxT(t), room); err != nil {
				t.Fatal(err)
			}
			bob.Await(t, "alice leaving", func(e slixmpp.Event) bool {
				return e.Event == "muc_presence" && e.Room == room && e.Nick == "alice" && e.Type == "unavailable"
			})
			if err := c.SendRoom(ctxT(t), room, "after leaving"); err == nil {
				t.Fatal("SendRoom after leaving did not fail")
			}
		})
	}
}

// TestBookmarksAllServers saves, lists and removes a room bookmark on each
// setup (XEP-0402 where the server has PEP, XEP-0048 otherwise), and a
// fresh session (as after a restart) sees it.
func TestBookmarksAllServers(t *testing.T) {
	// ejabberd 23.01 refuses XEP-0402's publish options ("Unknown field
	// 'pubsub#max_items'"), so its rooms go to private storage.
	want := map[string]string{"prosody-strict": "XEP-0048", "prosody-stock": "XEP-0402", "ejabberd-stock": "XEP-0048"}
	for _, s := range allServers(t) {
		t.Run(s.Name, func(t *testing.T) {
			s.Register(t, "bmalice", "bmalice-pw")
			c := dial(t, accountOn(s, "bmalice", "bmalice-pw"))
			waitFor[xmpp.Connected](t, c, nil)
			room := "book-club@" + s.MUC
			b := xmpp.Bookmark{Room: room, Name: "Book club", Nick: "alice", Password: "pw & <more>", Autojoin: true}
			if err := c.SaveBookmark(ctxT(t), b); err != nil {
				t.Fatalf("SaveBookmark: %v", err)
			}
			if err := c.SaveBookmark(ctxT(t), xmpp.Bookmark{Room: "other@" + s.MUC, Nick: "al"}); err != nil {
				t.Fatal(err)
			}
			c.Close()
			c2 := dial(t, accountOn(s, "bmalice", "bmalice-pw"))
			waitFor[xmpp.Connected](t, c2, nil)
			list, where, err := c2.Bookmarks(ctxT(t))
			if err != nil || where != want[s.Name] || len(list) != 2 || !slices.Contains(list, b) {
				t.Fatalf("Bookmarks: %+v %s %v, want %+v in %s", list, where, err, b, want[s.Name])
			}
			if err := c2.RemoveBookmark(ctxT(t), room); err != nil {
				t.Fatal(err)
			}
			if list, _, _ := c2.Bookmarks(ctxT(t)); len(list) != 1 || list[0].Room != "other@"+s.MUC {
				t.Fatalf("after removal: %+v", list)
			}
		})
	}
}

// BenchmarkLogin measures a whole login on each setup: TCP, STARTTLS,
// SCRAM (with the binding each allows; on ejabberd after its tls-exporter
// refusal is remembered, so over TLS 1.2 with tls-unique), resource
// binding, roster and the presence echo.
func BenchmarkLogin(b *testing.B) {
	for _, s := range allServers(b) {
		b.Run(s.Name, func(b *testing.B) {
			user := "bench" + strings.ReplaceAll(s.Name, "-", "")
			s.Register(b, user, "benchpass")
			cfg := accountOn(s, user, "benchpass")
			for b.Loop() {
				c, err := xmpp.Dial(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
}
