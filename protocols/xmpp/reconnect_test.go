package xmpp_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
)

// TestReconnect kills prosody under two logged-in accounts that see each
// other, restarts it, and checks both come back with the roster and
// presence, having backed off 20 ms doubling to the 200 ms cap meanwhile.
func TestReconnect(t *testing.T) {
	s := prosody.Start(t, prosody.Options{})
	s.Register(t, "alice", "alicepass")
	s.Register(t, "bob", "bobpass")
	alice := dial(t, account(s, "alice", "alicepass"))
	bob := dial(t, account(s, "bob", "bobpass"))
	ctx := ctxT(t)
	if err := alice.AddContact(ctx, "bob@localhost", "Bob", "Friends"); err != nil {
		t.Fatal(err)
	}
	req := waitFor[xmpp.SubscriptionRequest](t, bob, nil)
	if err := bob.Authorize(ctx, req.From); err != nil {
		t.Fatal(err)
	}
	waitFor(t, alice, func(p xmpp.Presence) bool { return p.From == "bob@localhost" && p.Available })

	s.Kill()
	var delays []time.Duration
	for len(delays) < 6 {
		d := waitFor[xmpp.Disconnected](t, alice, nil)
		if d.GaveUp {
			t.Fatalf("gave up: %v", d.Err)
		}
		var ue *xmpp.UnreachableError
		if !errors.As(d.Err, &ue) {
			t.Fatalf("Disconnected.Err = %v, want UnreachableError", d.Err)
		}
		delays = append(delays, d.RetryIn)
	}
	want := []time.Duration{20, 40, 80, 160, 200, 200}
	for i := range want {
		if delays[i] != want[i]*time.Millisecond {
			t.Fatalf("retry delays %v, want %v ms", delays, want)
		}
	}
	if err := alice.SendChat(ctx, "bob@localhost", "lost"); !errors.Is(err, xmpp.ErrNotConnected) {
		t.Fatalf("SendChat while down: %v, want ErrNotConnected", err)
	}

	s.Restart(t)
	waitFor[xmpp.Connected](t, alice, nil)
	r := waitFor[xmpp.RosterChanged](t, alice, nil)
	if c, ok := findContact(r, "bob@localhost"); !ok || c.Name != "Bob" || c.Subscription != "to" {
		t.Fatalf("roster after reconnect: %+v", r.Contacts)
	}
	waitFor(t, alice, func(p xmpp.Presence) bool { return p.From == "bob@localhost" && p.Available })
	if err := alice.SendChat(ctx, "bob@localhost", "back"); err != nil {
		t.Fatal(err)
	}
	if m := waitFor[xmpp.Message](t, bob, nil); m.Body != "back" {
		t.Fatalf("bob got %+v", m)
	}
}

// TestPacketLog checks the log sees the whole session with the SASL
// exchange, the register password and OTR bodies redacted.
func TestPacketLog(t *testing.T) {
	s := prosody.Start(t, prosody.Options{})
	var log packetLog
	cfg := account(s, "frank", "frankpass-secret")
	cfg.PacketLog = log.log
	if err := xmpp.Register(ctxT(t), cfg); err != nil {
		t.Fatal(err)
	}
	c := dial(t, cfg)
	waitFor[xmpp.Connected](t, c, nil)
	if err := c.ChangePassword(ctxT(t), []byte("frankpass-new")); err != nil {
		t.Fatal(err)
	}
	otr := "?OTR:AAMDJ+MVmSfjFZkAAAAAAQAAAAIAAADA."
	if err := c.SendChat(ctxT(t), "frank@localhost", otr); err != nil {
		t.Fatal(err)
	}
	waitFor(t, c, func(m xmpp.Message) bool { return m.Body == otr })
	c.Close()

	lines := log.all()
	var sawAuth, sawRegister, sawOTR bool
	for _, l := range lines {
		for _, secret := range []string{"frankpass-secret", "frankpass-new", "AAMDJ+MVmSfjFZk", "biws"} {
			if contains(l, secret) {
				t.Errorf("packet log leaks %q: %s", secret, l)
			}
		}
		sawAuth = sawAuth || contains(l, "out <auth xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\" mechanism=\"SCRAM-SHA-1\">[redacted]</auth>")
		sawRegister = sawRegister || contains(l, "<password>[redacted]</password>")
		sawOTR = sawOTR || contains(l, "in <message") && contains(l, "<body>[redacted]</body>")
	}
	if !sawAuth || !sawRegister || !sawOTR {
		t.Errorf("log misses redacted auth=%v register=%v otr=%v:\n%s", sawAuth, sawRegister, sawOTR, lines)
	}
}

// TestDeadConnection freezes prosody: the keepalive ping goes unanswered, the
// client cuts the connection and keeps retrying, and reconnects once the
// server answers again.
func TestDeadConnection(t *testing.T) {
	s := prosody.Start(t, prosody.Options{})
	s.Register(t, "alice", "alicepass")
	cfg := account(s, "alice", "alicepass")
	cfg.PingInterval = 100 * time.Millisecond
	cfg.Timeout = 500 * time.Millisecond
	var log packetLog
	cfg.PacketLog = log.log
	alice := dial(t, cfg)
	waitFor[xmpp.Connected](t, alice, nil)
	// Let two pings go out and be answered first.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		pings := 0
		for _, l := range log.all() {
			if strings.HasPrefix(l, "out <iq") && strings.Contains(l, `<ping xmlns="urn:xmpp:ping"></ping>`) {
				pings++
			}
			if strings.HasPrefix(l, "in <iq") && strings.Contains(l, "type='error'") {
				t.Fatalf("ping refused: %s", l)
			}
		}
		if pings >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pings in the log: %q", log.all())
		}
	}
	s.Pause()
	d := waitFor[xmpp.Disconnected](t, alice, nil)
	if d.GaveUp || !strings.Contains(d.Err.Error(), "no answer to a ping within 500ms") {
		t.Fatalf("Disconnected %+v, want a ping timeout", d)
	}
	// Attempts against the frozen server time out and are retried.
	waitFor[xmpp.Disconnected](t, alice, nil)
	s.Resume()
	waitFor[xmpp.Connected](t, alice, nil)
}
