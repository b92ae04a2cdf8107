package main

import (
	"database/sql"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/internal/testkit/output"
	_ "modernc.org/sqlite"

	"github.com/padlock-phone/padlock/internal/testkit/tone"
	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/tests/peers/kamailio"
	"github.com/padlock-phone/padlock/tests/peers/linphone"
)

// These tests drive the whole appliance through its web admin against
// kamailio and linphonec for what the secure-call tests do not cover:
// reject, busy, CANCEL, hold, DTMF, audio by content with PCMU and G.722,
// call history. linphonec runs with media_encryption=none, but liblinphone
// 5.1 still starts ZRTP whenever the offer or answer carries a=zrtp-hash,
// as Padlock's always do: these calls end up secured, and nothing here
// depends on whether they are.

const callWait = 10 * time.Second

// clearDesk is the appliance registered to kamailio as alice, with bob
// (linphonec, no media encryption, auto-answer unless ring is set) and
// the file headset; carol (a second linphonec) is started on demand.
type clearDesk struct {
	*desk
	kam *kamailio.Server
}

type clearOpts struct {
	codecs []string // bob's only codecs; empty: linphonec's defaults
	ring   bool     // bob does not auto-answer
}

func newClearDesk(t *testing.T, o clearOpts) *clearDesk {
	t.Helper()
	kam := kamailio.Start(t, kamailio.User{Name: "alice", Password: "alice-pw"}, kamailio.User{Name: "bob", Password: "bob-pw"},
		kamailio.User{Name: "carol", Password: "carol-pw"})
	// linphonec 5.1 runs ZRTP whatever its rc says; with encryption not
	// mandatory its SRTP receive side was seen to miss Padlock's switch to
	// SRTP now and then (silence in its recording), so say ZRTP outright.
	bob := linphone.Start(t, linphone.Config{User: "bob", Password: "bob-pw", Domain: "127.0.0.1", Registrar: kam.Addr,
		AutoAnswer: !o.ring, Codecs: o.codecs, MediaEncryption: "zrtp", Mandatory: true})
	ear := t.TempDir()
	writeTone(t, filepath.Join(ear, "in.wav"), 440, 30) // Padlock's microphone
	a := &app{data: t.TempDir(), logs: &output.Buffer{}, audio: "file:" + ear}
	a.start(t)
	csrf := a.setUp(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("appliance log:\n%s\nbob:\n%s", a.logs, bob.Console())
		}
	})
	// Clear audio allowed, should ZRTP not come up. Every privacy switch
	// is on the form; absent means off. Call history stays on.
	if r, body := a.do(t, "POST", "/settings", url.Values{"log_call_history": {"on"}, "password": {testPassword}}, csrf); r.StatusCode != 204 && r.StatusCode != 303 {
		t.Fatalf("settings: %s %s", r.Status, body)
	}
	a.addSIPAccount(t, csrf, kam.Addr)
	return &clearDesk{desk: &desk{a: a, bob: bob, ear: ear, csrf: csrf}, kam: kam}
}

func (d *clearDesk) post(t *testing.T, path string, form url.Values) {
	t.Helper()
	if r, body := d.a.do(t, "POST", path, form, d.csrf); r.StatusCode != 204 {
		t.Fatalf("POST %s: %s %s", path, r.Status, body)
	}
}

// missed is the missed-call count the web admin shows.
func missed(v map[string]any) int {
	n, _ := v["missed"].(float64)
	return int(n)
}

// historyRows reads the call history rows (direction and contact, the
// parts stored in clear) straight from the appliance's database.
func historyRows(t *testing.T, a *app) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(a.data, "padlock.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT direction, contact, length(body) FROM history WHERE kind = 'call' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var dir, contact string
		var n int
		if err := rows.Scan(&dir, &contact, &n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("history row with %s has an empty body", contact)
		}
		out = append(out, dir+" "+contact)
	}
	return out
}

func waitHistory(t *testing.T, a *app, n int) []string {
	t.Helper()
	deadline := time.Now().Add(callWait)
	for {
		rows := historyRows(t, a)
		if len(rows) >= n || time.Now().After(deadline) {
			return rows
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestIncomingRejectBusyCancel: HANGUP on a ringing call declines it
// (linphonec sees 603); a second call during a call waits (it rings for
// its caller, the waiting tone beeps in the headset) and HANGUP turns it
// away while the first call goes on; a caller who gives up while it rings
// (CANCEL) leaves Padlock idle with one missed call. Each call leaves one
// history row. (486 Busy Here comes only past phone.MaxCalls calls: the
// brain's table tests and the SIP driver's tests cover it.)
func TestIncomingRejectBusyCancel(t *testing.T) {
	d := newClearDesk(t, clearOpts{ring: true})
	a, bob := d.a, d.bob

	// Declined with HANGUP.
	mark := bob.Mark()
	bob.Send(t, "call sip:alice@127.0.0.1")
	a.waitState(t, "status", "ringing-in")
	d.post(t, "/call/hangup", nil)
	bob.WaitForAfter(t, mark, "ended (Call declined)", callWait)
	if v := a.waitState(t, "status", "ended"); missed(v) != 0 {
		t.Errorf("a declined call counted as missed: %v", v["missed"])
	}
	a.waitState(t, "status", "idle")

	// Call waiting: Padlock calls bob, bob answers; carol's call waits
	// and HANGUP declines it, bob's call going on.
	carol := linphone.Start(t, linphone.Config{User: "carol", Password: "carol-pw", Domain: "127.0.0.1", Registrar: d.kam.Addr})
	mark = bob.Mark()
	d.post(t, "/call/dial", url.Values{"target": {"sip:bob@127.0.0.1"}})
	bob.WaitForAfter(t, mark, "Receiving new incoming call", callWait)
	bob.Send(t, "answer")
	a.waitState(t, "status", "active")
	cmark := carol.Mark()
	carol.Send(t, "call sip:alice@127.0.0.1")
	carol.WaitForAfter(t, cmark, "ringing", callWait)
	waitLamp(t, a, 2, "fast")
	d.post(t, "/call/hangup", nil)
	carol.WaitForAfter(t, cmark, "ended (Call declined)", callWait)
	v := a.state(t)
	if v["status"] != "active" || missed(v) != 0 {
		t.Errorf("after declining the waiting call: status %v, missed %v (want active, 0)", v["status"], v["missed"])
	}
	d.post(t, "/call/hangup", nil)
	bob.WaitForAfter(t, mark, "ended", callWait)
	a.waitState(t, "status", "idle")

	// CANCEL: bob gives up while Padlock rings.
	mark = bob.Mark()
	bob.Send(t, "call sip:alice@127.0.0.1")
	a.waitState(t, "status", "ringing-in")
	bob.WaitForAfter(t, mark, "ringing", callWait)
	bob.Send(t, "terminate")
	v = a.waitState(t, "status", "ended")
	if missed(v) != 1 {
		t.Errorf("missed after CANCEL: %v, want 1", v["missed"])
	}
	if l := lamps(v); l[2] != "on" {
		t.Errorf("STATUS lamp after the caller gave up: %v", l)
	}
	a.waitState(t, "status", "idle")

	// History: declined, carol declined while waiting, the answered outgoing call, cancelled.
	want := []string{"in bob@127.0.0.1", "in carol@127.0.0.1", "out sip:bob@127.0.0.1", "in bob@127.0.0.1"}
	if got := waitHistory(t, a, len(want)); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("call history rows:\n got  %q\n want %q", got, want)
	}

	// log_call_history off (every switch off): a call leaves no row, and
	// the store's refusal is not logged as a failure.
	if r, body := a.do(t, "POST", "/settings", url.Values{"password": {testPassword}}, d.csrf); r.StatusCode != 204 && r.StatusCode != 303 {
		t.Fatalf("settings: %s %s", r.Status, body)
	}
	mark = bob.Mark()
	bob.Send(t, "call sip:alice@127.0.0.1")
	a.waitState(t, "status", "ringing-in")
	d.post(t, "/call/hangup", nil)
	bob.WaitForAfter(t, mark, "ended (Call declined)", callWait)
	a.waitState(t, "status", "ended")
	if got := historyRows(t, a); len(got) != len(want) {
		t.Errorf("with log_call_history off the history grew: %q", got)
	}
	if strings.Contains(a.logs.String(), "call not logged") {
		t.Errorf("the setting's refusal was logged as a failure")
	}
}

// TestClearCallHoldDTMFAudio: a clear call from the web admin; the tone
// each side sends is found at 440 Hz in what the other recorded; keypad
// digits reach linphonec as RFC 4733 tones. Then a second call: hold and
// resume reach linphonec, and Padlock hears linphonec again after resume.
//
// linphonec's recorder records silence once its streams restart: it must be
// started after ZRTP has switched the call to SRTP (seen here), and a resume
// restarts the streams again, so the recording is checked on the first
// call and the resumed call is checked from Padlock's side.
func TestClearCallHoldDTMFAudio(t *testing.T) {
	d := newClearDesk(t, clearOpts{})
	a, bob := d.a, d.bob
	bobTone := filepath.Join(bob.Dir, "bob.wav")
	writeTone(t, bobTone, 440, 30)

	mark := bob.Mark()
	d.post(t, "/call/dial", url.Values{"target": {"sip:bob@127.0.0.1"}})
	a.waitState(t, "status", "active")
	bob.WaitForAfter(t, mark, "connected", callWait)
	// linphonec's recorder started before its ZRTP switched the stream to
	// SRTP records silence; start it once the call is secured.
	bob.WaitSAS(t, mark, callWait)
	bob.Play(t, bobTone)
	bob.Record(t, filepath.Join(bob.Dir, "heard.wav"))

	// Padlock hears bob's tone (out.wav grows while the call is up).
	waitTone(t, filepath.Join(d.ear, "out.wav"), "bob's tone in Padlock's headset")

	// Keypad.
	d.post(t, "/call/dtmf", url.Values{"digits": {"123#"}})
	for _, digit := range []string{"1", "2", "3", "#"} {
		bob.WaitForAfter(t, mark, "Receiving tone "+digit, callWait)
	}
	time.Sleep(time.Second) // more audio for the recording
	d.post(t, "/call/hangup", nil)
	bob.WaitForAfter(t, mark, "ended", callWait)
	// The recording holds the tone with the four digits in its middle
	// (linphonec plays the RFC 4733 events into it): one run in six the
	// loudest second began on a digit, which the old estimator took for
	// silence (internal/testkit/tone's testdata holds such a recording).
	checkTone(t, filepath.Join(bob.Dir, "heard.wav"), true, "Padlock's tone in linphonec's recording")
	a.waitState(t, "status", "idle")

	// Hold and resume.
	mark = bob.Mark()
	d.post(t, "/call/dial", url.Values{"target": {"sip:bob@127.0.0.1"}})
	a.waitState(t, "status", "active")
	bob.WaitForAfter(t, mark, "connected", callWait)
	bob.Play(t, bobTone)
	hmark := bob.Mark()
	d.post(t, "/call/hold", nil)
	a.waitState(t, "status", "held")
	bob.WaitForAfter(t, hmark, "has been paused by", callWait)
	callState(t, bob, "PausedByRemote")
	rmark := bob.Mark()
	d.post(t, "/call/resume", nil)
	a.waitState(t, "status", "active")
	// linphonec prints no word for a resume; it restarts the streams and
	// its call list shows the state.
	bob.WaitForAfter(t, rmark, "Media streams established", callWait)
	callState(t, bob, "StreamsRunning")
	// The headset reopened on resume (a fresh out.wav): bob is heard again.
	waitTone(t, filepath.Join(d.ear, "out.wav"), "bob's tone in Padlock's headset after resume")
	d.post(t, "/call/hangup", nil)
	bob.WaitForAfter(t, mark, "ended", callWait)
}

// TestG722Call: linphonec offers only G.722; the call uses it, Padlock's
// 440 Hz reaches linphonec, and linphonec's silence is not taken for a tone.
func TestG722Call(t *testing.T) {
	d := newClearDesk(t, clearOpts{codecs: []string{"G722/8000"}})
	a, bob := d.a, d.bob
	quiet := filepath.Join(bob.Dir, "silence.wav")
	writeSilence(t, quiet, 16000, 30)

	mark := bob.Mark()
	d.post(t, "/call/dial", url.Values{"target": {"sip:bob@127.0.0.1"}})
	a.waitState(t, "status", "active")
	bob.WaitForAfter(t, mark, "connected", callWait)
	bob.WaitSAS(t, mark, callWait) // see TestClearCallHoldDTMFAudio: record once secured
	bob.Play(t, quiet)
	bob.Record(t, filepath.Join(bob.Dir, "heard.wav"))
	time.Sleep(3 * time.Second) // three seconds of call audio
	// out.wav is the call's while the call is up (a prompt after it
	// starts a new one).
	checkTone(t, filepath.Join(d.ear, "out.wav"), false, "linphonec's silence in Padlock's headset")
	d.post(t, "/call/hangup", nil)
	bob.WaitForAfter(t, mark, "ended", callWait)
	if !strings.Contains(strings.ToUpper(a.logs.String()), "G722") {
		t.Errorf("the appliance's log does not show G.722 in use")
	}
	checkTone(t, filepath.Join(bob.Dir, "heard.wav"), true, "Padlock's tone in linphonec's G.722 recording")
}

// callState waits until linphonec's call list ("calls") shows state.
func callState(t *testing.T, p *linphone.Phone, state string) {
	t.Helper()
	deadline := time.Now().Add(callWait)
	for {
		mark := p.Mark()
		p.Send(t, "calls")
		time.Sleep(100 * time.Millisecond)
		if p.Seen(mark, "| "+state) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("linphonec's call list never showed %s:\n%s", state, p.Console())
		}
	}
}

func writeSilence(t *testing.T, path string, rate, seconds int) {
	t.Helper()
	tone.WriteWAV(t, path, rate, make([]int16, rate*seconds))
}

// toneLevel is the level a 0.4 full-scale sine reaches in dominantTone;
// a tone counts from a quarter of it.
const minToneLevel = 0.1

// waitTone waits until the wav at path holds a 440 Hz tone.
func waitTone(t *testing.T, path, what string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		pcm, rate, err := audio.ReadWAV(path)
		if err == nil {
			if f, level := dominantTone(pcm, rate); level >= minToneLevel && math.Abs(f-440) <= 5 {
				t.Logf("%s: %.1f Hz at level %.2f", what, f, level)
				return
			}
		}
		if time.Now().After(deadline) {
			f, level := dominantTone(pcm, rate)
			t.Fatalf("%s: strongest tone %.1f Hz at level %.3f (%v), want 440 ± 5 Hz", what, f, level, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkTone checks that the wav at path holds a 440 Hz tone (want) or no
// tone at all.
func checkTone(t *testing.T, path string, want bool, what string) {
	t.Helper()
	pcm, rate, err := audio.ReadWAV(path)
	if err != nil {
		if !want && os.IsNotExist(err) {
			return
		}
		t.Errorf("%s: %v", what, err)
		return
	}
	if len(pcm) < 2*rate {
		t.Errorf("%s: only %d samples at %d Hz, too short to tell", what, len(pcm), rate)
		return
	}
	f, level := dominantTone(pcm, rate)
	t.Logf("%s: %d samples at %d Hz, strongest tone %.1f Hz at level %.3f", what, len(pcm), rate, f, level)
	switch {
	case want && (level < minToneLevel || math.Abs(f-440) > 5):
		t.Errorf("%s: strongest tone %.1f Hz at level %.3f, want 440 ± 5 Hz", what, f, level)
	case !want && bestLevel(pcm, rate, 440) >= minToneLevel:
		t.Errorf("%s: 440 Hz at level %.3f where there should be none", what, bestLevel(pcm, rate, 440))
	}
}

// dominantTone is the strongest pure tone in pcm, looked for where 440 Hz
// is loudest (tone.Dominant).
func dominantTone(pcm []int16, rate int) (freq, level float64) { return tone.Dominant(pcm, rate, 440) }

// TestRequireEncryptionBlocksClear: with require_e2e_calls on (the
// default) and no ZRTP with the peer, the ALERT lamp lights and no audio
// passes either way. linphonec 5.1 answers ZRTP whatever its rc says (it
// even runs it when no a=zrtp-hash is in either SDP), so here the network
// is what refuses it: Padlock's account points at a small relay (its
// registrar and proxy) in front of a linphonec without an account; the
// relay routes the call's media through itself and drops every ZRTP
// packet, passing RTP. To Padlock, the far end never answers ZRTP.
func TestRequireEncryptionBlocksClear(t *testing.T) {
	bob := linphone.Start(t, linphone.Config{User: "bob", Domain: "127.0.0.1", AutoAnswer: true})
	r := zrtpDroppingRelay(t, bob.SIPPort)
	ear := t.TempDir()
	writeTone(t, filepath.Join(ear, "in.wav"), 440, 30)
	a := &app{data: t.TempDir(), logs: &output.Buffer{}, audio: "file:" + ear}
	a.start(t)
	csrf := a.setUp(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("appliance log:\n%s\nbob:\n%s", a.logs, bob.Console())
		}
	})
	a.addSIPAccount(t, csrf, r.Addr) // the relay is its registrar
	d := &clearDesk{desk: &desk{a: a, bob: bob, ear: ear, csrf: csrf}}
	bobTone := filepath.Join(bob.Dir, "bob.wav")
	writeTone(t, bobTone, 440, 30)

	mark := bob.Mark()
	d.post(t, "/call/dial", url.Values{"target": {"sip:bob@127.0.0.1"}})
	bob.WaitForAfter(t, mark, "connected", callWait)
	bob.Play(t, bobTone)
	bob.Record(t, filepath.Join(bob.Dir, "heard.wav"))
	v := a.waitState(t, "security", "failed")
	if l := lamps(v); l[1] != "on" {
		t.Errorf("ALERT lamp of a call that could not be encrypted: %v", l)
	}
	t.Logf("Padlock says: %v", v["reason"])
	time.Sleep(2 * time.Second) // two more seconds in which nothing may pass
	checkTone(t, filepath.Join(ear, "out.wav"), false, "linphonec's tone in Padlock's headset")
	d.post(t, "/call/hangup", nil)
	bob.WaitForAfter(t, mark, "ended", callWait)
	if bob.Seen(mark, "fully encrypted") {
		t.Fatal("linphonec encrypted the call after all: the test proves nothing")
	}
	// linphonec's audio did reach Padlock's socket (it was there to
	// play), and Padlock sent none.
	t.Logf("RTP packets through the relay: %d from linphonec, %d from Padlock", r.FromBob.Load(), r.FromPadlock.Load())
	if n := r.FromBob.Load(); n < 50 {
		t.Errorf("only %d RTP packets from linphonec reached Padlock: the test proves nothing", n)
	}
	if n := r.FromPadlock.Load(); n != 0 {
		t.Errorf("Padlock sent %d RTP packets in a call it could not encrypt", n)
	}
	// With no RTP from Padlock linphonec records little; what it has must
	// hold no tone.
	if pcm, rate, err := audio.ReadWAV(filepath.Join(bob.Dir, "heard.wav")); err == nil && rate > 0 && len(pcm) >= rate {
		if l := bestLevel(pcm, rate, 440); l >= minToneLevel {
			t.Errorf("Padlock's 440 Hz in linphonec's recording at level %.3f", l)
		}
	}
}

var (
	zrtpHashLine  = regexp.MustCompile(`(?m)^a=zrtp-hash:[^\r\n]*\r?\n`)
	mAudio        = regexp.MustCompile(`(?m)^m=audio (\d+) `)
	contentLength = regexp.MustCompile(`(?mi)^(Content-Length|l)[ \t]*:[ \t]*\d+`)
)

// zrtpDroppingRelay relays SIP over UDP between Padlock (whoever sends
// first) and the linphonec at port. It accepts every REGISTER itself, takes
// a=zrtp-hash out of every body, and points each side's m=audio at one of
// its own sockets, through which RTP passes and ZRTP does not (RFC 6189
// section 5: first byte 0x10, magic cookie "ZRTP" at offset 4). It returns
// it.
func zrtpDroppingRelay(t *testing.T, port int) *mediaRelay {
	return zrtpDroppingRelayAt(t, net.IPv4(127, 0, 0, 1), port)
}

// zrtpDroppingRelayAt is zrtpDroppingRelay with its SIP socket on sipIP (a
// loopback address: another one than the registrar's gives the relay its
// own domain); its media stays on 127.0.0.1, which the SDP names.
func zrtpDroppingRelayAt(t *testing.T, sipIP net.IP, port int) *mediaRelay {
	t.Helper()
	listen := func(ip net.IP) *net.UDPConn {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: ip})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	lo := net.IPv4(127, 0, 0, 1)
	sipConn, toPadlock, toBob := listen(sipIP), listen(lo), listen(lo)
	r := &mediaRelay{Addr: sipConn.LocalAddr().String()}
	var mu sync.Mutex
	var padlockRTP, bobRTP netip.AddrPort // where each side wants its media
	var wg sync.WaitGroup
	t.Cleanup(func() {
		sipConn.Close()
		toPadlock.Close()
		toBob.Close()
		wg.Wait()
	})
	// media: what arrives on one socket leaves by the other, to the side
	// behind it; ZRTP is dropped.
	media := func(in, out *net.UDPConn, dest *netip.AddrPort, rtpCount *atomic.Int64) {
		buf := make([]byte, 2048)
		for {
			n, _, err := in.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if n >= 8 && buf[0] == 0x10 && string(buf[4:8]) == "ZRTP" {
				continue
			}
			if pt := buf[1] & 0x7f; n >= 12 && buf[0]>>6 == 2 && (pt < 72 || pt > 76) {
				rtpCount.Add(1) // RTP, not RTCP (RFC 5761 section 4)
			}
			mu.Lock()
			to := *dest
			mu.Unlock()
			if to.IsValid() {
				out.WriteToUDPAddrPort(buf[:n], to)
			}
		}
	}
	wg.Go(func() { media(toPadlock, toBob, &bobRTP, &r.FromPadlock) })
	wg.Go(func() { media(toBob, toPadlock, &padlockRTP, &r.FromBob) })
	port16 := func(c *net.UDPConn) int { return c.LocalAddr().(*net.UDPAddr).Port }
	bob := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
	wg.Go(func() {
		var padlock netip.AddrPort
		buf := make([]byte, 65535)
		for {
			n, from, err := sipConn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			msg := string(buf[:n])
			if strings.HasPrefix(msg, "REGISTER ") {
				sipConn.WriteToUDPAddrPort([]byte(registered(msg)), from)
				continue
			}
			to, wants, via := bob, &padlockRTP, toBob
			if from == bob {
				to, wants, via = padlock, &bobRTP, toPadlock
			} else {
				padlock = from
			}
			msg = rewriteSDP(msg, func(p int) int {
				mu.Lock()
				*wants = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(p))
				mu.Unlock()
				return port16(via)
			})
			if to.IsValid() {
				sipConn.WriteToUDPAddrPort([]byte(msg), to)
			}
		}
	})
	return r
}

// mediaRelay is a running zrtpDroppingRelay: its SIP address and how many RTP
// packets it passed each way.
type mediaRelay struct {
	Addr                 string
	FromPadlock, FromBob atomic.Int64
}

// rewriteSDP takes a=zrtp-hash out of a SIP message's body, replaces its
// m=audio port p with media(p), and corrects Content-Length.
func rewriteSDP(msg string, media func(p int) int) string {
	head, body, ok := strings.Cut(msg, "\r\n\r\n")
	if !ok || body == "" {
		return msg
	}
	body = zrtpHashLine.ReplaceAllString(body, "")
	body = mAudio.ReplaceAllStringFunc(body, func(m string) string {
		p, _ := strconv.Atoi(mAudio.FindStringSubmatch(m)[1])
		return "m=audio " + strconv.Itoa(media(p)) + " "
	})
	head = contentLength.ReplaceAllString(head, "Content-Length: "+strconv.Itoa(len(body)))
	return head + "\r\n\r\n" + body
}

// registered is a 200 OK to a REGISTER: its Via, From, To, Call-ID, CSeq
// and Contact, with a tag on To.
func registered(req string) string {
	head, _, _ := strings.Cut(req, "\r\n\r\n")
	var b strings.Builder
	b.WriteString("SIP/2.0 200 OK\r\n")
	for _, line := range strings.Split(head, "\r\n")[1:] {
		name, _, _ := strings.Cut(line, ":")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "via", "v", "from", "f", "call-id", "i", "cseq", "contact", "m":
			b.WriteString(line + "\r\n")
		case "to", "t":
			b.WriteString(line + ";tag=relay\r\n")
		}
	}
	b.WriteString("Expires: 600\r\nContent-Length: 0\r\n\r\n")
	return b.String()
}

// waitLamp waits until lamp i (lock, alert, status) shows pattern want.
func waitLamp(t *testing.T, a *app, i int, want string) {
	t.Helper()
	deadline := time.Now().Add(callWait)
	for {
		v := a.state(t)
		if lamps(v)[i] == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("lamp %d is %v, want %s (state %v)", i, lamps(v), want, v)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
