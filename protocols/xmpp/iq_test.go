package xmpp_test

import (
	"encoding/xml"
	"errors"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
)

// TestExtensionHandlers: another protocol's IQs, message payloads and
// presence ride on an account's session through prosody.
func TestExtensionHandlers(t *testing.T) {
	s := prosody.Start(t, prosody.Options{})
	s.Register(t, "alice", "alicepass")
	s.Register(t, "bob", "bobpass")
	a := dial(t, account(s, "alice", "alicepass"))
	b := dial(t, account(s, "bob", "bobpass"))
	type ping struct {
		XMLName xml.Name `xml:"urn:test:ext ping"`
		N       string   `xml:"n,attr"`
	}
	got := make(chan string, 4)
	a.HandleIQ("urn:test:ext", "ping", func(from, typ string, d *xml.Decoder) ([]byte, []byte) {
		var p ping
		if err := d.Decode(&p); err != nil {
			t.Errorf("decode: %v", err)
		}
		got <- typ + " " + p.N
		if p.N == "bad" {
			return nil, []byte(`<error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error>`)
		}
		return []byte(`<pong xmlns="urn:test:ext" n="` + p.N + `"/>`), nil
	})
	a.HandleMessage("urn:test:ext", func(from, typ string, d *xml.Decoder) {
		var p ping
		d.Decode(&p)
		got <- "message " + p.N + " from " + from
	})
	ajid, err := a.JID()
	if err != nil {
		t.Fatal(err)
	}
	bjid, _ := b.JID()

	d, err := b.SendIQPayload(ctxT(t), ajid, "set", []byte(`<ping xmlns="urn:test:ext" n="1"/>`))
	if err != nil {
		t.Fatal(err)
	}
	var pong struct {
		XMLName xml.Name `xml:"urn:test:ext pong"`
		N       string   `xml:"n,attr"`
	}
	if err := d.Decode(&pong); err != nil || pong.N != "1" {
		t.Fatalf("result payload %+v: %v", pong, err)
	}
	if g := <-got; g != "set 1" {
		t.Fatalf("handler saw %q", g)
	}
	_, err = b.SendIQPayload(ctxT(t), ajid, "get", []byte(`<ping xmlns="urn:test:ext" n="bad"/>`))
	var refused *xmpp.RefusedError
	if !errors.As(err, &refused) || refused.Condition != "item-not-found" {
		t.Fatalf("error answer read as %v", err)
	}
	<-got
	// Not registered: the session's service-unavailable, as before.
	_, err = b.SendIQPayload(ctxT(t), ajid, "get", []byte(`<other xmlns="urn:test:none"/>`))
	if !errors.As(err, &refused) || refused.Condition != "service-unavailable" {
		t.Fatalf("unhandled IQ answered %v", err)
	}

	if err := b.SendMessagePayload(ctxT(t), ajid, "chat", []byte(`<ping xmlns="urn:test:ext" n="m"/>`)); err != nil {
		t.Fatal(err)
	}
	select {
	case g := <-got:
		if g != "message m from "+bjid {
			t.Fatalf("message handler saw %q", g)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("message payload not delivered")
	}
	// Chat still works alongside.
	if err := b.SendChat(ctxT(t), "alice@localhost", "hello"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, a, func(m xmpp.Message) bool { return m.Body == "hello" })
}
