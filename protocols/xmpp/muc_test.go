package xmpp

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"mellium.im/xmlstream"
)

// roomClient is a client that is in room@muc as "alice" and joining
// locked@muc.
func roomClient() (*Client, chan error) {
	joining := make(chan error, 1)
	c := &Client{acct: &account{log: slog.New(slog.DiscardHandler)}, events: newEventQueue(),
		rooms: map[string]*roomState{"room@muc": {nick: "alice"}, "locked@muc": {nick: "alice", joined: joining}}}
	return c, joining
}

func TestHandleRoomStanzas(t *testing.T) {
	for _, tc := range []struct {
		name, in, events string
	}{
		{"occupant", `<presence from='room@muc/bob'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x></presence>`,
			`[{room@muc bob true moderator owner false  }]`},
		{"occupant leaves", `<presence type='unavailable' from='room@muc/bob'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none'/></x></presence>`,
			`[{room@muc bob false none none false  }]`},
		{"the room's own presence", `<presence from='room@muc'><x xmlns='vcard-temp:x:update'><photo/></x></presence>`, `[]`},
		{"groupchat", `<message type='groupchat' from='room@muc/bob' id='g1'><body>hi all</body></message>`,
			`[{room@muc bob g1 hi all false 0001-01-01 00:00:00 +0000 UTC}]`},
		{"history", `<message type='groupchat' from='room@muc/bob'><body>old</body><delay xmlns='urn:xmpp:delay' stamp='2026-01-02T03:04:05Z'/></message>`,
			`[{room@muc bob  old true 2026-01-02 03:04:05 +0000 UTC}]`},
		{"subject only", `<message type='groupchat' from='room@muc'><subject>topic</subject></message>`, `[]`},
		{"groupchat from a room we are not in", `<message type='groupchat' from='other@muc/x'><body>spam</body></message>`, `[]`},
		{"direct invitation", `<message from='bob@localhost/desk'><x xmlns='jabber:x:conference' jid='party@muc' password='pw' reason='join us'/></message>`,
			`[{bob@localhost party@muc pw join us true}]`},
		{"mediated invitation", `<message from='party@muc'><x xmlns='http://jabber.org/protocol/muc#user'><invite from='bob@localhost/desk'><reason>hey</reason></invite><password>pw</password></x></message>`,
			`[{bob@localhost party@muc pw hey false}]`},
		{"invitation to a bad address", `<message from='bob@localhost'><x xmlns='jabber:x:conference' jid='@@'/></message>`, `[]`},
		{"room error", `<message type='error' from='room@muc'><error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`,
			`[{room@muc server refused the request: forbidden}]`},
		{"private message through the room is a chat", `<message type='chat' from='room@muc/bob'><body>psst</body></message>`,
			`[{room@muc bob  psst}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := roomClient()
			defer c.events.close()
			_, evs := handleRaw(t, c, tc.in)
			if got := fmt.Sprint(evs); got != tc.events {
				t.Errorf("events %s, want %s", got, tc.events)
			}
		})
	}
}

func TestJoinOutcome(t *testing.T) {
	c, joining := roomClient()
	defer c.events.close()
	handleRaw(t, c, `<presence type='error' from='locked@muc/alice'><error type='auth'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text>password required</text></error></presence>`)
	err := <-joining
	if err == nil || !strings.Contains(roomRefusal(err).Error(), "needs a password") || !strings.Contains(err.Error(), "password required") {
		t.Fatalf("join refusal: %v", err)
	}
	if _, ok := c.roomOf("locked@muc"); ok {
		t.Fatal("a refused room is still known")
	}
	c, joining = roomClient()
	defer c.events.close()
	_, evs := handleRaw(t, c, `<presence from='locked@muc/alice'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/><status code='110'/></x></presence>`)
	if err := <-joining; err != nil || len(evs) != 1 || !evs[0].(RoomPresence).Self {
		t.Fatalf("self presence: %v %v", err, evs)
	}
}

// FuzzHandleStanza: every message and presence from the server goes
// through the handler (with rooms known); it must never panic and must
// keep at most one event per stanza.
func FuzzHandleStanza(f *testing.F) {
	for _, s := range []string{
		`<presence from='room@muc/bob'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/><status code='110'/></x></presence>`,
		`<presence type='error' from='locked@muc/alice'><error type='auth'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`,
		`<message type='groupchat' from='room@muc/bob'><body>old</body><delay xmlns='urn:xmpp:delay' stamp='2026-01-02T03:04:05Z'/></message>`,
		`<message from='bob@localhost'><x xmlns='jabber:x:conference' jid='party@muc' password='pw'/></message>`,
		`<message from='party@muc'><x xmlns='http://jabber.org/protocol/muc#user'><invite from='bob@localhost'/></x></message>`,
		`<iq type='set' id='p1'><query xmlns='jabber:iq:roster'><item jid='bob@localhost'/></query></iq>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		d := xml.NewDecoder(strings.NewReader(raw))
		tok, err := d.Token()
		if err != nil {
			return
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			return
		}
		c, _ := roomClient()
		defer c.events.close()
		var out bytes.Buffer
		e := xml.NewEncoder(&out)
		rw := struct {
			xml.TokenReader
			xmlstream.Encoder
		}{xmlstream.InnerElement(d), e}
		c.handle(rw, &start) // errors are fine (the session ends); panics are not
		c.events.mu.Lock()
		n := len(c.events.items)
		c.events.mu.Unlock()
		if n > 1 {
			t.Fatalf("%d events from one stanza", n)
		}
	})
}

func decodeReply(raw string) (*iqReply, error) {
	var r iqReply
	err := xml.Unmarshal([]byte(raw), &r)
	return &r, err
}

func TestBookmarkReplies(t *testing.T) {
	r, err := decodeReply(`<iq type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:bookmarks:1'>
		<item id='club@muc'><conference xmlns='urn:xmpp:bookmarks:1' name='Club' autojoin='1'><nick>al</nick><password>pw</password></conference></item>
		<item id='not a room'><conference xmlns='urn:xmpp:bookmarks:1'/></item><item id='x@muc'/></items></pubsub></iq>`)
	if got := fmt.Sprint(r.Pubsub.bookmarks()); err != nil || got != "[{club@muc Club al pw true}]" {
		t.Fatalf("XEP-0402: %s %v", got, err)
	}
	r, err = decodeReply(`<iq type='result'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>
		<conference jid='Club@MUC/nick' autojoin='true'><nick>al</nick></conference><conference jid=''/></storage></query></iq>`)
	if got := fmt.Sprint(r.Private.bookmarks()); err != nil || got != "[{club@muc  al  true}]" {
		t.Fatalf("XEP-0048: %s %v", got, err)
	}
}

// FuzzBookmarkReply: bookmark lists come from the server; at most
// maxBookmarks rooms are kept, each a valid bare room address.
func FuzzBookmarkReply(f *testing.F) {
	f.Add(`<iq type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items><item id='a@b'><conference xmlns='urn:xmpp:bookmarks:1' autojoin='true'/></item></items></pubsub></iq>`)
	f.Add(`<iq type='result'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'><conference jid='a@b'/></storage></query></iq>`)
	f.Fuzz(func(t *testing.T, raw string) {
		r, err := decodeReply(raw)
		if err != nil {
			return
		}
		for _, list := range [][]Bookmark{r.Pubsub.bookmarks(), r.Private.bookmarks()} {
			if len(list) > maxBookmarks {
				t.Fatalf("%d bookmarks kept", len(list))
			}
			for _, b := range list {
				if j, err := parseRoom(b.Room); err != nil || j.String() != b.Room {
					t.Fatalf("bookmark room %q", b.Room)
				}
			}
		}
	})
}
