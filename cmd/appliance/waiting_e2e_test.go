package main

import (
	"math"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/internal/testkit/output"
	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/media/prompts"
	"github.com/padlock-phone/padlock/tests/peers/kamailio"
	"github.com/padlock-phone/padlock/tests/peers/linphone"
)

// TestCallWaitingAndTransfer: carol (linphonec) talks with Padlock; bob
// (linphonec) calls: the waiting beep (440 Hz without the ring's 480 Hz)
// sounds in the headset; ANSWER holds carol (she sees "paused by") and
// takes bob, whose 880 Hz Padlock then hears; HANGUP ends bob and the
// held call is announced; ANSWER resumes carol. Then Padlock transfers
// carol to bob (REFER): carol's linphonec calls bob, Padlock's leg ends,
// and carol and bob talk, each hearing the other's tone, Padlock idle.
func TestCallWaitingAndTransfer(t *testing.T) {
	kam := kamailio.Start(t, kamailio.User{Name: "alice", Password: "alice-pw"}, kamailio.User{Name: "bob", Password: "bob-pw"},
		kamailio.User{Name: "carol", Password: "carol-pw"})
	carol := linphone.Start(t, linphone.Config{User: "carol", Password: "carol-pw", Domain: "127.0.0.1", Registrar: kam.Addr,
		MediaEncryption: "zrtp", Mandatory: true})
	bob := linphone.Start(t, linphone.Config{User: "bob", Password: "bob-pw", Domain: "127.0.0.1", Registrar: kam.Addr,
		AutoAnswer: true, MediaEncryption: "zrtp", Mandatory: true})
	ear := t.TempDir()
	writeSilence(t, filepath.Join(ear, "in.wav"), 8000, 60) // a quiet microphone: the beep is all there is to hear
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
	press := func(button string) { post("/panel/press", url.Values{"button": {button}}) }
	a.addSIPAccount(t, csrf, kam.Addr)

	cmark := carol.Mark()
	carol.Send(t, "call sip:alice@127.0.0.1")
	a.waitState(t, "status", "ringing-in")
	press("answer")
	carol.WaitSAS(t, cmark, 20*time.Second)
	waitLeg(t, a, "carol", func(c map[string]any) bool { return c["security"] == "secured" })

	// Bob calls: it waits, with the beep in the headset.
	bmark := bob.Mark()
	bob.Send(t, "call sip:alice@127.0.0.1")
	bob.WaitForAfter(t, bmark, "ringing", callWait)
	waitLamp(t, a, 2, "fast")
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		heard, rate, err := audio.ReadWAV(filepath.Join(ear, "out.wav"))
		if err == nil {
			beep := bestLevel(heard, rate, 440)
			if beep > 0.01 && bestLevel(heard, rate, 480) < beep/4 {
				t.Logf("waiting beep: 440 Hz at %.3f, 480 Hz at %.3f", beep, bestLevel(heard, rate, 480))
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no call-waiting beep in the headset (%v)", err)
		}
	}

	// ANSWER: carol held, bob talking; Padlock hears his tone.
	hmark := carol.Mark()
	press("answer")
	carol.WaitForAfter(t, hmark, "has been paused by", callWait)
	bob.WaitSAS(t, bmark, 20*time.Second)
	waitLeg(t, a, "bob", func(c map[string]any) bool { return c["status"] == "active" })
	waitLeg(t, a, "carol", func(c map[string]any) bool { return c["status"] == "held" })
	bobTone := filepath.Join(bob.Dir, "bob.wav")
	writeTone(t, bobTone, 880, 60)
	bob.Play(t, bobTone)
	waitTones(t, "Padlock's headset", filepath.Join(ear, "out.wav"), []float64{880})

	// HANGUP ends bob; "a call is on hold" is said; ANSWER resumes carol.
	press("hangup")
	bob.WaitForAfter(t, bmark, "ended", callWait)
	waitPrompt(t, filepath.Join(ear, "out.wav"), prompts.CallOnHold)
	rmark := carol.Mark()
	press("answer")
	carol.WaitForAfter(t, rmark, "Media streams established", callWait)
	waitLeg(t, a, "carol", func(c map[string]any) bool { return c["status"] == "active" })

	// Transfer carol to bob: she calls him, Padlock's leg ends.
	c := waitLeg(t, a, "carol", func(c map[string]any) bool { return c["status"] == "active" })
	tmark := bob.Mark()
	post("/call/transfer", url.Values{"call": {c["id"].(string)}, "target": {"sip:bob@127.0.0.1"}})
	bob.WaitForAfter(t, tmark, "Receiving new incoming call", callWait)
	carol.WaitForAfter(t, rmark, "ended", 20*time.Second) // her call with Padlock, after the NOTIFY
	done := waitLeg(t, a, "carol", func(c map[string]any) bool { return c["status"] == "ended" })
	if !strings.Contains(done["reason"].(string), "transferred to bob") {
		t.Errorf("carol's leg ended: %v", done["reason"])
	}
	a.waitState(t, "status", "idle")
	bob.WaitSAS(t, tmark, 20*time.Second) // carol and bob secure their own call
	carolTone := filepath.Join(carol.Dir, "carol.wav")
	writeTone(t, carolTone, 440, 60)
	carol.Play(t, carolTone)
	bob.Play(t, bobTone)
	carol.Record(t, filepath.Join(carol.Dir, "heard.wav"))
	bob.Record(t, filepath.Join(bob.Dir, "heard.wav"))
	time.Sleep(3 * time.Second) // three seconds of their call to record (the recordings are finished when it ends)
	bob.Send(t, "terminate")
	carol.WaitForAfter(t, tmark, "ended", callWait)
	waitTones(t, "carol after the transfer", filepath.Join(carol.Dir, "heard.wav"), []float64{880})
	waitTones(t, "bob after the transfer", filepath.Join(bob.Dir, "heard.wav"), []float64{440})
	if v := a.state(t); v["status"] != "idle" {
		t.Errorf("Padlock during the transferred call: %v", v["status"])
	}
}

// waitPrompt waits until the headset's recording holds the spoken phrase
// in its last seconds. A prompt queued behind another starts where that one
// ended, anywhere in a frame, so every offset is tried (coarsely, then
// around the best).
func waitPrompt(t *testing.T, path string, name prompts.Name) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		heard, rate, err := audio.ReadWAV(path)
		if err == nil {
			want, err := prompts.Phrase(name, rate)
			if err != nil {
				t.Fatal(err)
			}
			if c := findPrompt(heard, want, 8*rate); c > 0.9 {
				return
			} else if time.Now().After(deadline) {
				t.Fatalf("%q was not said in the headset (best correlation %.2f, %d samples at %d Hz)", name, c, len(heard), rate)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no headset recording: %v", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// findPrompt is the best normalized correlation of want with heard at any
// offset within the last tail samples. It is cheap enough to poll with
// (under -race too): each offset is first tried with every fourth sample
// of the phrase's first 32 ms, and only where that matches with the whole.
func findPrompt(heard, want []int16, tail int) float64 {
	if len(heard) < len(want) || len(want) < 1024 {
		return 0
	}
	corr := func(off, n, stride int) float64 {
		var hw, hh, ww float64
		for i := 0; i < n; i += stride {
			h, w := float64(heard[off+i]), float64(want[i])
			hw, hh, ww = hw+h*w, hh+h*h, ww+w*w
		}
		if hh == 0 || ww == 0 {
			return 0
		}
		return hw / math.Sqrt(hh*ww)
	}
	best := 0.0
	for off := max(0, len(heard)-tail-len(want)); off+len(want) <= len(heard); off++ {
		if corr(off, 512, 4) > 0.9 {
			best = max(best, corr(off, len(want), 1))
		}
	}
	return best
}
