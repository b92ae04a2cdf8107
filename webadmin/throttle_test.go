package webadmin

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestThrottleDelays(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := newThrottle(clock.now)
	a, b := guesser{key: "addr:a"}, guesser{key: "addr:b"}
	// Each admitted attempt is already a failure: the waits after 0..6 of them.
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got := th.begin(a); got != w {
			t.Fatalf("after %d failures: wait %v, want %v", i, got, w)
		}
		if w > 0 {
			clock.add(w) // wait as told, then the attempt goes in
			if got := th.begin(a); got != 0 {
				t.Fatalf("after waiting %v: still %v", w, got)
			}
		}
	}
	if th.begin(b) != 0 {
		t.Error("another address is slowed by a's failures")
	}
	th.unused(b)
	for range 40 {
		clock.add(maxDelay)
		th.begin(a)
	}
	if got := th.begin(a); got != maxDelay {
		t.Errorf("cap: %v", got)
	}
	// The device-wide count now slows every address without a device cookie...
	if th.begin(guesser{key: "addr:fresh"}) == 0 {
		t.Error("47 failures on the device did not slow a new address")
	}
	// ...but not a browser that logged in before.
	owner := guesser{key: "device:owner", trusted: true}
	if w := th.begin(owner); w != 0 {
		t.Errorf("the owner's browser waits %v for others' failures", w)
	}
	th.refund(owner)
	clock.add(maxDelay)
	if th.begin(a) != 0 {
		t.Error("still waiting after the maximum delay")
	}
	th.refund(a)
	if f := th.clients["addr:a"]; f != nil {
		t.Error("success did not forget the address")
	}
	clock.add(forgetAfter + time.Minute)
	th.begin(guesser{key: "addr:c"})
	if len(th.clients) != 1 {
		t.Errorf("stale guessers kept: %d", len(th.clients))
	}
}

// TestThrottleConcurrency: N parallel first guesses from one address admit
// exactly freeFailures; from N addresses at once, exactly globalFree.
func TestThrottleConcurrency(t *testing.T) {
	for _, tc := range []struct {
		name      string
		key       func(i int) string
		admitted  int
		attackers int
	}{
		{"one address", func(int) string { return "addr:x" }, freeFailures, 200},
		{"many addresses", func(i int) string { return fmt.Sprintf("addr:%d", i) }, globalFree, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			th := newThrottle(clock.now)
			var mu sync.Mutex
			admitted := 0
			var wg sync.WaitGroup
			for i := range tc.attackers {
				wg.Go(func() {
					if th.begin(guesser{key: tc.key(i)}) == 0 {
						mu.Lock()
						admitted++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if admitted != tc.admitted {
				t.Errorf("%d parallel guesses admitted, want %d", admitted, tc.admitted)
			}
		})
	}
}

// TestThrottleOwnerBound: however an attacker without a device cookie paces
// guesses, the owner's browser (device cookie) is never made to wait, and
// the gesture at the phone frees a new browser at once.
func TestThrottleOwnerBound(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := newThrottle(clock.now)
	owner := guesser{key: "device:owner", trusted: true}
	for i := range 2000 {
		// One guess from a new address each time the device-wide delay allows.
		g := guesser{key: fmt.Sprintf("addr:%d", i)}
		if w := th.begin(g); w > 0 {
			clock.add(w)
			th.begin(g)
		}
		if w := th.begin(owner); w != 0 {
			t.Fatalf("after %d attacker guesses the owner's browser waits %v", i, w)
		}
		th.refund(owner)
	}
	newBrowser := guesser{key: "addr:owner-laptop"}
	if th.begin(newBrowser) == 0 {
		t.Fatal("the attack did not reach the device-wide limit; the test proves nothing")
	}
	th.clear() // HANGUP + SAS held at the phone
	if w := th.begin(newBrowser); w != 0 {
		t.Errorf("after the gesture a new browser still waits %v", w)
	}
}

// TestThrottleForgetsAnAttack: an hour after the last failure the
// device-wide count starts again from zero.
func TestThrottleForgetsAnAttack(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := newThrottle(clock.now)
	for i := range globalFree + 1 {
		th.begin(guesser{key: fmt.Sprintf("addr:%d", i)})
	}
	if th.begin(guesser{key: "addr:new"}) == 0 {
		t.Fatal("the device-wide limit was not reached")
	}
	clock.add(forgetAfter + time.Second)
	if w := th.begin(guesser{key: "addr:next-day"}); w != 0 {
		t.Errorf("an hour after the attack a new browser waits %v", w)
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
