package main

import (
	"math"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/tests/peers/kamailio"
	"github.com/padlock-phone/padlock/tests/peers/linphone"
)

// writeTone writes seconds of a sine at freq (8 kHz mono) to path.
func writeTone(t *testing.T, path string, freq float64, seconds int) {
	t.Helper()
	w, err := audio.CreateWAV(path, 8000)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, 8000*seconds)
	for i := range pcm {
		pcm[i] = int16(0.4 * 32767 * math.Sin(2*math.Pi*freq*float64(i)/8000))
	}
	if err := w.Write(pcm); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSecureCallWithLinphone is the phone's main job against real peers:
// the appliance registers to kamailio with an account added in the web
// admin, calls linphonec (bzrtp) through it, both show the same SAS, the
// call is SRTP both ways (each side hears the other's tone), a long press
// of SAS verifies it (LOCK lamp on), and HANGUP ends it.
func TestSecureCallWithLinphone(t *testing.T) {
	kam := kamailio.Start(t, kamailio.User{Name: "alice", Password: "alice-pw"}, kamailio.User{Name: "bob", Password: "bob-pw"})
	bob := linphone.Start(t, linphone.Config{User: "bob", Password: "bob-pw", Domain: "127.0.0.1", Registrar: kam.Addr,
		AutoAnswer: true, MediaEncryption: "zrtp", Mandatory: true})
	bobTone := filepath.Join(bob.Dir, "bob.wav")
	writeTone(t, bobTone, 440, 20)

	ear := t.TempDir()
	writeTone(t, filepath.Join(ear, "in.wav"), 700, 20) // Padlock's microphone
	a := &app{data: t.TempDir(), logs: &syncBuffer{}, audio: "file:" + ear}
	a.start(t)
	csrf := a.setUp(t)

	_, port, _ := strings.Cut(kam.Addr, ":")
	form := url.Values{"kind": {"sip"}, "user": {"alice"}, "server": {"127.0.0.1"}, "port": {port}, "transport": {"udp"},
		"enabled": {"on"}, "password": {"alice-pw"}, "save_password": {"on"}, "csrf": {csrf}}
	if r, body := a.do(t, "POST", "/accounts", form, csrf); r.StatusCode != 204 {
		t.Fatalf("add account: %s %s", r.Status, body)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, body := a.do(t, "GET", "/accounts", nil, "")
		if strings.Contains(body, `data-status="registered"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alice never registered; accounts page:\n%s\nlog:\n%s", body, a.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v := a.state(t); v["lamps"].(map[string]any)["status"] != "on" {
		t.Errorf("STATUS lamp with a registered account: %v", v["lamps"])
	}

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
	best := 0.0
	for start := 0; start+rate <= len(pcm); start += rate / 4 {
		best = max(best, goertzel(pcm[start:start+rate], rate, freq))
	}
	return best
}
