package webadmin

import (
	"testing"
	"time"
)

func TestThrottleDelays(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := newThrottle(clock.now)
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got := th.wait("a"); got != w {
			t.Errorf("after %d failures: wait %v, want %v", i, got, w)
		}
		th.failed("a")
	}
	if th.wait("b") != 0 {
		t.Error("another address is slowed by a's failures")
	}
	for range 40 {
		th.failed("a")
	}
	if got := th.wait("a"); got != maxDelay {
		t.Errorf("cap: %v", got)
	}
	// The device-wide count now slows everyone.
	if th.wait("b") == 0 {
		t.Error("47 failures on the device did not slow a new address")
	}
	clock.add(maxDelay)
	if th.wait("a") != 0 || th.wait("b") != 0 {
		t.Error("still waiting after the maximum delay")
	}
	th.succeeded("a")
	if f := th.clients["a"]; f != nil {
		t.Error("success did not forget the address")
	}
	clock.add(forgetAfter + time.Minute)
	th.failed("c")
	if len(th.clients) != 1 {
		t.Errorf("stale addresses kept: %d", len(th.clients))
	}
}

func TestRepetitive(t *testing.T) {
	for pw, want := range map[string]bool{
		"aaaaaaaaaaaa": true, "abababababab": true, "abcdabcdabcd": true,
		"tulip engine ladder": false, "abcabcabcabd": false,
	} {
		if got := repetitive(pw); got != want {
			t.Errorf("repetitive(%q) = %v", pw, got)
		}
	}
}
