package messaging

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/internal/fingerprint"
	"github.com/padlock-phone/padlock/keyring"
	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/store"
	"github.com/padlock-phone/padlock/tests/peers/ejabberd"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
	"github.com/padlock-phone/padlock/tests/peers/slixmpp"
	"github.com/padlock-phone/padlock/tests/peers/xmppserver"
)

// await waits until the service's state satisfies ok, woken by Watch.
func await(t *testing.T, s *Service, what string, ok func() bool) {
	t.Helper()
	ch, stop := s.Watch()
	defer stop()
	deadline := time.After(15 * time.Second)
	for !ok() {
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func view(s *Service, id int64) Account { v, _ := s.Account(id); return v }

func contact(v Account, jid string) (Contact, bool) {
	for _, c := range v.Contacts {
		if c.JID == jid {
			return c, true
		}
	}
	return Contact{}, false
}

type unreadLog struct {
	mu sync.Mutex
	n  []int
}

func (u *unreadLog) set(n int) { u.mu.Lock(); u.n = append(u.n, n); u.mu.Unlock() }

// TestAgainstServers walks the flows on each server setup people
// run (strict prosody, prosody and ejabberd as shipped), the other people
// being independent slixmpp clients: login, wrong password, requests
// (authorise, deny, ignore surviving a restart), roster with groups, chat
// both ways with history and the vault, the private-messaging refusal,
// packet log redaction, password change (checked by a fresh slixmpp
// login) and in-band registration.
func TestAgainstServers(t *testing.T) {
	for _, srv := range []xmppserver.Info{
		prosody.Start(t, prosody.Options{}).Info(),
		prosody.Start(t, prosody.Options{Stock: true}).Info(),
		ejabberd.Start(t).Info(),
	} {
		t.Run(srv.Name, func(t *testing.T) { againstServer(t, srv) })
	}
}

// peerOn logs user in as an independent slixmpp client.
func peerOn(t *testing.T, srv xmppserver.Info, user, password string) *slixmpp.Peer {
	t.Helper()
	return slixmpp.Start(t, slixmpp.Config{JID: srv.JID(user), Password: password, Addr: srv.Addr, Cert: srv.Cert})
}

func againstServer(t *testing.T, srv xmppserver.Info) {
	ctx := context.Background()
	for _, u := range []string{"alice", "bob", "carol", "eve", "frank", "gina"} {
		srv.Register(t, u, u+"-pass-7f3a")
	}
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "padlock.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := keyring.Open(dir, st, vault.TestParams, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Setup([]byte("master password")); err != nil {
		t.Fatal(err)
	}
	acc := func(user string) store.Account {
		return store.Account{Kind: store.XMPP, User: user, Server: srv.Domain, Transport: store.TCP,
			Proxy: srv.Addr, Enabled: true, TLSFingerprint: fingerprint.Format(srv.Fingerprint)}
	}
	alice, err := keys.CreateAccount(ctx, acc("alice"), []byte("alice-pass-7f3a"), true)
	if err != nil {
		t.Fatal(err)
	}
	carol, err := keys.CreateAccount(ctx, acc("carol"), []byte("wrong"), true)
	if err != nil {
		t.Fatal(err)
	}
	unread := &unreadLog{}
	newService := func() *Service {
		return New(Config{Store: st, Passwords: keys, DataDir: dir, Unread: unread.set,
			Backoff: xmpp.Backoff{Initial: 100 * time.Millisecond, Max: time.Second}})
	}
	s := newService()
	defer func() { s.Close() }()
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	await(t, s, "alice connected (STARTTLS, pinned certificate)", func() bool { return view(s, alice).Connected })
	await(t, s, "carol's wrong password reported", func() bool { return strings.Contains(s.Status(carol), "wrong password") })

	aliceJID := "alice@" + srv.Domain
	bob := peerOn(t, srv, "bob", "bob-pass-7f3a")
	bobJID := "bob@" + srv.Domain

	t.Run("authorise", func(t *testing.T) {
		bob.Do(t, map[string]any{"cmd": "add", "jid": aliceJID, "name": "Alice"})
		bob.Do(t, map[string]any{"cmd": "subscribe", "to": aliceJID})
		await(t, s, "bob's request", func() bool { return slices.Contains(view(s, alice).Pending, bobJID) })
		if s.Unread() < 1 {
			t.Fatalf("a pending request must count as unread, got %d", s.Unread())
		}
		if err := s.Authorize(ctx, alice, bobJID); err != nil {
			t.Fatal(err)
		}
		bob.Await(t, "alice's authorisation", func(ev slixmpp.Event) bool {
			return ev.Event == "roster" && slices.ContainsFunc(ev.Items, func(c slixmpp.Item) bool {
				return c.JID == aliceJID && (c.Subscription == "to" || c.Subscription == "both")
			})
		})
		bob.Await(t, "alice's request back", func(ev slixmpp.Event) bool { return ev.Event == "subscribe" && ev.From == aliceJID })
		bob.Do(t, map[string]any{"cmd": "authorize", "to": aliceJID})
		await(t, s, "bob online in alice's roster", func() bool { c, ok := contact(view(s, alice), bobJID); return ok && c.Online })
	})

	t.Run("callable", func(t *testing.T) {
		// bob's slixmpp session answers disco#info without Jingle: no
		// "Call". A second device of his that advertises Jingle RTP audio
		// over ICE-UDP makes him callable until it goes offline.
		phone := slixmpp.Start(t, slixmpp.Config{JID: bobJID, Password: "bob-pass-7f3a", Addr: srv.Addr, Cert: srv.Cert,
			Features: []string{"urn:xmpp:jingle:1", "urn:xmpp:jingle:apps:rtp:audio", "urn:xmpp:jingle:transports:ice-udp:1"}})
		await(t, s, "bob callable through his second device", func() bool { c, _ := contact(view(s, alice), bobJID); return c.Callable })
		phone.Do(t, map[string]any{"cmd": "quit"})
		await(t, s, "bob not callable once that device left", func() bool {
			c, _ := contact(view(s, alice), bobJID)
			return c.Online && !c.Callable
		})
	})

	t.Run("roster", func(t *testing.T) {
		// alice on another device sees every change the server made.
		other := peerOn(t, srv, "alice", "alice-pass-7f3a")
		dave := "dave@" + srv.Domain
		steps := []struct {
			name string
			do   func() error
			ok   func(Contact, bool) bool
		}{
			{"add", func() error { return s.AddContact(ctx, alice, dave, "Dave", "Work") }, func(c Contact, ok bool) bool {
				return ok && c.Name == "Dave" && slices.Equal(c.Groups, []string{"Work"})
			}},
			{"rename", func() error { return s.RenameContact(ctx, alice, dave, "David") }, func(c Contact, ok bool) bool { return ok && c.Name == "David" }},
			{"move", func() error { return s.MoveContact(ctx, alice, dave, "Family") }, func(c Contact, ok bool) bool {
				return ok && c.Name == "David" && slices.Equal(c.Groups, []string{"Family"})
			}},
			{"remove", func() error { return s.RemoveContact(ctx, alice, dave) }, func(c Contact, ok bool) bool { return !ok }},
		}
		for _, st := range steps {
			if err := st.do(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			await(t, s, st.name, func() bool { return st.ok(contact(view(s, alice), dave)) })
			// Pushes carry the changed item only; its absence is no news
			// except for a removal.
			other.Await(t, st.name+" on another device", func(ev slixmpp.Event) bool {
				if ev.Event != "roster" {
					return false
				}
				i := slices.IndexFunc(ev.Items, func(c slixmpp.Item) bool { return c.JID == dave })
				if i < 0 {
					return false
				}
				it := ev.Items[i]
				if it.Subscription == "remove" {
					return st.ok(Contact{}, false)
				}
				return st.ok(Contact{Contact: xmpp.Contact{JID: it.JID, Name: it.Name, Groups: it.Groups}}, true)
			})
		}
		// gina never logs in: alice's request stays unanswered.
		gina := "gina@" + srv.Domain
		if err := s.AddContact(ctx, alice, gina, "", ""); err != nil {
			t.Fatal(err)
		}
		await(t, s, "gina shown waiting for authorisation", func() bool {
			c, ok := contact(view(s, alice), gina)
			return ok && c.Waiting
		})
		if err := s.RemoveContact(ctx, alice, gina); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateGroup(ctx, alice, "Empty"); err != nil || !slices.Contains(view(s, alice).Groups, "Empty") {
			t.Fatalf("created group not listed: %v %v", err, view(s, alice).Groups)
		}
		// An empty group outlives a restart of the service (kept in the
		// store; the server knows groups only through contacts).
		s2 := newService()
		if err := s2.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		if !slices.Contains(view(s2, alice).Groups, "Empty") {
			t.Fatalf("the empty group did not come back: %v", view(s2, alice).Groups)
		}
	})

	t.Run("chat", func(t *testing.T) {
		if err := s.Send(ctx, alice, bobJID, "must not leave"); !errors.Is(err, ErrPrivateRequired) {
			t.Fatalf("with private messaging required, plain send = %v, want ErrPrivateRequired", err)
		}
		if err := st.SetBool(ctx, store.RequirePrivateMessaging, false); err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, alice, bobJID, "hello bob"); err != nil {
			t.Fatal(err)
		}
		bob.Await(t, "alice's message", func(ev slixmpp.Event) bool { return ev.Event == "message" && ev.Body == "hello bob" })
		if bob.Saw(func(ev slixmpp.Event) bool { return ev.Event == "message" && ev.Body == "must not leave" }) {
			t.Fatal("a refused message reached the peer")
		}
		// History off (the default): held in memory only.
		bob.Do(t, map[string]any{"cmd": "send", "to": aliceJID, "body": "history-off-1"})
		await(t, s, "message in conversation", func() bool { return hasLine(s.Conversation(ctx, alice, bobJID), "history-off-1", true) })
		if h, _ := st.History(ctx, store.HistoryFilter{Kind: store.Chat}); len(h) != 0 {
			t.Fatalf("history is off but %d entries were stored", len(h))
		}
		if c, _ := contact(view(s, alice), bobJID); c.Unread != 1 {
			t.Fatalf("unread for bob = %d, want 1", c.Unread)
		}
		s.MarkRead(alice, bobJID)
		ch, stop := s.Watch()
		s.MarkRead(alice, bobJID) // nothing unread: must not wake anyone
		select {
		case <-ch:
			t.Fatal("MarkRead with nothing unread woke the watchers (a chat page's stream would spin)")
		default:
		}
		stop()

		// History on, vault locked: held, then sealed once unlocked.
		if err := st.SetBool(ctx, store.LogChatHistory, true); err != nil {
			t.Fatal(err)
		}
		keys.Lock()
		bob.Do(t, map[string]any{"cmd": "send", "to": aliceJID, "body": "while-locked-4b1d"})
		await(t, s, "held while locked", func() bool { return hasLine(s.Conversation(ctx, alice, bobJID), "while-locked-4b1d", true) })
		if err := keys.Unlock([]byte("master password")); err != nil {
			t.Fatal(err)
		}
		if err := s.Reload(ctx); err != nil { // what the appliance does on unlock
			t.Fatal(err)
		}
		h, err := st.History(ctx, store.HistoryFilter{AccountID: alice, Contact: bobJID, Kind: store.Chat})
		if err != nil || len(h) != 1 || string(h[0].Body) != "while-locked-4b1d" {
			t.Fatalf("held message not written to history after unlock: %v %v", h, err)
		}
		if !hasLine(s.Conversation(ctx, alice, bobJID), "while-locked-4b1d", false) {
			t.Fatal("stored message not shown")
		}
		for _, f := range []string{"padlock.db", "padlock.db-wal"} {
			b, _ := os.ReadFile(filepath.Join(dir, f))
			if bytes.Contains(b, []byte("while-locked-4b1d")) {
				t.Fatalf("message text in clear in %s", f)
			}
		}
	})

	t.Run("deny and ignore", func(t *testing.T) {
		eve := peerOn(t, srv, "eve", "eve-pass-7f3a")
		frank := peerOn(t, srv, "frank", "frank-pass-7f3a")
		for _, p := range []*slixmpp.Peer{eve, frank} {
			p.Do(t, map[string]any{"cmd": "subscribe", "to": aliceJID})
		}
		eveJID, frankJID := "eve@"+srv.Domain, "frank@"+srv.Domain
		await(t, s, "both requests", func() bool {
			p := view(s, alice).Pending
			return slices.Contains(p, eveJID) && slices.Contains(p, frankJID)
		})
		if err := s.Deny(ctx, alice, eveJID); err != nil {
			t.Fatal(err)
		}
		s.Ignore(alice, frankJID)
		if p := view(s, alice).Pending; len(p) != 0 {
			t.Fatalf("pending after deny and ignore: %v", p)
		}
		eve.Await(t, "the denial", func(ev slixmpp.Event) bool {
			return ev.Event == "roster" && slices.ContainsFunc(ev.Items, func(c slixmpp.Item) bool {
				return c.JID == aliceJID && c.Ask == "" && c.Subscription == "none"
			})
		})
		// A reboot: the server offers the ignored request again.
		s.Close()
		s = newService()
		if err := s.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		await(t, s, "ignored request listed after restart", func() bool { return slices.Contains(view(s, alice).Pending, frankJID) })
		if slices.Contains(view(s, alice).Pending, eveJID) {
			t.Fatal("the denied request came back")
		}
	})

	t.Run("password change and packet log", func(t *testing.T) {
		logPath := filepath.Join(dir, PacketLogName)
		if _, err := os.Stat(logPath); !os.IsNotExist(err) {
			t.Fatalf("packet log written while off: %v", err)
		}
		if err := st.SetBool(ctx, store.PacketLogging, true); err != nil {
			t.Fatal(err)
		}
		if err := s.ChangePassword(ctx, alice, []byte("alice-new-9c2e")); err != nil {
			t.Fatal(err)
		}
		if err := keys.SetAccountPassword(ctx, alice, []byte("alice-new-9c2e"), true); err != nil {
			t.Fatal(err)
		}
		if err := s.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		await(t, s, "login with the new password", func() bool { return view(s, alice).Connected })
		if err := s.Send(ctx, alice, bobJID, "logged-body"); err != nil {
			t.Fatal(err)
		}
		bob.Await(t, "message after password change", func(ev slixmpp.Event) bool { return ev.Event == "message" && ev.Body == "logged-body" })
		b, err := os.ReadFile(logPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"alice-new-9c2e", "alice-pass-7f3a"} {
			if bytes.Contains(b, []byte(secret)) {
				t.Fatalf("packet log holds a password")
			}
		}
		if !bytes.Contains(b, []byte("<auth")) || !bytes.Contains(b, []byte("[redacted]")) || !bytes.Contains(b, []byte("logged-body")) {
			t.Fatalf("packet log lacks the redacted login or the message:\n%.2000s", b)
		}
		login := func(pw string) bool {
			return slixmpp.CheckLogin(t, slixmpp.Config{JID: aliceJID, Password: pw, Addr: srv.Addr, Cert: srv.Cert})
		}
		if login("alice-pass-7f3a") || !login("alice-new-9c2e") {
			t.Fatal("after the change, a fresh slixmpp login must take the new password and refuse the old one")
		}
	})

	t.Run("server restart", func(t *testing.T) {
		srv.Restart(t)
		restarted := time.Now()
		await(t, s, "reconnected after the server restarted", func() bool { return view(s, alice).Connected && view(s, alice).Status == "connected" })
		// The promise: back within 10 s of the server's return
		// (the backoff starts at 1 s and doubles).
		if d := time.Since(restarted); d > 10*time.Second {
			t.Errorf("reconnected %v after the server came back, want within 10 s", d.Round(time.Millisecond))
		}
		bob2 := peerOn(t, srv, "bob", "bob-pass-7f3a")
		bob2.Do(t, map[string]any{"cmd": "send", "to": aliceJID, "body": "after-restart"})
		await(t, s, "message after restart", func() bool { return hasLine(s.Conversation(ctx, alice, bobJID), "after-restart", false) })
	})

	t.Run("stranger", func(t *testing.T) {
		carolPeer := peerOn(t, srv, "carol", "carol-pass-7f3a")
		carolJID := "carol@" + srv.Domain
		carolPeer.Do(t, map[string]any{"cmd": "send", "to": aliceJID, "body": "who am i"})
		await(t, s, "a stranger's message listed", func() bool { return view(s, alice).Strangers[carolJID] == 1 })
		s.MarkRead(alice, carolJID)
		if _, ok := view(s, alice).Strangers[carolJID]; ok {
			t.Fatal("a read stranger is still listed")
		}
	})

	t.Run("register", func(t *testing.T) {
		a := acc("newbie")
		if err := s.Register(ctx, a, []byte("newbie-pass")); err != nil {
			t.Fatal(err)
		}
		if err := s.Register(ctx, a, []byte("other")); !errors.Is(err, xmpp.ErrUsernameTaken) {
			t.Fatalf("same name again: %v, want ErrUsernameTaken", err)
		}
	})

	unread.mu.Lock()
	defer unread.mu.Unlock()
	if !slices.ContainsFunc(unread.n, func(n int) bool { return n > 0 }) || unread.n[len(unread.n)-1] < 0 {
		t.Fatalf("unread counts reported: %v", unread.n)
	}
}

func hasLine(lines []Line, body string, held bool) bool {
	return slices.ContainsFunc(lines, func(l Line) bool { return l.Body == body && l.Held == held })
}

func TestRotator(t *testing.T) {
	dir := t.TempDir()
	r := &rotator{path: filepath.Join(dir, "log"), max: 10}
	for _, s := range []string{"aaaaaa\n", "bbbbbb\n", "cccccc\n"} {
		if err := r.write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	r.close()
	cur, _ := os.ReadFile(filepath.Join(dir, "log"))
	prev, _ := os.ReadFile(filepath.Join(dir, "log.1"))
	if string(cur) != "cccccc\n" || string(prev) != "bbbbbb\n" {
		t.Fatalf("after rotation: %q and %q", cur, prev)
	}
}

func TestRegistrationClosed(t *testing.T) {
	srv := prosody.Start(t, prosody.Options{RegistrationClosed: true})
	s := New(Config{})
	a := store.Account{Kind: store.XMPP, User: "newbie", Server: srv.Domain, Transport: store.TCP, Proxy: srv.Addr,
		TLSFingerprint: fingerprint.Format(srv.Fingerprint)}
	if err := s.Register(context.Background(), a, []byte("pw-12345")); !errors.Is(err, xmpp.ErrRegistrationClosed) {
		t.Fatalf("registration on a closed server: %v", err)
	}
}

func TestClientConfig(t *testing.T) {
	for _, c := range []struct {
		a      store.Account
		server string
		tls    xmpp.TLSMode
	}{
		{store.Account{User: "a", Server: "example.org", Transport: store.TCP}, "", xmpp.StartTLS},
		{store.Account{User: "a", Server: "example.org", Transport: store.TLS}, "", xmpp.DirectTLS},
		{store.Account{User: "a", Server: "example.org", Transport: store.TCP, Port: 5299}, "example.org:5299", xmpp.StartTLS},
		{store.Account{User: "a", Server: "example.org", Transport: store.TCP, Proxy: "127.0.0.2"}, "127.0.0.2:5222", xmpp.StartTLS},
		{store.Account{User: "a", Server: "example.org", Transport: store.TLS, Proxy: "127.0.0.2"}, "127.0.0.2:5223", xmpp.DirectTLS},
		{store.Account{User: "a", Server: "example.org", Transport: store.TCP, Proxy: "127.0.0.2:7000"}, "127.0.0.2:7000", xmpp.StartTLS},
	} {
		got, err := ClientConfig(c.a, []byte("pw"), nil)
		if err != nil || got.Server != c.server || got.TLS != c.tls || got.JID != "a@example.org" {
			t.Errorf("%+v: got server %q tls %v jid %q err %v", c.a, got.Server, got.TLS, got.JID, err)
		}
	}
	if _, err := ClientConfig(store.Account{User: "a", Server: "b", TLSFingerprint: "zz"}, []byte("pw"), nil); err == nil {
		t.Error("a bad pinned fingerprint was accepted")
	}
}
