package otr

import (
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestAKEAndData(t *testing.T) {
	tests := []struct {
		name    string
		pa, pb  Policy
		version int
	}{
		{"v3", policyV3, policyV3, 3},
		{"v2 only on responder", policyV3, policyV2, 2},
		{"v2 only on initiator", policyV2, policyV3, 2},
		{"v2 both", policyV2, policyV2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alice := newPeer(t, "alice", tt.pa, 0x1111, 0)
			bob := newPeer(t, "bob", tt.pb, 0x2222, 0)
			secure(t, alice, bob)
			if v := alice.has(WentSecure).Version; v != tt.version {
				t.Fatalf("version %d, want %d", v, tt.version)
			}
			deliver(t, alice, bob, alice.send(t, "hello bob"))
			deliver(t, bob, alice, bob.send(t, "hello alice"))
			deliver(t, alice, bob, alice.send(t, "<b>html</b> & ünïcode"))
			if strings.Join(bob.shown, "|") != "hello bob|<b>html</b> & ünïcode" || strings.Join(alice.shown, "|") != "hello alice" {
				t.Fatalf("shown: bob %q alice %q", bob.shown, alice.shown)
			}
		})
	}
}

func TestAKEBothDirectionsAndCrossing(t *testing.T) {
	t.Run("bob starts", func(t *testing.T) {
		alice := newPeer(t, "alice", policyV3, 0x1111, 0)
		bob := newPeer(t, "bob", policyV3, 0x2222, 0)
		secure(t, bob, alice)
	})
	t.Run("both query at once", func(t *testing.T) {
		alice := newPeer(t, "alice", policyV3, 0x1111, 0)
		bob := newPeer(t, "bob", policyV3, 0x2222, 0)
		// Each answers the other's query with a D-H Commit; the commits
		// cross on the wire.
		_, ca, _, _ := alice.c.Receive(bob.c.QueryMessage())
		_, cb, _, _ := bob.c.Receive(alice.c.QueryMessage())
		var toBob, toAlice []string
		for _, m := range ca {
			_, out, ev, err := bob.c.Receive(m)
			if err != nil {
				t.Fatal(err)
			}
			bob.events = append(bob.events, ev...)
			toAlice = append(toAlice, out...)
		}
		for _, m := range cb {
			_, out, ev, err := alice.c.Receive(m)
			if err != nil {
				t.Fatal(err)
			}
			alice.events = append(alice.events, ev...)
			toBob = append(toBob, out...)
		}
		deliver(t, alice, bob, toBob)
		deliver(t, bob, alice, toAlice)
		checkSecure(t, alice, bob)
	})
}

func TestKeyRotation(t *testing.T) {
	alice := newPeer(t, "alice", policyV3, 0x1111, 0)
	bob := newPeer(t, "bob", policyV3, 0x2222, 0)
	secure(t, alice, bob)
	revealed := 0
	for i := 0; i < 6; i++ {
		// Several in a row from one side, then a reply: each reply
		// acknowledges the sender's newest key.
		for j := 0; j < 3; j++ {
			deliver(t, alice, bob, alice.send(t, "a"))
		}
		msgs := bob.send(t, "b")
		m := mustParse(t, msgs[0])
		revealed += len(m.oldMACs)
		deliver(t, bob, alice, msgs)
	}
	if got := alice.c.sess.ourKeyID; got < 6 {
		t.Errorf("alice's key id only reached %d", got)
	}
	if got := bob.c.sess.theirKeyID; got != alice.c.sess.ourKeyID-1 && got != alice.c.sess.ourKeyID {
		t.Errorf("bob's view of alice's key id %d, alice at %d", got, alice.c.sess.ourKeyID)
	}
	if revealed == 0 || revealed%macLen != 0 {
		t.Errorf("bob revealed %d bytes of old MAC keys", revealed)
	}
	if len(bob.c.sess.slots) > 4 || len(alice.c.sess.slots) > 4 {
		t.Errorf("old key pairings kept: %d and %d", len(alice.c.sess.slots), len(bob.c.sess.slots))
	}
	if len(bob.shown) != 18 || len(alice.shown) != 6 {
		t.Errorf("shown %d and %d messages", len(bob.shown), len(alice.shown))
	}
}

func mustParse(t *testing.T, s string) *wireMsg {
	t.Helper()
	b, ok, err := decodeWire(s)
	if !ok || err != nil {
		t.Fatalf("not an encoded message: %q", s)
	}
	m, err := parseWire(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestReplayAndTamper(t *testing.T) {
	alice := newPeer(t, "alice", policyV3, 0x1111, 0)
	bob := newPeer(t, "bob", policyV3, 0x2222, 0)
	secure(t, alice, bob)
	msg := alice.send(t, "once")
	deliver(t, alice, bob, msg)
	_, out, ev, err := bob.c.Receive(msg[0])
	if err != nil || len(ev) != 1 || ev[0].Kind != UnreadableReceived || len(out) != 1 || !strings.HasPrefix(out[0], prefixError) {
		t.Fatalf("replay: out %q events %v err %v", out, ev, err)
	}
	m := mustParse(t, alice.send(t, "tampered")[0])
	m.encMsg[0] ^= 1
	plain, _, ev, _ := bob.c.Receive(encodeWire(m.marshal()))
	if plain != "" || len(ev) != 1 || ev[0].Kind != UnreadableReceived {
		t.Fatalf("tampered message: %q %v", plain, ev)
	}
	m.flags |= flagIgnoreUnreadable
	if _, out, ev, _ := bob.c.Receive(encodeWire(m.marshal())); len(out)+len(ev) != 0 {
		t.Fatalf("IGNORE_UNREADABLE not honoured: %q %v", out, ev)
	}
}

func TestFragmentedLongMessage(t *testing.T) {
	for _, p := range []Policy{policyV3, policyV2} {
		alice := newPeer(t, "alice", p, 0x1111, 140)
		bob := newPeer(t, "bob", p, 0x2222, 140)
		secure(t, alice, bob)
		long := strings.Repeat("0123456789", 300)
		msgs := alice.send(t, long)
		if len(msgs) < 20 {
			t.Fatalf("only %d fragments", len(msgs))
		}
		for _, m := range msgs {
			if len(m) > 140 {
				t.Fatalf("fragment of %d bytes", len(m))
			}
		}
		deliver(t, alice, bob, msgs)
		if len(bob.shown) != 1 || bob.shown[0] != long {
			t.Fatalf("long message not reassembled (%d shown)", len(bob.shown))
		}
	}
}

func TestInstanceTagMismatch(t *testing.T) {
	alice := newPeer(t, "alice", policyV3, 0x1111, 0)
	bob := newPeer(t, "bob", policyV3, 0x2222, 0)
	secure(t, alice, bob)
	m := mustParse(t, alice.send(t, "for bob only")[0])
	tests := []struct {
		name             string
		sender, receiver uint32
	}{
		{"other receiver", 0x1111, 0x3333},
		{"receiver zero", 0x1111, 0},
		{"reserved receiver", 0x1111, 0x42},
		{"reserved sender", 0x42, 0x2222},
		{"other sender", 0x4444, 0x2222},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *m
			c.senderTag, c.receiverTag = tt.sender, tt.receiver
			plain, out, ev, err := bob.c.Receive(encodeWire(c.marshal()))
			if plain != "" || len(out) != 0 || err != nil || len(ev) != 1 || ev[0].Kind != MessageIgnored {
				t.Fatalf("got %q %q %v %v", plain, out, ev, err)
			}
		})
	}
	// A fragment addressed to another instance is dropped too.
	frag := "?OTR|00001111|00003333,00001,00001," + alice.send(t, "x")[0] + ","
	if plain, _, ev, _ := bob.c.Receive(frag); plain != "" || len(ev) != 1 || ev[0].Kind != MessageIgnored {
		t.Fatalf("fragment for another instance: %q %v", plain, ev)
	}
	// A D-H Commit for another instance does not disturb the session.
	carol := newPeer(t, "carol", policyV3, 0x5555, 0)
	_, commit, _, _ := carol.c.Receive(bob.c.QueryMessage())
	cm := mustParse(t, commit[0])
	cm.receiverTag = 0x3333
	if _, out, _, _ := bob.c.Receive(encodeWire(cm.marshal())); len(out) != 0 || !bob.c.IsEncrypted() {
		t.Fatal("commit for another instance answered")
	}
	if !bob.c.IsEncrypted() {
		t.Fatal("session lost")
	}
	deliver(t, alice, bob, alice.send(t, "still here"))
	if bob.shown[len(bob.shown)-1] != "still here" {
		t.Fatal("session broken by dropped messages")
	}
}

func TestPolicies(t *testing.T) {
	t.Run("whitespace tag starts AKE", func(t *testing.T) {
		alice := newPeer(t, "alice", policyAuto, 0x1111, 0)
		bob := newPeer(t, "bob", policyAuto, 0x2222, 0)
		first := alice.send(t, "hi")
		if !strings.HasPrefix(first[0], "hi"+wsBase) {
			t.Fatalf("no whitespace tag: %q", first[0])
		}
		deliver(t, alice, bob, first)
		if len(bob.shown) != 1 || bob.shown[0] != "hi" {
			t.Fatalf("bob shown %q", bob.shown)
		}
		checkSecure(t, alice, bob)
	})
	t.Run("no tag after plaintext received", func(t *testing.T) {
		alice := newPeer(t, "alice", policyAuto, 0x1111, 0)
		alice.c.Receive("plain hello")
		if m := alice.send(t, "reply"); m[0] != "reply" {
			t.Fatalf("tag still sent: %q", m[0])
		}
	})
	t.Run("require encryption holds then sends", func(t *testing.T) {
		p := policyV3
		p.RequireEncryption = true
		alice := newPeer(t, "alice", p, 0x1111, 0)
		bob := newPeer(t, "bob", policyV3, 0x2222, 0)
		out, err := alice.c.Send("secret plans")
		if err != ErrHeld || len(out) != 1 || out[0] != "?OTRv23?" {
			t.Fatalf("Send: %q %v", out, err)
		}
		// A second message is held too, without a second query (which
		// would restart the AKE).
		if again, err := alice.c.Send("more plans"); err != ErrHeld || len(again) != 0 {
			t.Fatalf("second Send: %q %v", again, err)
		}
		deliver(t, alice, bob, out)
		checkSecure(t, alice, bob)
		if alice.has(HeldMessagesSent) == nil || strings.Join(bob.shown, "|") != "secret plans|more plans" {
			t.Fatalf("held messages not delivered: %q %v", bob.shown, alice.events)
		}
		_, _, ev, _ := alice.c.Receive("plaintext")
		if len(ev) != 1 || ev[0].Kind != UnencryptedReceived {
			t.Fatalf("no warning for plaintext: %v", ev)
		}
	})
	t.Run("error starts AKE", func(t *testing.T) {
		alice := newPeer(t, "alice", policyV3, 0x1111, 0)
		_, out, ev, _ := alice.c.Receive("?OTR Error: what?")
		if len(out) != 1 || out[0] != "?OTRv23?" || len(ev) != 1 || ev[0].Kind != ErrorReceived || ev[0].Detail != "what?" {
			t.Fatalf("got %q %v", out, ev)
		}
	})
	t.Run("v3 disallowed ignores v3 messages", func(t *testing.T) {
		alice := newPeer(t, "alice", policyV3, 0x1111, 0)
		bob := newPeer(t, "bob", policyV2, 0x2222, 0)
		_, commit, _, _ := alice.c.Receive("?OTRv3?")
		_, out, ev, _ := bob.c.Receive(commit[0])
		if len(out) != 0 || len(ev) != 1 || ev[0].Kind != MessageIgnored {
			t.Fatalf("got %q %v", out, ev)
		}
	})
	t.Run("OTR disabled", func(t *testing.T) {
		c, err := NewConversation(Config{PrivateKey: testKey(t, "alice"), Rand: newDetRand("x")})
		if err != nil {
			t.Fatal(err)
		}
		if p, out, _, _ := c.Receive("?OTRv23?"); p != "?OTRv23?" || out != nil {
			t.Fatal("disabled engine handled a query")
		}
	})
	t.Run("encrypted data without session", func(t *testing.T) {
		alice := newPeer(t, "alice", policyV3, 0x1111, 0)
		bob := newPeer(t, "bob", policyV3, 0x2222, 0)
		secure(t, alice, bob)
		carol := newPeer(t, "carol", policyV3, 0x2222, 0)
		_, out, ev, _ := carol.c.Receive(alice.send(t, "x")[0])
		if len(out) != 1 || len(ev) != 1 || ev[0].Kind != UnreadableReceived {
			t.Fatalf("got %q %v", out, ev)
		}
	})
}

func TestEnd(t *testing.T) {
	alice := newPeer(t, "alice", policyV3, 0x1111, 0)
	bob := newPeer(t, "bob", policyV3, 0x2222, 0)
	secure(t, alice, bob)
	bye, err := alice.c.End()
	if err != nil || alice.c.IsEncrypted() {
		t.Fatal(err)
	}
	deliver(t, alice, bob, bye)
	if bob.has(WentInsecure) == nil || bob.c.IsEncrypted() {
		t.Fatal("bob did not see the end")
	}
	if _, err := bob.c.Send("too late"); err != ErrFinished {
		t.Fatalf("send in finished state: %v", err)
	}
	if out, err := bob.c.End(); err != nil || out != nil {
		t.Fatal(out, err)
	}
	if out, err := bob.c.Send("plain again"); err != nil || out[0] != "plain again" {
		t.Fatal(out, err)
	}
	// And they can start over.
	alice.events, bob.events = nil, nil
	secure(t, bob, alice)
}

func TestHeartbeatAndExtraKey(t *testing.T) {
	alice := newPeer(t, "alice", policyV3, 0x1111, 0)
	bob := newPeer(t, "bob", policyV3, 0x2222, 0)
	secure(t, alice, bob)
	hb, err := alice.c.Heartbeat()
	if err != nil {
		t.Fatal(err)
	}
	if m := mustParse(t, hb[0]); m.flags&flagIgnoreUnreadable == 0 {
		t.Fatal("heartbeat without IGNORE_UNREADABLE")
	}
	deliver(t, alice, bob, hb)
	if len(bob.shown) != 0 {
		t.Fatal("heartbeat shown")
	}
	key, msgs, err := alice.c.ExtraSymmetricKey(0x00010002, []byte("file.txt"))
	if err != nil {
		t.Fatal(err)
	}
	deliver(t, alice, bob, msgs)
	e := bob.has(ExtraKeyReceived)
	if e == nil || e.ExtraKey != key || e.ExtraKeyUse != 0x00010002 || string(e.ExtraKeyData) != "file.txt" {
		t.Fatalf("extra key event %+v", e)
	}
}

func TestFormatting(t *testing.T) {
	fp := [20]byte{0xde, 0xad, 0xbe, 0xef}
	if got := FormatFingerprint(fp); got != "DEADBEEF 00000000 00000000 00000000 00000000" {
		t.Errorf("FormatFingerprint = %q", got)
	}
	if got := FormatSSID([8]byte{1, 2, 3, 4, 0xa, 0xb, 0xc, 0xd}); got != "01020304 0a0b0c0d" {
		t.Errorf("FormatSSID = %q", got)
	}
}

func TestNewConversationChecks(t *testing.T) {
	if _, err := NewConversation(Config{}); err == nil {
		t.Error("no key accepted")
	}
	if _, err := NewConversation(Config{PrivateKey: testKey(t, "alice"), InstanceTag: 0x42}); err == nil {
		t.Error("reserved instance tag accepted")
	}
	c, err := NewConversation(Config{PrivateKey: testKey(t, "alice"), Rand: newDetRand("t")})
	if err != nil || c.InstanceTag() < minInstanceTag {
		t.Errorf("random tag %#x, %v", c.InstanceTag(), err)
	}
}

// FuzzReceive feeds arbitrary text to engines in each state (plaintext,
// mid-AKE, encrypted): nothing may panic, whatever arrives.
func FuzzReceive(f *testing.F) {
	f.Add("?OTRv23?")
	f.Add("?OTR:AAMCAAABAAAAAAAAAAA=.")
	f.Add("?OTR|00000100|00000000,00001,00002,?OTR:AA,")
	f.Add("?OTR,1,1,?OTR:AAIK.,")
	f.Add("hello" + wsBase + wsV3)
	f.Add("?OTR Error: x")
	t := &testing.T{}
	alice := newPeer(t, "alice", policyAuto, 0x1111, 0)
	bob := newPeer(t, "bob", policyAuto, 0x2222, 0)
	var toBob []string
	_, toBob, _, _ = alice.c.Receive(bob.c.QueryMessage())
	for len(toBob) > 0 {
		var toAlice []string
		for _, m := range toBob {
			_, out, _, _ := bob.c.Receive(m)
			toAlice = append(toAlice, out...)
		}
		toBob = nil
		for _, m := range toAlice {
			_, out, _, _ := alice.c.Receive(m)
			toBob = append(toBob, out...)
		}
	}
	if !bob.c.IsEncrypted() {
		f.Fatal("fuzz setup: no private conversation")
	}
	data, _ := alice.c.Send("seed")
	f.Add(data[0])
	smp, _ := alice.c.Authenticate("q", []byte("s"))
	f.Add(smp[0])
	key := testKey(f, "carol")
	f.Fuzz(func(t *testing.T, msg string) {
		fresh, err := NewConversation(Config{PrivateKey: key, Policy: policyAuto, Rand: newDetRand("f"), InstanceTag: 0x2222})
		if err != nil {
			t.Fatal(err)
		}
		fresh.Receive(msg)
		fresh.Receive("?OTRv3?")
		fresh.Receive(msg)
		bob.c.Receive(msg)
	})
}

func TestDataRejectsBadNextKey(t *testing.T) {
	alice := newPeer(t, "alice", policyV3, 0x1111, 0)
	bob := newPeer(t, "bob", policyV3, 0x2222, 0)
	secure(t, alice, bob)
	good := alice.c.sess.ourCur.pub
	for _, bad := range []*big.Int{big.NewInt(1), new(big.Int).Sub(dhPrime, big.NewInt(1))} {
		alice.c.sess.ourCur.pub = bad // a correctly MAC'd message announcing a bad key
		msg := alice.send(t, "with a bad next key")
		plain, _, ev, _ := bob.c.Receive(msg[0])
		if plain != "" || len(ev) != 1 || ev[0].Kind != UnreadableReceived {
			t.Fatalf("next key %v accepted: %q %v", bad, plain, ev)
		}
	}
	alice.c.sess.ourCur.pub = good
	deliver(t, alice, bob, alice.send(t, "good again"))
	deliver(t, bob, alice, bob.send(t, "reply"))
	if len(bob.shown) != 1 || len(alice.shown) != 1 {
		t.Fatalf("session broken: %q %q", bob.shown, alice.shown)
	}
}

func TestAutomaticHeartbeat(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	mk := func(name string, tag uint32) *peer {
		c, err := NewConversation(Config{PrivateKey: testKey(t, name), Policy: policyV3, Rand: newDetRand(name),
			InstanceTag: tag, HeartbeatInterval: time.Minute, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		return &peer{name: name, c: c}
	}
	alice, bob := mk("alice", 0x1111), mk("bob", 0x2222)
	secure(t, alice, bob)
	// Bob only reads. Within the interval of his last send: no heartbeat.
	msg := alice.send(t, "one")
	if _, out, _, _ := bob.c.Receive(msg[0]); len(out) != 0 {
		t.Fatalf("heartbeat too early: %q", out)
	}
	now = now.Add(2 * time.Minute)
	msg = alice.send(t, "two")
	_, out, _, _ := bob.c.Receive(msg[0])
	if len(out) != 1 || mustParse(t, out[0]).flags&flagIgnoreUnreadable == 0 {
		t.Fatalf("no heartbeat after the interval: %q", out)
	}
	before := alice.c.sess.ourKeyID
	// Alice takes it silently (no heartbeat back for a heartbeat) and
	// rotates her key, as if Bob had replied.
	shown, back, _, _ := alice.c.Receive(out[0])
	if shown != "" || len(back) != 0 || alice.c.sess.ourKeyID != before+1 {
		t.Fatalf("heartbeat handling: shown %q, sent %q, key id %d -> %d", shown, back, before, alice.c.sess.ourKeyID)
	}
	// Right after sending it, Bob sends no second one.
	if _, out, _, _ := bob.c.Receive(alice.send(t, "three")[0]); len(out) != 0 {
		t.Fatalf("second heartbeat: %q", out)
	}
}

func TestPadding(t *testing.T) {
	for _, padTo := range []int{1, 16, 256, 1000} {
		c, err := NewConversation(Config{PrivateKey: testKey(t, "alice"), Policy: policyV3, Rand: newDetRand("alice"), InstanceTag: 0x1111, PadTo: padTo})
		if err != nil {
			t.Fatal(err)
		}
		alice := &peer{name: "alice", c: c}
		bob := newPeer(t, "bob", policyV3, 0x2222, 0)
		secure(t, alice, bob)
		for _, text := range []string{"", "x", strings.Repeat("y", 300)} {
			msgs := alice.send(t, text)
			if n := len(mustParse(t, msgs[0]).encMsg); n%padTo != 0 {
				t.Errorf("PadTo %d: %d-byte message encrypted to %d bytes", padTo, len(text), n)
			}
			deliver(t, alice, bob, msgs)
		}
		if strings.Join(bob.shown, "|") != "x|"+strings.Repeat("y", 300) {
			t.Errorf("PadTo %d: shown %q", padTo, bob.shown)
		}
	}
}

func TestResendAfterPeerRestart(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		newKey    string        // the key of the restarted correspondent
		delay     time.Duration // between the first sending and the new AKE
		window    time.Duration
		wantShown bool
	}{
		{"same key within window", "bob", 10 * time.Second, time.Minute, true},
		{"different key", "carol", 10 * time.Second, time.Minute, false},
		{"window passed", "bob", 2 * time.Minute, time.Minute, false},
		{"off", "bob", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := now
			c, err := NewConversation(Config{PrivateKey: testKey(t, "alice"), Policy: policyV3, Rand: newDetRand("alice"),
				InstanceTag: 0x1111, ResendWindow: tt.window, Now: func() time.Time { return clock }})
			if err != nil {
				t.Fatal(err)
			}
			alice := &peer{name: "alice", c: c}
			secure(t, alice, newPeer(t, "bob", policyV3, 0x2222, 0))
			restarted := newPeer(t, tt.newKey, policyV3, 0x2222, 0) // instance tags persist across restarts
			lost := alice.send(t, "did you get this?")
			_, errMsg, _, _ := restarted.c.Receive(lost[0])
			if len(errMsg) != 1 || !strings.HasPrefix(errMsg[0], prefixError) {
				t.Fatalf("restarted peer answered %q", errMsg)
			}
			clock = clock.Add(tt.delay)
			deliver(t, restarted, alice, errMsg)
			resent := alice.has(MessageResent) != nil
			if got := len(restarted.shown) == 1 && restarted.shown[0] == "did you get this?"; got != tt.wantShown || resent != tt.wantShown {
				t.Fatalf("shown %q, resent event %v; want %v", restarted.shown, resent, tt.wantShown)
			}
			if !alice.c.IsEncrypted() || !restarted.c.IsEncrypted() {
				t.Fatal("no new private conversation")
			}
		})
	}
}
