package slixmpp

import (
	"testing"

	"github.com/padlock-phone/padlock/tests/peers/prosody"
)

// TestChatBetweenTwoPeers checks the helper itself: two slixmpp peers
// exchange a message, a wrong password is reported as such, and a room
// join works.
func TestChatBetweenTwoPeers(t *testing.T) {
	s := prosody.Start(t, prosody.Options{})
	s.Register(t, "bob", "bobpass")
	s.Register(t, "carol", "carolpass")
	cfg := func(u, pw string) Config {
		return Config{JID: u + "@localhost", Password: pw, Addr: s.Addr, Cert: s.Cert}
	}
	if CheckLogin(t, cfg("bob", "wrong")) {
		t.Fatal("a wrong password logged in")
	}
	if !CheckLogin(t, cfg("bob", "bobpass")) {
		t.Fatal("the right password was refused")
	}
	bob, carol := Start(t, cfg("bob", "bobpass")), Start(t, cfg("carol", "carolpass"))
	bob.Do(t, map[string]any{"cmd": "send", "to": "carol@localhost", "body": "hello carol"})
	carol.Await(t, "bob's message", func(e Event) bool {
		return e.Event == "message" && e.From == "bob@localhost" && e.Body == "hello carol"
	})
	room := "club@" + s.MUC
	bob.Do(t, map[string]any{"cmd": "join", "room": room, "nick": "bob", "configure": true})
	bob.Await(t, "joined", func(e Event) bool { return e.Event == "joined" && e.Room == room })
	carol.Do(t, map[string]any{"cmd": "join", "room": room, "nick": "carol"})
	carol.Await(t, "joined", func(e Event) bool { return e.Event == "joined" && e.Room == room })
	carol.Do(t, map[string]any{"cmd": "groupchat", "room": room, "body": "hi room"})
	bob.Await(t, "carol in the room", func(e Event) bool { return e.Event == "groupchat" && e.Nick == "carol" && e.Body == "hi room" })
}
