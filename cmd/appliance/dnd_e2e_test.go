package main

import (
	"testing"
	"time"
)

// TestDoNotDisturb: turned on from the web admin, STATUS blinks and
// linphonec's call is turned away busy (call.Busy: the SIP driver's 486,
// after its automatic 180) without ringing here, logged as a missed call;
// turned off, the next call rings again.
func TestDoNotDisturb(t *testing.T) {
	d := newClearDesk(t, clearOpts{ring: true})
	a, bob := d.a, d.bob
	d.post(t, "/call/dnd-on", nil)
	v := waitDND(t, a, true)
	if l := lamps(v); l[2] != "blink" {
		t.Errorf("STATUS with do-not-disturb: %v, want blink", l)
	}
	mark := bob.Mark()
	bob.Send(t, "call sip:alice@127.0.0.1")
	bob.WaitForAfter(t, mark, "with sip:alice@127.0.0.1 error", callWait) // liblinphone prints a 486 so
	v = a.state(t)
	if v["status"] != "idle" || missed(v) != 1 {
		t.Errorf("after the call turned away: status %v, missed %v (want idle, 1)", v["status"], v["missed"])
	}
	if got := waitHistory(t, a, 1); len(got) != 1 || got[0] != "in bob@127.0.0.1" {
		t.Errorf("call history rows: %q, want the missed call from bob", got)
	}

	d.post(t, "/call/dnd-off", nil)
	waitDND(t, a, false)
	mark = bob.Mark()
	bob.Send(t, "call sip:alice@127.0.0.1")
	a.waitState(t, "status", "ringing-in")
	d.post(t, "/call/hangup", nil)
	bob.WaitForAfter(t, mark, "ended (Call declined)", callWait)
}

// waitDND waits until the web admin's state shows do-not-disturb as want.
func waitDND(t *testing.T, a *app, want bool) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(callWait); ; time.Sleep(50 * time.Millisecond) {
		v := a.state(t)
		if v["doNotDisturb"] == want {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("doNotDisturb = %v, want %v", v["doNotDisturb"], want)
		}
	}
}
