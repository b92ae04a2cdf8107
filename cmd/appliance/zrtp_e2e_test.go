package main

import (
	"math"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/internal/testkit/output"
	"github.com/padlock-phone/padlock/internal/testkit/tone"
	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/media/prompts"
	"github.com/padlock-phone/padlock/tests/peers/kamailio"
	"github.com/padlock-phone/padlock/tests/peers/linphone"
)

// writeTone writes seconds of a 0.4 full-scale sine at freq (8 kHz mono)
// to path.
func writeTone(t *testing.T, path string, freq float64, seconds int) {
	t.Helper()
	tone.WriteTone(t, path, freq, seconds)
}

// desk is the appliance registered to kamailio as alice, with linphonec
// as bob (ZRTP mandatory, auto-answer) and the file audio device as the
// headset (its microphone plays a 700 Hz tone).
type desk struct {
	a    *app
	bob  *linphone.Phone
	ear  string // the headset's directory: in.wav, out.wav
	csrf string
}

func newDesk(t *testing.T) *desk { return newDeskOn(t, "") }

// newDeskOn is newDesk with the appliance's SIP and media bound to sipAddr.
func newDeskOn(t *testing.T, sipAddr string) *desk {
	t.Helper()
	kam := kamailio.Start(t, kamailio.User{Name: "alice", Password: "alice-pw"}, kamailio.User{Name: "bob", Password: "bob-pw"})
	bob := linphone.Start(t, linphone.Config{User: "bob", Password: "bob-pw", Domain: "127.0.0.1", Registrar: kam.Addr,
		AutoAnswer: true, MediaEncryption: "zrtp", Mandatory: true})
	ear := t.TempDir()
	writeTone(t, filepath.Join(ear, "in.wav"), 700, 20) // Padlock's microphone
	a := &app{data: t.TempDir(), logs: &output.Buffer{}, audio: "file:" + ear, sip: sipAddr}
	a.start(t)
	csrf := a.setUp(t)

	a.addSIPAccount(t, csrf, kam.Addr)
	if v := a.state(t); v["lamps"].(map[string]any)["status"] != "on" {
		t.Errorf("STATUS lamp with a registered account: %v", v["lamps"])
	}
	return &desk{a: a, bob: bob, ear: ear, csrf: csrf}
}

// lamps reads the three lamps from a state snapshot.
func lamps(v map[string]any) [3]string {
	l := v["lamps"].(map[string]any)
	return [3]string{l["lock"].(string), l["alert"].(string), l["status"].(string)}
}

// TestSecureCallWithLinphone is the phone's main job against real peers:
// the appliance registers to kamailio with an account added in the web
// admin, calls linphonec (bzrtp) through it, both show the same SAS, the
// call is SRTP both ways (each side hears the other's tone), a long press
// of SAS verifies it (LOCK lamp on), and HANGUP ends it.
func TestSecureCallWithLinphone(t *testing.T) {
	// Listening on every interface, as on the device: the SDP must still
	// carry the address the call leaves through (127.0.0.1 here).
	d := newDeskOn(t, "0.0.0.0:0")
	a, bob, ear, csrf := d.a, d.bob, d.ear, d.csrf
	bobTone := filepath.Join(bob.Dir, "bob.wav")
	writeTone(t, bobTone, 440, 20)
	var deadline time.Time

	mark := bob.Mark()
	if r, _ := a.do(t, "POST", "/call/dial", url.Values{"target": {"sip:bob@127.0.0.1"}}, csrf); r.StatusCode != 204 {
		t.Fatalf("dial: %s", r.Status)
	}
	v := a.waitState(t, "security", "secured")
	bobSAS := bob.WaitSAS(t, mark, 15*time.Second)
	if sas := v["sas"].(string); !strings.EqualFold(sas, bobSAS) {
		t.Fatalf("SAS: Padlock %q, linphonec %q", sas, bobSAS)
	}
	if v["status"] != "active" {
		t.Errorf("status %v", v["status"])
	}
	if l := v["lamps"].(map[string]any); l["lock"] != "blink" || l["alert"] != "off" {
		t.Errorf("lamps of a secured, unverified call: %v", l)
	}

	// Audio both ways, through SRTP.
	bob.Play(t, bobTone)
	bob.Record(t, filepath.Join(bob.Dir, "heard.wav"))
	// What Padlock hears: bob's 440 Hz, read from the headset's out.wav
	// while the call is up (the file device writes it as it plays).
	deadline = time.Now().Add(15 * time.Second)
	for {
		heard, rate, err := audio.ReadWAV(filepath.Join(ear, "out.wav"))
		if err == nil && bestLevel(heard, rate, 440) > 0.1 {
			break
		}
		if time.Now().After(deadline) {
			best := 0.0
			if err == nil {
				best = bestLevel(heard, rate, 440)
			}
			t.Fatalf("bob's 440 Hz never reached Padlock's ear (best level %.3f, %v)", best, err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Long press of SAS: verified.
	a.do(t, "POST", "/panel/press", url.Values{"button": {"sas"}, "hold_ms": {"1200"}}, csrf)
	v = a.waitState(t, "security", "verified")
	if l := v["lamps"].(map[string]any); l["lock"] != "on" {
		t.Errorf("LOCK lamp after confirming: %v", l["lock"])
	}

	a.do(t, "POST", "/panel/press", url.Values{"button": {"hangup"}}, csrf)
	a.waitState(t, "status", "ended")
	bob.WaitForAfter(t, mark, "ended", 10*time.Second)

	if bobHeard, rate, err := audio.ReadWAV(filepath.Join(bob.Dir, "heard.wav")); err != nil {
		t.Errorf("linphonec's recording: %v", err)
	} else if best := bestLevel(bobHeard, rate, 700); best < 0.1 {
		t.Errorf("Padlock's 700 Hz tone in linphonec's recording (%d Hz): best level %.3f", rate, best)
	}
	if strings.Contains(a.logs.String(), v["sas"].(string)) {
		t.Error("the SAS reached the log")
	}
}

// bestLevel is the strongest 1 s window of freq in pcm.
func bestLevel(pcm []int16, rate int, freq float64) float64 {
	return tone.BestLevel(pcm, rate, freq, rate)
}

// TestDeskScenario is the phone on a desk: linphonec calls, STATUS blinks
// fast and the ring plays; ANSWER picks up; the call is secured and the SAS
// is read into the headset (found in what it played by matching the prompt
// samples); a long press of SAS verifies (LOCK on); HANGUP; idle again.
// The lamps are checked at each step.
func TestDeskScenario(t *testing.T) {
	d := newDesk(t)
	a, bob, csrf := d.a, d.bob, d.csrf
	mark := bob.Mark()
	bob.Send(t, "call sip:alice@127.0.0.1")
	v := a.waitState(t, "status", "ringing-in")
	if l := lamps(v); l != [3]string{"off", "off", "fast"} {
		t.Errorf("lamps while ringing: %v", l)
	}
	a.do(t, "POST", "/panel/press", url.Values{"button": {"answer"}}, csrf)
	v = a.waitState(t, "security", "secured")
	if l := lamps(v); l != [3]string{"blink", "off", "on"} {
		t.Errorf("lamps when secured: %v", l)
	}
	sas := v["sas"].(string)
	if bobSAS := bob.WaitSAS(t, mark, 15*time.Second); !strings.EqualFold(sas, bobSAS) {
		t.Fatalf("SAS: Padlock %q, linphonec %q", sas, bobSAS)
	}

	// The SAS words in the headset: out.wav (at the call's rate) must hold
	// the spoken SAS, found by correlation with the prompt itself.
	deadline := time.Now().Add(20 * time.Second)
	for {
		heard, rate, err := audio.ReadWAV(filepath.Join(d.ear, "out.wav"))
		if err == nil {
			want, err := prompts.SAS(sas, rate)
			if err != nil {
				t.Fatal(err)
			}
			// It follows "call secured, please compare", which starts on
			// a frame: look there.
			secured, _ := prompts.Phrase(prompts.CallSecured, rate)
			compare, _ := prompts.Phrase(prompts.PleaseCompare, rate)
			if c := bestCorrelation(heard, want, audio.FrameLen(rate), len(secured)+len(compare)); c > 0.9 {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("the SAS %q was not spoken into the headset (best correlation %.2f over %d samples)", sas, c, len(heard))
			}
		}
		time.Sleep(250 * time.Millisecond)
	}

	a.do(t, "POST", "/panel/press", url.Values{"button": {"sas"}, "hold_ms": {"1200"}}, csrf)
	v = a.waitState(t, "security", "verified")
	if l := lamps(v); l != [3]string{"on", "off", "on"} {
		t.Errorf("lamps when verified: %v", l)
	}
	a.do(t, "POST", "/panel/press", url.Values{"button": {"hangup"}}, csrf)
	if t.Failed() {
		return
	}
	defer func() {
		if t.Failed() {
			t.Logf("appliance log:\n%s", a.logs)
		}
	}()
	a.waitState(t, "status", "ended")
	bob.WaitForAfter(t, mark, "ended", 10*time.Second)
	v = a.waitState(t, "status", "idle")
	if l := lamps(v); l != [3]string{"off", "off", "on"} {
		t.Errorf("lamps when idle again: %v", l)
	}
}

// bestCorrelation tries want at every offset k*step+lead of heard and
// returns the best normalized cross-correlation (1: heard holds want
// exactly there, up to level; other audio mixed in lowers it).
func bestCorrelation(heard, want []int16, step, lead int) float64 {
	if len(want) == 0 || len(heard) < len(want) {
		return 0
	}
	var ww float64
	for _, x := range want {
		ww += float64(x) * float64(x)
	}
	best := 0.0
	for off := lead; off+len(want) <= len(heard); off += step {
		var hw, hh float64
		for i, x := range want {
			h := float64(heard[off+i])
			hw += h * float64(x)
			hh += h * h
		}
		if hh > 0 {
			best = max(best, hw/math.Sqrt(hh*ww))
		}
		if best > 0.99 {
			break
		}
	}
	return best
}
