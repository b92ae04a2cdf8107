package main

import (
	"context"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/internal/fingerprint"
	"github.com/padlock-phone/padlock/internal/testkit/output"
	"github.com/padlock-phone/padlock/internal/testkit/tone"
	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/media/callmedia"
	"github.com/padlock-phone/padlock/media/headset"
	"github.com/padlock-phone/padlock/protocols/jingleline"
	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/store"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
	"github.com/padlock-phone/padlock/tests/peers/slixmpp"
)

// otherPadlock is the person at the other end: a second Padlock's Jingle
// line and call media in this process, on its own XMPP account, with a
// file headset whose microphone plays a tone.
type otherPadlock struct {
	peer *prosody.PadlockClient
	line *jingleline.Driver
	ear  string
	// noZRTP, when set, hides the zrtp-hash from carol's next calls, so
	// they fall back to DTLS-SRTP as with today's XMPP clients.
	noZRTP atomic.Bool

	mu  sync.Mutex
	evs []call.Event
}

func newOtherPadlock(t *testing.T, srv *prosody.Server, user, pw string, micHz float64) *otherPadlock {
	t.Helper()
	o := &otherPadlock{ear: t.TempDir()}
	writeTone(t, filepath.Join(o.ear, "in.wav"), micHz, 30)
	dev, err := audio.NewFile(o.ear, audio.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	hs := headset.New(dev, nil)
	t.Cleanup(func() { hs.Close() })
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v, _ := vault.Create([]byte("pw"), vault.TestParams)
	st.SetSealer(v)
	zid, err := callmedia.DeviceZID(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	m, err := callmedia.New(callmedia.Config{ZID: zid, Cache: callmedia.StoreCache{St: st}, Headset: hs,
		BindIP: netip.MustParseAddr("127.0.0.1"), Emit: o.add})
	if err != nil {
		t.Fatal(err)
	}
	o.line, err = jingleline.New(jingleline.Config{Media: &jingleMediaOf{m, &o.noZRTP}, Loopback: true, ICETimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.line.Close() })
	go func() {
		for ev := range o.line.Events() {
			o.add(ev)
		}
	}()
	o.peer = srv.DialPadlock(t, user, pw)
	if err := o.line.AddAccount(user+"@"+srv.Domain, o.peer.C); err != nil {
		t.Fatal(err)
	}
	return o
}

type jingleMediaOf struct {
	*callmedia.Media
	noZRTP *atomic.Bool
}

func (m *jingleMediaOf) NewICESession(id call.ID) (jingleline.MediaSession, error) {
	s, err := m.Media.NewICESession(id)
	if err != nil {
		return nil, err
	}
	if m.noZRTP.Load() {
		return withoutZRTP{s}, nil
	}
	return s, nil
}

// withoutZRTP is a session that signals no zrtp-hash.
type withoutZRTP struct{ *callmedia.Session }

func (w withoutZRTP) Attributes() []string {
	var out []string
	for _, a := range w.Session.Attributes() {
		if !strings.HasPrefix(a, "zrtp-hash:") {
			out = append(out, a)
		}
	}
	return out
}

func (o *otherPadlock) add(ev call.Event) {
	o.mu.Lock()
	o.evs = append(o.evs, ev)
	o.mu.Unlock()
}

func (o *otherPadlock) await(t *testing.T, what string, ok func(call.Event) bool) call.Event {
	t.Helper()
	deadline := time.Now().Add(callWait)
	for time.Now().Before(deadline) {
		o.mu.Lock()
		evs := append([]call.Event(nil), o.evs...)
		o.mu.Unlock()
		for _, ev := range evs {
			if ok(ev) {
				return ev
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the other Padlock never saw %s; saw %#v", what, o.evs)
	return nil
}

// toneIn waits until the last second of dir's out.wav carries freq.
func toneIn(t *testing.T, dir string, freq float64, what string) {
	t.Helper()
	deadline := time.Now().Add(callWait)
	var l float64
	for time.Now().Before(deadline) {
		pcm, rate, err := audio.ReadWAV(filepath.Join(dir, "out.wav"))
		if err == nil && len(pcm) > rate {
			if l = tone.Level(pcm[len(pcm)-rate:], rate, freq); l > 0.2 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("%s: %.0f Hz at %.3f, want about 0.4", what, freq, l)
}

// TestJingleCallsThroughTheBrain: an XMPP account added in the web admin
// takes and makes voice calls with another Padlock over prosody: the call
// rings like a SIP call (STATUS blinks fast), ANSWER on the simulated
// panel takes it, ZRTP secures it with the SAS both sides show, audio
// flows both ways, HANGUP ends both; then the appliance dials
// xmpp:carol@localhost from the contacts page's Call button, then once
// more with carol's ZRTP hidden: DTLS-SRTP, whose fingerprints the phone
// page shows. History names the contact.
func TestJingleCallsThroughTheBrain(t *testing.T) {
	srv := prosody.Start(t, prosody.Options{})
	srv.Register(t, "desk", "desk-pass-0a9d")
	srv.Register(t, "carol", "carol-pass-0a9d")
	ear := t.TempDir()
	writeTone(t, filepath.Join(ear, "in.wav"), 700, 30) // the appliance's microphone
	a := &app{data: t.TempDir(), logs: &output.Buffer{}, audio: "file:" + ear}
	a.start(t)
	csrf := a.setUp(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("appliance log:\n%s", a.logs)
		}
	})
	if r, body := a.do(t, "POST", "/accounts", url.Values{"kind": {"xmpp"}, "user": {"desk"}, "server": {srv.Domain},
		"proxy": {srv.Addr}, "transport": {"tcp"}, "enabled": {"on"}, "password": {"desk-pass-0a9d"}, "save_password": {"on"}}, csrf); r.StatusCode >= 400 {
		t.Fatalf("add the account: %s %s", r.Status, body)
	}
	x := "/xmpp/" + strconv.Itoa(a.queryInt(t, `SELECT id FROM accounts WHERE user = 'desk'`))
	if r, body := a.do(t, "POST", x+"/pin", url.Values{"fingerprint": {fingerprint.Format(srv.Fingerprint)}}, csrf); r.StatusCode >= 400 {
		t.Fatalf("pin: %s %s", r.Status, body)
	}
	a.pollPage(t, x, "connected", func(body string) bool { return strings.Contains(body, `<span id="xmpp-status">connected</span>`) })

	carol := newOtherPadlock(t, srv, "carol", "carol-pass-0a9d", 1100)
	t.Cleanup(func() {
		if t.Failed() {
			carol.mu.Lock()
			t.Logf("carol's call events: %+v", carol.evs)
			carol.mu.Unlock()
		}
	})
	// Each adds the other; each authorises.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := carol.peer.C.AddContact(ctx, "desk@localhost", "Desk", ""); err != nil {
		t.Fatal(err)
	}
	a.pollPage(t, x, "carol's request", func(body string) bool { return strings.Contains(body, "carol@localhost") })
	if r, body := a.do(t, "POST", x+"/requests/authorize", url.Values{"jid": {"carol@localhost"}}, csrf); r.StatusCode >= 400 {
		t.Fatalf("authorize: %s %s", r.Status, body)
	}
	carol.peer.Await(t, "the desk's subscription request", func(ev xmpp.Event) bool {
		r, ok := ev.(xmpp.SubscriptionRequest)
		return ok && r.From == "desk@localhost"
	})
	if err := carol.peer.C.Authorize(ctx, "desk@localhost"); err != nil {
		t.Fatal(err)
	}
	carol.peer.Await(t, "the desk online", func(ev xmpp.Event) bool {
		p, ok := ev.(xmpp.Presence)
		return ok && p.From == "desk@localhost" && p.Available
	})

	// The desk's presence carries entity capabilities (XEP-0115) that an
	// independent client, slixmpp on another of carol's devices, checks
	// with its own hashing against the desk's disco#info.
	caps := slixmpp.Start(t, slixmpp.Config{JID: "carol@localhost", Password: "carol-pass-0a9d", Addr: srv.Addr, Cert: srv.Info().Cert, CheckCaps: true})
	ev := caps.Await(t, "the desk's caps checked", func(e slixmpp.Event) bool { return e.Event == "caps" && strings.HasPrefix(e.From, "desk@localhost/") })
	if ev.Body == "" || ev.Body != ev.Reason {
		t.Errorf("the desk's caps: ver %q in presence, slixmpp computes %q from its disco#info", ev.Body, ev.Reason)
	}
	t.Logf("the desk's caps ver %q, as slixmpp computes it %q", ev.Body, ev.Reason)
	caps.Do(t, map[string]any{"cmd": "quit"})

	// 1. Carol calls the desk.
	cid, err := carol.line.Dial("xmpp:desk@localhost")
	if err != nil {
		t.Fatal(err)
	}
	v := a.waitState(t, "status", "ringing-in")
	if l := lamps(v); l[2] != "fast-blink" && l[2] != "fastblink" && !strings.Contains(l[2], "fast") {
		t.Errorf("STATUS lamp while a Jingle call rings: %v", l)
	}
	a.do(t, "POST", "/panel/press", url.Values{"button": {"answer"}}, csrf)
	v = a.waitState(t, "security", "secured")
	sec := carol.await(t, "secured", func(ev call.Event) bool { s, ok := ev.(call.Secured); return ok && s.ID == cid }).(call.Secured)
	if sas, _ := v["sas"].(string); !strings.EqualFold(strings.ReplaceAll(sas, " ", ""), strings.ReplaceAll(sec.SAS, " ", "")) {
		t.Errorf("SAS: desk %q, carol %q", v["sas"], sec.SAS)
	}
	toneIn(t, carol.ear, 700, "the desk's microphone at carol")
	toneIn(t, ear, 1100, "carol's microphone in the desk's headset")
	a.do(t, "POST", "/panel/press", url.Values{"button": {"hangup"}}, csrf)
	carol.await(t, "the hang-up", func(ev call.Event) bool { e, ok := ev.(call.Ended); return ok && e.ID == cid })
	a.waitState(t, "status", "idle")

	// 2. The desk calls carol from the contacts page in a browser: her
	// device answers disco#info with Jingle RTP audio over ICE-UDP, so
	// her row has "Call"; she answers, then hangs up.
	b := a.openBrowser(t)
	b.open("/login")
	b.login(testPassword)
	b.open(x)
	callForm := `#contacts tr[data-jid="carol@localhost"] .call-contact`
	b.waitFor("Call offered for carol", `(() => { const f = document.querySelector('`+callForm+`'); return f !== null && !f.hidden })()`)
	b.lookRight("contacts with a Call button")
	b.submit(callForm + " button")
	in := carol.await(t, "the desk's call", func(ev call.Event) bool { i, ok := ev.(call.Incoming); return ok && i.From == "desk@localhost" }).(call.Incoming)
	if err := carol.line.Answer(in.ID); err != nil {
		t.Fatal(err)
	}
	a.waitState(t, "security", "secured")
	carol.line.Hangup(in.ID)
	a.waitState(t, "status", "idle")

	// 3. Carol's device without ZRTP: the call is DTLS-SRTP, "encrypted,
	// not verifiable", and the phone page shows both fingerprints.
	carol.noZRTP.Store(true)
	b.open("/")
	if r, body := a.do(t, "POST", "/call/dial", url.Values{"target": {"xmpp:carol@localhost"}}, csrf); r.StatusCode >= 400 {
		t.Fatalf("dial: %s %s", r.Status, body)
	}
	in = carol.await(t, "the desk's second call", func(ev call.Event) bool {
		i, ok := ev.(call.Incoming)
		return ok && i.From == "desk@localhost" && i.ID != in.ID
	}).(call.Incoming)
	if err := carol.line.Answer(in.ID); err != nil {
		t.Fatal(err)
	}
	a.waitState(t, "security", "encrypted")
	dtls := carol.await(t, "DTLS-SRTP keys", func(ev call.Event) bool {
		s, ok := ev.(call.SecuredUnverifiable)
		return ok && s.ID == in.ID
	}).(call.SecuredUnverifiable)
	b.waitFor("the fingerprints shown", `(() => { const d = document.getElementById("dtls"); return d !== null && !d.hidden &&
		document.getElementById("dtls-peer").textContent === `+strconv.Quote(dtls.LocalFingerprint)+` &&
		document.getElementById("dtls-local").textContent === `+strconv.Quote(dtls.PeerFingerprint)+` })()`)
	if txt := b.textOf("#dtls"); !strings.Contains(txt, "Encrypted, not verifiable: the XMPP server vouched for these keys") {
		t.Errorf("the DTLS block says %q", txt)
	}
	b.lookRight("phone page in a DTLS-SRTP call")
	carol.line.Hangup(in.ID)
	a.waitState(t, "status", "idle")
	b.waitFor("the fingerprints gone with the call", `document.getElementById("dtls").hidden`)

	want := []string{"in carol@localhost", "out xmpp:carol@localhost", "out xmpp:carol@localhost"}
	if got := waitHistory(t, a, len(want)); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("call history rows:\n got  %q\n want %q", got, want)
	}
}
