package messaging

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
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

// TestRoomsAgainstServers: Padlock with two slixmpp participants in a room
// on prosody (stock) and ejabberd: the require-private-messaging refusal
// (nothing reaches the room), allowing the room, messages seen by all,
// occupants, an invitation accepted, history sealed, the room back after a
// restart (bookmark), leaving.
func TestRoomsAgainstServers(t *testing.T) {
	for _, srv := range []xmppserver.Info{
		prosody.Start(t, prosody.Options{Stock: true}).Info(),
		ejabberd.Start(t).Info(),
	} {
		t.Run(srv.Name, func(t *testing.T) { roomsOn(t, srv) })
	}
}

func roomsOn(t *testing.T, srv xmppserver.Info) {
	ctx := context.Background()
	for _, u := range []string{"alice", "bob", "carol"} {
		srv.Register(t, u, u+"-room-pw")
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
	alice, err := keys.CreateAccount(ctx, store.Account{Kind: store.XMPP, User: "alice", Server: srv.Domain, Transport: store.TCP,
		Proxy: srv.Addr, Enabled: true, TLSFingerprint: fingerprint.Format(srv.Fingerprint)}, []byte("alice-room-pw"), true)
	if err != nil {
		t.Fatal(err)
	}
	newService := func() *Service {
		return New(Config{Store: st, Passwords: keys, DataDir: dir, Backoff: xmpp.Backoff{Initial: 100 * time.Millisecond, Max: time.Second}})
	}
	s := newService()
	defer func() { s.Close() }()
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	await(t, s, "alice connected", func() bool { return view(s, alice).Connected })

	bob, carol := peerOn(t, srv, "bob", "bob-room-pw"), peerOn(t, srv, "carol", "carol-room-pw")
	club := "club@" + srv.MUC
	bob.Do(t, map[string]any{"cmd": "join", "room": club, "nick": "bob", "configure": true})
	bob.Await(t, "bob in the room", func(e slixmpp.Event) bool { return e.Event == "joined" && e.Room == club })
	carol.Do(t, map[string]any{"cmd": "join", "room": club, "nick": "carol"})
	carol.Await(t, "carol in the room", func(e slixmpp.Event) bool { return e.Event == "joined" && e.Room == club })

	// bob invites alice; she accepts.
	bob.Do(t, map[string]any{"cmd": "invite", "room": club, "to": srv.JID("alice"), "reason": "book club"})
	await(t, s, "the invitation", func() bool {
		return slices.ContainsFunc(view(s, alice).Invitations, func(i Invitation) bool { return i.Room == club && i.From == srv.JID("bob") })
	})
	if err := s.AcceptInvitation(ctx, alice, club, "alice"); err != nil {
		t.Fatalf("accept: %v", err)
	}
	if len(view(s, alice).Invitations) != 0 {
		t.Fatal("an accepted invitation is still listed")
	}
	await(t, s, "three occupants", func() bool { r, _ := s.Room(alice, club); return len(r.Occupants) == 3 })

	// Private messaging is required (the default): refused, nothing sent.
	if err := s.SendRoom(ctx, alice, club, "must-not-reach-the-room"); !errors.Is(err, ErrRoomNotPrivate) {
		t.Fatalf("send to a room not allowed: %v, want ErrRoomNotPrivate", err)
	}
	if err := s.AllowRoom(alice, club, true); err != nil {
		t.Fatal(err)
	}
	if err := st.SetBool(ctx, store.LogChatHistory, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SendRoom(ctx, alice, club, "hello-room-5e1"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*slixmpp.Peer{bob, carol} {
		p.Await(t, "alice's room message", func(e slixmpp.Event) bool {
			return e.Event == "groupchat" && e.Nick == "alice" && e.Body == "hello-room-5e1"
		})
		if p.Saw(func(e slixmpp.Event) bool { return e.Body == "must-not-reach-the-room" }) {
			t.Fatal("a refused message reached the room")
		}
	}
	carol.Do(t, map[string]any{"cmd": "groupchat", "room": club, "body": "hi-from-carol-9a"})
	await(t, s, "carol's message", func() bool {
		return slices.ContainsFunc(s.RoomConversation(ctx, alice, club), func(l Line) bool { return l.Nick == "carol" && l.Body == "hi-from-carol-9a" && l.In })
	})
	h, err := st.History(ctx, store.HistoryFilter{AccountID: alice, Contact: club, Kind: store.Chat})
	if err != nil || !slices.ContainsFunc(h, func(e store.HistoryEntry) bool { return string(e.Body) == "carol: hi-from-carol-9a" }) {
		t.Fatalf("room message not in the sealed history: %v %v", h, err)
	}

	// A restart: the room comes back from its bookmark.
	s.Close()
	s = newService()
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	await(t, s, "the room rejoined after a restart", func() bool { r, ok := s.Room(alice, club); return ok && r.Joined })
	aliceIn := func(e slixmpp.Event) bool {
		return e.Event == "muc_presence" && e.Nick == "alice" && e.Type == "available"
	}
	bob.AwaitN(t, "alice coming into the room", 2, aliceIn)

	if err := s.LeaveRoom(ctx, alice, club); err != nil {
		t.Fatal(err)
	}
	carol.Await(t, "alice leaving", func(e slixmpp.Event) bool {
		return e.Event == "muc_presence" && e.Nick == "alice" && e.Type == "unavailable"
	})
	if _, ok := s.Room(alice, club); ok {
		t.Fatal("the room is still listed after leaving")
	}
}
