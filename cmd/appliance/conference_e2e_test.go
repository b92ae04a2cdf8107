package main

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/internal/testkit/admin"
	"github.com/padlock-phone/padlock/internal/testkit/output"
	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/tests/peers/kamailio"
	"github.com/padlock-phone/padlock/tests/peers/linphone"
	"strconv"
)

// selfFloor is the most of a participant's own tone allowed in what it
// hears: -30 dBFS, where the tones arrive near -8 dBFS. (880 Hz is also
// the second harmonic of 440 Hz, which G.711 and G.722 coding make a
// little of; that stays far below this.)
const selfFloor = 0.03

// TestConferenceWithTwoLinphones is the local conference against real
// phones (issue 14): carol (linphonec, PCMU only, ZRTP mandatory) calls
// Padlock, Padlock holds her and calls bob (linphonec, G.722 only, ZRTP
// mandatory), and merges. Each linphonec shows the SAS of its own leg, the
// two differ; carol's 440 Hz reaches bob, bob's 880 Hz reaches carol,
// Padlock's 1000 Hz microphone both, the headset hears carol and bob and
// not the microphone, nobody hears their own tone; the two legs are
// confirmed with the SAS button (short press reads the next leg, long
// confirms it): LOCK steady. Carol hangs up: bob and Padlock go on,
// still verified, as a plain call.
func TestConferenceWithTwoLinphones(t *testing.T) {
	kam := kamailio.Start(t, kamailio.User{Name: "alice", Password: "alice-pw"}, kamailio.User{Name: "bob", Password: "bob-pw"},
		kamailio.User{Name: "carol", Password: "carol-pw"})
	carol := linphone.Start(t, linphone.Config{User: "carol", Password: "carol-pw", Domain: "127.0.0.1", Registrar: kam.Addr,
		MediaEncryption: "zrtp", Mandatory: true, Codecs: []string{"PCMU/8000"}})
	bob := linphone.Start(t, linphone.Config{User: "bob", Password: "bob-pw", Domain: "127.0.0.1", Registrar: kam.Addr,
		AutoAnswer: true, MediaEncryption: "zrtp", Mandatory: true, Codecs: []string{"G722/8000"}})
	ear := t.TempDir()
	writeTone(t, filepath.Join(ear, "in.wav"), 1000, 60) // Padlock's microphone
	a := &app{data: t.TempDir(), logs: &output.Buffer{}, audio: "file:" + ear}
	a.start(t)
	csrf := a.setUp(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("appliance log:\n%s\ncarol:\n%s\nbob:\n%s", a.logs, carol.Console(), bob.Console())
		}
	})
	post := func(path string, form url.Values) {
		t.Helper()
		if r, body := a.do(t, "POST", path, form, csrf); r.StatusCode != 204 {
			t.Fatalf("POST %s: %s %s", path, r.Status, body)
		}
	}
	a.addSIPAccount(t, csrf, kam.Addr)

	// Carol calls; Padlock answers; her leg is secured with her SAS.
	cmark := carol.Mark()
	carol.Send(t, "call sip:alice@127.0.0.1")
	a.waitState(t, "status", "ringing-in")
	post("/call/answer", nil)
	carolSAS := carol.WaitSAS(t, cmark, 20*time.Second)
	carolLeg := waitLeg(t, a, "carol", func(c map[string]any) bool { return c["security"] == "secured" })
	if !strings.EqualFold(carolLeg["sas"].(string), carolSAS) {
		t.Fatalf("carol's leg: Padlock's SAS %q, carol's %q", carolLeg["sas"], carolSAS)
	}

	// Hold carol, call bob: his own leg, his own keys.
	post("/call/hold", url.Values{"call": {carolLeg["id"].(string)}})
	carol.WaitForAfter(t, cmark, "paused by", callWait)
	bmark := bob.Mark()
	post("/call/dial", url.Values{"target": {"sip:bob@127.0.0.1"}})
	bobSAS := bob.WaitSAS(t, bmark, 20*time.Second)
	bobLeg := waitLeg(t, a, "bob", func(c map[string]any) bool { return c["security"] == "secured" })
	if !strings.EqualFold(bobLeg["sas"].(string), bobSAS) {
		t.Fatalf("bob's leg: Padlock's SAS %q, bob's %q", bobLeg["sas"], bobSAS)
	}
	if strings.EqualFold(carolSAS, bobSAS) {
		t.Errorf("both legs have the SAS %q: one ZRTP per leg must give two", bobSAS)
	}

	// Merge: carol is resumed into the conference.
	rmark := carol.Mark()
	post("/call/merge", nil)
	for _, who := range []string{"carol", "bob"} {
		waitLeg(t, a, who, func(c map[string]any) bool { return c["status"] == "active" && c["conference"] == true })
	}
	// linphonec prints no word for a resume; it restarts the streams.
	carol.WaitForAfter(t, rmark, "Media streams established", callWait)
	callState(t, carol, "StreamsRunning")
	// linphonec's streams restart on resume: play and record after it,
	// once the call is secured again.
	carolTone, bobTone := filepath.Join(carol.Dir, "carol.wav"), filepath.Join(bob.Dir, "bob.wav")
	writeTone(t, carolTone, 440, 60)
	writeToneAt(t, bobTone, 880, 16000, 60)
	carol.Play(t, carolTone)
	bob.Play(t, bobTone)
	// linphonec's recorder records silence when started before its
	// restarted stream runs SRTP again: start it once Padlock hears her.
	waitTones(t, "Padlock's headset", filepath.Join(ear, "out.wav"), []float64{440})
	carol.Record(t, filepath.Join(carol.Dir, "heard.wav"))
	bob.Record(t, filepath.Join(bob.Dir, "heard.wav"))

	// What each hears. Padlock's headset is read live (the file device
	// writes as it plays); linphonec writes its recording's header when
	// the call ends, so carol's is read once she hung up, bob's at the end.
	hears := func(who, path string, tones []float64, own float64) {
		t.Helper()
		levels := waitTones(t, who, path, tones)
		if l := levels(own); l > selfFloor {
			t.Errorf("%s hears its own %v Hz at %.3f (floor %.3f)", who, own, l, selfFloor)
		} else {
			t.Logf("%s: own %v Hz at %.4f", who, own, l)
		}
	}
	hears("Padlock's headset", filepath.Join(ear, "out.wav"), []float64{440, 880}, 1000)
	awaitAudio(t, filepath.Join(ear, "out.wav"), 3*time.Second) // three seconds of the conference in every recording

	// The SAS button: a short press reads the next leg after the one read
	// last (bob's, read when it was secured), a long press confirms the
	// leg read last.
	press := func(ms string) { post("/panel/press", url.Values{"button": {"sas"}, "hold_ms": {ms}}) }
	press("1200") // bob's
	waitLeg(t, a, "bob", func(c map[string]any) bool { return c["security"] == "verified" })
	if v := a.state(t); lamps(v)[0] != "blink" {
		t.Errorf("one leg of two verified: LOCK %v, want blink", lamps(v)[0])
	}
	press("0")    // reads carol's
	press("1200") // confirms it
	waitLeg(t, a, "carol", func(c map[string]any) bool { return c["security"] == "verified" })
	waitLamp(t, a, 0, "on")

	// Carol hangs up: bob and Padlock talk on, still verified.
	carol.Send(t, "terminate")
	waitLeg(t, a, "carol", func(c map[string]any) bool { return c["status"] == "ended" })
	carol.WaitForAfter(t, cmark, "ended", callWait)
	hears("carol", filepath.Join(carol.Dir, "heard.wav"), []float64{880, 1000}, 440)
	b := waitLeg(t, a, "bob", func(c map[string]any) bool { return c["status"] == "active" && c["conference"] == false })
	if b["security"] != "verified" {
		t.Errorf("bob after carol left: %v", b)
	}
	if v := a.state(t); lamps(v)[0] != "on" || lamps(v)[1] != "off" {
		t.Errorf("lamps after carol left: %v", lamps(v))
	}
	post("/call/hangup", nil)
	bob.WaitForAfter(t, bmark, "ended", callWait)
	hears("bob", filepath.Join(bob.Dir, "heard.wav"), []float64{440, 1000}, 880)
}

// TestConferenceLegWithoutZRTP: with require_encrypted_calls on (the
// default), a conference leg whose ZRTP a relay drops (dave, behind the
// relay of TestRequireEncryptionBlocksClear, on a second account) fails:
// ALERT on, and dave's 660 Hz is in no one's audio while carol (ZRTP) and
// Padlock's microphone hear each other.
func TestConferenceLegWithoutZRTP(t *testing.T) {
	kam := kamailio.Start(t, kamailio.User{Name: "alice", Password: "alice-pw"}, kamailio.User{Name: "carol", Password: "carol-pw"})
	carol := linphone.Start(t, linphone.Config{User: "carol", Password: "carol-pw", Domain: "127.0.0.1", Registrar: kam.Addr,
		MediaEncryption: "zrtp", Mandatory: true})
	dave := linphone.Start(t, linphone.Config{User: "dave", Domain: "127.0.0.1", AutoAnswer: true})
	relay := zrtpDroppingRelayAt(t, net.IPv4(127, 0, 0, 2), dave.SIPPort)
	ear := t.TempDir()
	writeTone(t, filepath.Join(ear, "in.wav"), 1000, 60)
	a := &app{data: t.TempDir(), logs: &output.Buffer{}, audio: "file:" + ear}
	a.start(t)
	csrf := a.setUp(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("appliance log:\n%s\ncarol:\n%s\ndave:\n%s", a.logs, carol.Console(), dave.Console())
		}
	})
	post := func(path string, form url.Values) {
		t.Helper()
		if r, body := a.do(t, "POST", path, form, csrf); r.StatusCode != 204 {
			t.Fatalf("POST %s: %s %s", path, r.Status, body)
		}
	}
	for _, srv := range []string{kam.Addr, relay.Addr} {
		host, port, _ := strings.Cut(srv, ":")
		n, _ := strconv.Atoi(port)
		a.admin.AddSIPAccount(t, csrf, admin.SIPAccount{User: "alice", Password: "alice-pw", Server: host, Port: n})
	}
	a.admin.WaitRegisteredN(t, 2)

	cmark := carol.Mark()
	carol.Send(t, "call sip:alice@127.0.0.1")
	a.waitState(t, "status", "ringing-in")
	post("/call/answer", nil)
	carol.WaitSAS(t, cmark, 20*time.Second)
	c := waitLeg(t, a, "carol", func(c map[string]any) bool { return c["security"] == "secured" })
	post("/call/hold", url.Values{"call": {c["id"].(string)}})
	carol.WaitForAfter(t, cmark, "has been paused by", callWait)
	dmark := dave.Mark()
	post("/call/dial", url.Values{"target": {"sip:dave@127.0.0.2"}})
	dave.WaitForAfter(t, dmark, "connected", callWait)
	daveTone := filepath.Join(dave.Dir, "dave.wav")
	writeTone(t, daveTone, 660, 60)
	dave.Play(t, daveTone)
	waitLeg(t, a, "dave", func(c map[string]any) bool { return c["security"] == "failed" })
	waitLamp(t, a, 1, "on")

	rmark := carol.Mark()
	post("/call/merge", nil)
	carol.WaitForAfter(t, rmark, "Media streams established", callWait)
	waitLeg(t, a, "dave", func(c map[string]any) bool { return c["conference"] == true })
	if l := lamps(a.state(t)); l[1] != "on" || l[0] == "on" {
		t.Errorf("lamps of a conference with a leg not encrypted: %v", l)
	}
	carolTone := filepath.Join(carol.Dir, "carol.wav")
	writeTone(t, carolTone, 440, 60)
	carol.Play(t, carolTone)
	levels := waitTones(t, "Padlock's headset", filepath.Join(ear, "out.wav"), []float64{440})
	carol.Record(t, filepath.Join(carol.Dir, "heard.wav")) // once her restarted stream runs (see above)
	if l := levels(660); l > selfFloor {
		t.Errorf("dave's 660 Hz in Padlock's headset at %.3f", l)
	}
	awaitAudio(t, filepath.Join(ear, "out.wav"), 3*time.Second) // three seconds of the conference for carol to record
	carol.Send(t, "terminate")
	carol.WaitForAfter(t, rmark, "ended", callWait)
	levels = waitTones(t, "carol", filepath.Join(carol.Dir, "heard.wav"), []float64{1000})
	if l := levels(660); l > selfFloor {
		t.Errorf("dave's 660 Hz in carol's recording at %.3f", l)
	} else {
		t.Logf("dave's 660 Hz in carol's recording: %.4f", l)
	}
	post("/call/hangup", nil)
	dave.WaitForAfter(t, dmark, "ended", callWait)
	if dave.Seen(dmark, "fully encrypted") {
		t.Fatal("dave's call was encrypted after all: the test proves nothing")
	}
	t.Logf("RTP through the relay: %d from dave, %d from Padlock", relay.FromBob.Load(), relay.FromPadlock.Load())
	if relay.FromBob.Load() < 50 || relay.FromPadlock.Load() != 0 {
		t.Errorf("RTP through the relay: %d from dave (want his audio at Padlock), %d from Padlock (want none)", relay.FromBob.Load(), relay.FromPadlock.Load())
	}
}

// waitLeg waits until the call list has a call with who in its peer for
// which ok holds, and returns it.
func waitLeg(t *testing.T, a *app, who string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v := a.state(t)
		calls, _ := v["calls"].([]any)
		for _, c := range calls {
			c := c.(map[string]any)
			if strings.Contains(c["remote"].(string), who) && ok(c) {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no call with %s as wanted: %v", who, calls)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitTones waits until the recording at path holds every tone of hears
// (at minToneLevel), and returns the level of any frequency there (its
// loudest 1 s).
func waitTones(t *testing.T, who, path string, hears []float64) func(float64) float64 {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		pcm, rate, err := audio.ReadWAV(path)
		missing := ""
		if err != nil {
			missing = err.Error()
		} else {
			for _, f := range hears {
				if l := bestLevel(pcm, rate, f); l < minToneLevel {
					missing += fmt.Sprintf(" %v Hz at %.3f", f, l)
				}
			}
		}
		if missing == "" {
			for _, f := range hears {
				t.Logf("%s hears %v Hz at %.3f", who, f, bestLevel(pcm, rate, f))
			}
			return func(f float64) float64 { return bestLevel(pcm, rate, f) }
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not hear everyone:%s", who, missing)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// awaitAudio waits until the headset has played d more of the call than
// it had when called: the file device writes in real time, so this is how
// long the conference has run, measured by the audio itself.
func awaitAudio(t *testing.T, path string, d time.Duration) {
	t.Helper()
	samples := func() (int, int) {
		pcm, rate, err := audio.ReadWAV(path)
		if err != nil {
			t.Fatal(err)
		}
		return len(pcm), rate
	}
	start, rate := samples()
	deadline := time.Now().Add(d + 20*time.Second)
	for n, _ := samples(); n < start+int(d.Seconds()*float64(rate)); n, _ = samples() {
		if time.Now().After(deadline) {
			t.Fatalf("the headset played %d samples in %v", n-start, d+20*time.Second)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeToneAt writes seconds of a sine at freq and rate to path.
func writeToneAt(t *testing.T, path string, freq float64, rate, seconds int) {
	t.Helper()
	w, err := audio.CreateWAV(path, rate)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, rate*seconds)
	for i := range pcm {
		pcm[i] = int16(0.4 * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	if err := w.Write(pcm); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
