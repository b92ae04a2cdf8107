package xmpp

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"mellium.im/xmlstream"
)

// handleRaw feeds one stanza to a fresh client's handler and returns what
// it wrote back and the events it queued.
func handleRaw(t *testing.T, c *Client, raw string) (string, []Event) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(raw))
	tok, err := d.Token()
	if err != nil {
		t.Fatal(err)
	}
	start := tok.(xml.StartElement)
	var out bytes.Buffer
	e := xml.NewEncoder(&out)
	rw := struct {
		xml.TokenReader
		xmlstream.Encoder
	}{xmlstream.InnerElement(d), e}
	if err := c.handle(rw, &start); err != nil {
		t.Fatalf("handle: %v", err)
	}
	e.Flush()
	var evs []Event
	for {
		select {
		case ev := <-c.events.out:
			evs = append(evs, ev)
			continue
		case <-time.After(20 * time.Millisecond):
		}
		return out.String(), evs
	}
}

func TestHandle(t *testing.T) {
	for _, tc := range []struct {
		name, in, reply, events string
	}{
		{"roster push", `<iq type='set' id='p1'><query xmlns='jabber:iq:roster' ver='2'><item jid='bob@localhost/x' name='Bob' subscription='to' ask='subscribe'><group>Friends</group></item></query></iq>`,
			`<iq type="result" id="p1"></iq>`, `[{[{bob@localhost Bob [Friends] to true}]}]`},
		{"roster push remove", `<iq type='set' id='p2'><query xmlns='jabber:iq:roster'><item jid='carol@localhost' subscription='remove'/></query></iq>`,
			`<iq type="result" id="p2"></iq>`, `[{[]}]`},
		{"forged roster push ignored", `<iq type='set' id='p3' from='mallory@evil.example'><query xmlns='jabber:iq:roster'><item jid='mallory@evil.example' subscription='both'/></query></iq>`,
			``, `[]`},
		{"chat", `<message type='chat' from='bob@localhost/desk' id='m1'><body>hi &amp; bye</body></message>`,
			``, `[{bob@localhost desk m1 hi & bye}]`},
		{"normal without type", `<message from='bob@localhost/desk'><body>note</body></message>`,
			``, `[{bob@localhost desk  note}]`},
		{"chat state only", `<message type='chat' from='bob@localhost/desk'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`, ``, `[]`},
		{"error message", `<message type='error' from='bob@localhost'><body>x</body><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`, ``, `[]`},
		{"groupchat", `<message type='groupchat' from='room@muc/bob'><body>x</body></message>`, ``, `[]`},
		{"available", `<presence from='bob@localhost/desk'><show>away</show><status>lunch</status></presence>`, ``, `[{bob@localhost desk true away lunch}]`},
		{"unavailable", `<presence type='unavailable' from='bob@localhost/desk'/>`, ``, `[{bob@localhost desk false  }]`},
		{"subscribe", `<presence type='subscribe' from='eve@localhost'/>`, ``, `[{eve@localhost}]`},
		{"subscribed", `<presence type='subscribed' from='eve@localhost'/>`, ``, `[]`},
		{"unknown iq left to the session", `<iq type='get' id='v1' from='localhost'><query xmlns='jabber:iq:version'/></iq>`, ``, `[]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{acct: &account{log: slog.New(slog.DiscardHandler)}, events: newEventQueue()}
			defer c.events.close()
			reply, evs := handleRaw(t, c, tc.in)
			if reply != tc.reply {
				t.Errorf("reply %s, want %s", reply, tc.reply)
			}
			if got := fmt.Sprint(evs); got != tc.events {
				t.Errorf("events %s, want %s", got, tc.events)
			}
		})
	}
}

// TestPushDuringFetch: a push that arrives while the roster is being
// fetched is applied on top of the fetch result, not lost under it.
func TestPushDuringFetch(t *testing.T) {
	c := &Client{acct: &account{log: slog.New(slog.DiscardHandler)}, events: newEventQueue()}
	defer c.events.close()
	c.connecting = true
	_, evs := handleRaw(t, c, `<iq type='set' id='p1'><query xmlns='jabber:iq:roster'><item jid='bob@localhost' name='New'/></query></iq>`)
	if len(evs) != 0 {
		t.Fatalf("event before the fetch result: %v", evs)
	}
	c.mu.Lock()
	c.installRosterLocked(map[string]Contact{"bob@localhost": {JID: "bob@localhost", Name: "Old", Subscription: "none"}})
	c.connecting = false
	c.mu.Unlock()
	if got := c.Roster(); len(got) != 1 || got[0].Name != "New" {
		t.Fatalf("roster %+v, want bob named New", got)
	}
}
