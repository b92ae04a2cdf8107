package main

import (
	"math"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/tests/peers/linphone"
)

// TestDeskSoundAndForward is the Sound page end to end, against kamailio
// and two linphonecs: the volume saved there is what the headset plays
// (the ring's 480 Hz measured in the headset's output at 100% and, after a
// restart, at 50%: -6 dB); do-not-disturb with a forward target sends
// bob's call to carol with a 302, which bob's liblinphone follows (carol
// rings), and logs it missed here; after a restart do-not-disturb and the
// levels are as saved, and once the vault is unlocked the forward target
// too (bob is forwarded again).
func TestDeskSoundAndForward(t *testing.T) {
	d := newClearDesk(t, clearOpts{ring: true})
	a, bob := d.a, d.bob
	carol := linphone.Start(t, linphone.Config{User: "carol", Password: "carol-pw", Domain: "127.0.0.1", Registrar: d.kam.Addr})

	full := ringLevel(t, d)
	save := url.Values{"volume": {"50"}, "mic": {"80"}, "dnd": {"on"}, "forward": {"carol"}}
	if r, body := a.do(t, "POST", "/desk", save, d.csrf); r.StatusCode != 204 && r.StatusCode != 303 {
		t.Fatalf("saving the Sound page: %s %s", r.Status, body)
	}
	waitDND(t, a, true)
	forwarded := func(n int) {
		t.Helper()
		bmark, cmark := bob.Mark(), carol.Mark()
		bob.Send(t, "call sip:alice@127.0.0.1")
		carol.WaitForAfter(t, cmark, "Receiving new incoming call from", callWait)
		bob.Send(t, "terminate")
		bob.WaitForAfter(t, bmark, "ended", callWait)
		carol.WaitForAfter(t, cmark, "ended", callWait)
		for deadline := time.Now().Add(callWait); missed(a.state(t)) != n; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("missed calls %d, want %d (the forwarded call)", missed(a.state(t)), n)
			}
		}
		if v := a.state(t); v["status"] != "idle" {
			t.Errorf("after forwarding: status %v, want idle (it never rang here)", v["status"])
		}
	}
	forwarded(1)

	a.restart(t)
	d.csrf = a.admin.LogIn(t, testPassword)
	a.admin.WaitRegistered(t, "alice")
	waitDND(t, a, true)
	if _, body := a.do(t, "GET", "/desk", nil, ""); !strings.Contains(body, `name="volume" min="10" max="200" step="5" value="50"`) ||
		!strings.Contains(body, `name="mic" min="0" max="200" step="5" value="80"`) || !strings.Contains(body, `value="carol"`) {
		t.Errorf("the Sound page after a restart does not show what was saved:\n%s", body)
	}
	forwarded(1) // the missed count is the brain's, from this boot

	d.post(t, "/call/dnd-off", nil)
	waitDND(t, a, false)
	half := ringLevel(t, d)
	db := 20 * math.Log10(half/full)
	t.Logf("ring 480 Hz in the headset: %.3f at 100%%, %.3f at 50%% (%+.2f dB)", full, half, db)
	if math.Abs(db-(-6.02)) > 1 {
		t.Errorf("ring at volume 50%%: %+.2f dB against 100%%, want -6.02 ± 1 dB", db)
	}
	if rows := historyRows(t, a); len(rows) < 2 || rows[0] != "in bob@127.0.0.1" || rows[1] != "in bob@127.0.0.1" {
		t.Errorf("call history %q, want the two forwarded calls from bob first", rows)
	}
}

// ringLevel rings the desk from the test line (ringback), reads the
// loudest second of the ring's 480 Hz in the headset's output once three
// seconds of it were played, and hangs up.
func ringLevel(t *testing.T, d *clearDesk) float64 {
	t.Helper()
	a := d.a
	d.post(t, "/call/dial", url.Values{"target": {"ringback"}})
	a.waitState(t, "status", "ringing-in")
	out := filepath.Join(d.ear, "out.wav")
	var level float64
	for deadline := time.Now().Add(callWait); ; time.Sleep(200 * time.Millisecond) {
		pcm, rate, err := audio.ReadWAV(out)
		if err == nil && rate > 0 && len(pcm) >= 4*rate {
			level = bestLevel(pcm, rate, 480)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ring never reached the headset (%v)", err)
		}
	}
	d.post(t, "/call/hangup", nil)
	a.waitState(t, "status", "idle")
	if level < minToneLevel/4 {
		t.Fatalf("ring at 480 Hz: level %.3f, not a ring", level)
	}
	return level
}

// TestDoNotDisturbByHangupHold: HANGUP held alone for 6 s on the simulated
// board with no call turns do-not-disturb on (STATUS blinks), the same
// gesture again turns it off, and what the buttons set is what the store
// keeps: the Sound page shows it.
func TestDoNotDisturbByHangupHold(t *testing.T) {
	a := startAppliance(t)
	a.stateAfterLogin(t)
	csrf := a.csrf(t)
	for _, want := range []bool{true, false} {
		if r, body := a.do(t, "POST", "/panel/press", url.Values{"button": {"hangup"}, "hold_ms": {"6000"}}, csrf); r.StatusCode >= 300 {
			t.Fatalf("press: %s %s", r.Status, body)
		}
		v := waitDND(t, a, want)
		if l := lamps(v); want && l[2] != "blink" {
			t.Errorf("STATUS after the HANGUP hold: %v, want blink", l)
		}
		checked := `name="dnd" id="desk-dnd" checked`
		for deadline := time.Now().Add(callWait); ; time.Sleep(50 * time.Millisecond) {
			_, body := a.do(t, "GET", "/desk", nil, "")
			if strings.Contains(body, checked) == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the Sound page never showed do-not-disturb %v after the HANGUP hold", want)
			}
		}
	}
}
