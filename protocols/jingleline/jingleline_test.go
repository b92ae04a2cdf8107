package jingleline_test

import (
	"context"
	"log/slog"
	"math"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/internal/testkit/tone"
	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/media/callmedia"
	"github.com/padlock-phone/padlock/media/headset"
	"github.com/padlock-phone/padlock/protocols/jingleline"
	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/store"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
)

// testLog sends the line's log to the test's.
func testLog(t testing.TB, who string) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})).With("phone", who)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// media adapts callmedia to the line, as cmd/appliance does.
type media struct{ *callmedia.Media }

func (m media) NewICESession(id call.ID) (jingleline.MediaSession, error) {
	s, err := m.Media.NewICESession(id)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// phone is one Padlock: an XMPP account, the Jingle line, call media on a
// file headset whose microphone plays a tone.
type phone struct {
	name string
	peer *prosody.PadlockClient
	line *jingleline.Driver
	dir  string

	mu  sync.Mutex
	evs []call.Event
}

func newPhone(t testing.TB, s *prosody.Server, user string, micHz float64) *phone {
	t.Helper()
	dir := t.TempDir()
	w, err := audio.CreateWAV(filepath.Join(dir, "in.wav"), 8000)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, 8000*20)
	for i := range pcm {
		pcm[i] = int16(0.4 * 32767 * math.Sin(2*math.Pi*micHz*float64(i)/8000))
	}
	w.Write(pcm)
	w.Close()
	dev, err := audio.NewFile(dir, audio.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	hs := headset.New(dev, nil)
	t.Cleanup(func() { hs.Close() })
	p := &phone{name: user + "@" + s.Domain, dir: dir}
	st, err := store.Open(context.Background(), filepath.Join(dir, "db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v, err := vault.Create([]byte("pw"), vault.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	st.SetSealer(v)
	zid, err := callmedia.DeviceZID(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	m, err := callmedia.New(callmedia.Config{ZID: zid, Cache: callmedia.StoreCache{St: st}, Headset: hs, BindIP: netip.MustParseAddr("127.0.0.1"), Emit: p.add})
	if err != nil {
		t.Fatal(err)
	}
	p.line, err = jingleline.New(jingleline.Config{Media: media{m}, Loopback: true, ICETimeout: 5 * time.Second, Log: testLog(t, user)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.line.Close() })
	go func() {
		for ev := range p.line.Events() {
			p.add(ev)
		}
	}()
	p.peer = s.DialPadlock(t, user, user+"pass")
	if err := p.line.AddAccount(p.name, p.peer.C); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *phone) add(ev call.Event) {
	p.mu.Lock()
	p.evs = append(p.evs, ev)
	p.mu.Unlock()
}

// await waits for an event matching ok and returns it.
func await[T call.Event](t testing.TB, p *phone, ok func(T) bool) T {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		evs := append([]call.Event(nil), p.evs...)
		p.mu.Unlock()
		for _, ev := range evs {
			if v, is := ev.(T); is && (ok == nil || ok(v)) {
				return v
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var zero T
	t.Fatalf("%s never saw %T; saw %#v", p.name, zero, p.evs)
	return zero
}

// befriend makes a and b see each other's presence.
func befriend(t testing.TB, a, b *phone) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := a.peer.C.AddContact(ctx, b.name, "", ""); err != nil {
		t.Fatal(err)
	}
	b.peer.Await(t, "a's subscription request", func(ev xmpp.Event) bool { r, ok := ev.(xmpp.SubscriptionRequest); return ok && r.From == a.name })
	if err := b.peer.C.Authorize(ctx, a.name); err != nil {
		t.Fatal(err)
	}
	a.peer.Await(t, "b's subscription request", func(ev xmpp.Event) bool { r, ok := ev.(xmpp.SubscriptionRequest); return ok && r.From == b.name })
	if err := a.peer.C.Authorize(ctx, b.name); err != nil {
		t.Fatal(err)
	}
	a.peer.Await(t, "b online", func(ev xmpp.Event) bool { p, ok := ev.(xmpp.Presence); return ok && p.From == b.name && p.Available })
	b.peer.Await(t, "a online", func(ev xmpp.Event) bool { p, ok := ev.(xmpp.Presence); return ok && p.From == a.name && p.Available })
}

// toneLevel waits for two seconds in p's ear and measures freq in the last.
func toneLevel(t testing.TB, p *phone, freq float64) float64 {
	t.Helper()
	// The ear's file grows from the call's start; the tone comes once the
	// media is up (with Opus, a little later than with G.722), so the last
	// second is read again until it carries the tone or time is up: a
	// single early reading was a flaky 0.19.
	deadline := time.Now().Add(15 * time.Second)
	level, heard := 0.0, false
	for time.Now().Before(deadline) {
		pcm, rate, err := audio.ReadWAV(filepath.Join(p.dir, "out.wav"))
		if err == nil && len(pcm) > 2*rate {
			level, heard = tone.Level(pcm[len(pcm)-rate:], rate, freq), true
			if level >= 0.2 { // what the callers ask for
				return level
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !heard {
		t.Fatalf("%s heard nothing", p.name)
	}
	return level
}

// TestPadlockToPadlock: two Padlocks on prosody. Alice calls Bob; both
// advertise XEP-0353, so Bob's device rings from a propose; he answers;
// ZRTP runs over the ICE pair with the same SAS on both; each hears the
// other's tone; Alice hangs up and Bob's call ends.
func TestPadlockToPadlock(t *testing.T) {
	s := prosody.Start(t, prosody.Options{})
	s.Register(t, "alice", "alicepass")
	s.Register(t, "bob", "bobpass")
	alice := newPhone(t, s, "alice", 700)
	bob := newPhone(t, s, "bob", 1100)
	befriend(t, alice, bob)

	id, err := alice.line.Dial("xmpp:" + bob.name)
	if err != nil {
		t.Fatal(err)
	}
	in := await(t, bob, func(ev call.Incoming) bool { return ev.From == alice.name && ev.Account == bob.name })
	await(t, alice, func(ev call.Ringing) bool { return ev.ID == id })
	if err := bob.line.Answer(in.ID); err != nil {
		t.Fatal(err)
	}
	await(t, alice, func(ev call.Answered) bool { return ev.ID == id })
	await(t, bob, func(ev call.Answered) bool { return ev.ID == in.ID })
	sa := await(t, alice, func(ev call.Secured) bool { return ev.ID == id })
	sb := await(t, bob, func(ev call.Secured) bool { return ev.ID == in.ID })
	if sa.SAS == "" || sa.SAS != sb.SAS {
		t.Fatalf("SAS %q on alice, %q on bob", sa.SAS, sb.SAS)
	}
	if l := toneLevel(t, bob, 700); l < 0.2 {
		t.Errorf("alice's 700 Hz in bob's ear at %.2f, want ~0.4", l)
	}
	if l := toneLevel(t, alice, 1100); l < 0.2 {
		t.Errorf("bob's 1100 Hz in alice's ear at %.2f, want ~0.4", l)
	}
	// Hold and resume (XEP-0167 session-info): Bob is told both.
	if err := alice.line.Hold(id, true); err != nil {
		t.Fatal(err)
	}
	await(t, bob, func(ev call.Held) bool { return ev.ID == in.ID && ev.On })
	if err := alice.line.Hold(id, false); err != nil {
		t.Fatal(err)
	}
	await(t, bob, func(ev call.Held) bool { return ev.ID == in.ID && !ev.On })

	// Both compare the SAS and confirm it: the next call starts verified.
	if err := alice.line.SetVerified(id, true); err != nil {
		t.Fatal(err)
	}
	if err := bob.line.SetVerified(in.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := alice.line.Hangup(id); err != nil {
		t.Fatal(err)
	}
	end := await(t, bob, func(ev call.Ended) bool { return ev.ID == in.ID })
	if end.Reason != "hung up" {
		t.Errorf("bob's call ended with %q", end.Reason)
	}
	await(t, alice, func(ev call.Ended) bool { return ev.ID == id })

	id2, err := bob.line.Dial("xmpp:" + alice.name)
	if err != nil {
		t.Fatal(err)
	}
	in2 := await(t, alice, func(ev call.Incoming) bool { return ev.ID != in.ID && ev.From == bob.name })
	if err := alice.line.Answer(in2.ID); err != nil {
		t.Fatal(err)
	}
	v1 := await(t, alice, func(ev call.Secured) bool { return ev.ID == in2.ID })
	v2 := await(t, bob, func(ev call.Secured) bool { return ev.ID == id2 })
	if !v1.Verified || !v2.Verified {
		t.Errorf("the call after the SAS was confirmed is not verified at once: %v %v", v1.Verified, v2.Verified)
	}
	alice.line.Hangup(in2.ID)
	await(t, bob, func(ev call.Ended) bool { return ev.ID == id2 })
}

// TestRingsEveryDevice: Bob is logged in on two Padlocks; Alice's call
// rings both (XEP-0353 propose to his bare JID); he answers on the second
// and the first stops ringing.
func TestRingsEveryDevice(t *testing.T) {
	s := prosody.Start(t, prosody.Options{})
	s.Register(t, "alice", "alicepass")
	s.Register(t, "bob", "bobpass")
	alice := newPhone(t, s, "alice", 700)
	desk := newPhone(t, s, "bob", 1100)
	befriend(t, alice, desk)
	kitchen := newPhone(t, s, "bob", 1300)
	kjid, _ := kitchen.peer.C.JID()
	_, kres, _ := strings.Cut(kjid, "/")
	alice.peer.Await(t, "bob's second device online", func(ev xmpp.Event) bool {
		p, ok := ev.(xmpp.Presence)
		return ok && p.From == desk.name && p.Resource == kres && p.Available
	})

	id, err := alice.line.Dial("xmpp:" + desk.name)
	if err != nil {
		t.Fatal(err)
	}
	inDesk := await(t, desk, func(ev call.Incoming) bool { return ev.From == alice.name })
	inKitchen := await(t, kitchen, func(ev call.Incoming) bool { return ev.From == alice.name })
	if err := kitchen.line.Answer(inKitchen.ID); err != nil {
		t.Fatal(err)
	}
	end := await(t, desk, func(ev call.Ended) bool { return ev.ID == inDesk.ID })
	if end.Reason != "answered on another device" {
		t.Errorf("the desk phone stopped ringing with %q", end.Reason)
	}
	sa := await(t, alice, func(ev call.Secured) bool { return ev.ID == id })
	sk := await(t, kitchen, func(ev call.Secured) bool { return ev.ID == inKitchen.ID })
	if sa.SAS != sk.SAS {
		t.Fatalf("SAS %q / %q", sa.SAS, sk.SAS)
	}
	if l := toneLevel(t, alice, 1300); l < 0.2 {
		t.Errorf("the kitchen phone's 1300 Hz in alice's ear at %.2f", l)
	}
	alice.line.Hangup(id)
	await(t, kitchen, func(ev call.Ended) bool { return ev.ID == inKitchen.ID })
}
