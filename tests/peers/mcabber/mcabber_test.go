package mcabber

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
)

// TestEcho: mcabber logs in to prosody and echoes a plain message.
func TestEcho(t *testing.T) {
	srv := prosody.Start(t, prosody.Options{})
	srv.Register(t, "eve", "eve-pass")
	srv.Register(t, "frank", "frank-pass")
	eve := Start(t, Config{JID: "eve@" + srv.Domain, Password: "eve-pass", Addr: srv.Addr})
	frank, err := xmpp.Dial(context.Background(), xmpp.Config{JID: "frank@" + srv.Domain, Password: []byte("frank-pass"),
		Server: srv.Addr, PinnedFingerprint: srv.Fingerprint, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer frank.Close()
	eve.Command("add frank@" + srv.Domain + " Frank")
	got := make(chan string, 10)
	go func() {
		for ev := range frank.Events() {
			if m, ok := ev.(xmpp.Message); ok {
				got <- m.Body
			}
		}
	}()
	if err := frank.SendChat(context.Background(), "eve@"+srv.Domain, "ping-4411"); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		// Its OTR policy (opportunistic) appends the whitespace tag.
		if strings.TrimRight(b, " \t") != "echo: ping-4411" {
			t.Fatalf("echo %q", b)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no echo\n%s\n%s", eve.Screen(), eve.Trace())
	}
	if !strings.Contains(eve.Echoed(), "IN frank@"+srv.Domain+": ping-4411") {
		t.Fatalf("echo log: %q", eve.Echoed())
	}
}
