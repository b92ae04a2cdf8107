package webadmin

import (
	"sync"
	"time"
)

// throttle slows down password guessing (login, password change and every
// re-authentication). The policy, written out in docs/SECURITY.md:
//
//   - An attempt counts as a failure before the KDF runs and is refunded on
//     success (issue 12): checking and counting are one step under one lock,
//     so N parallel guesses are counted as N, never pass as one.
//   - Per guesser (a client address, or a browser holding the device cookie
//     of an earlier login): freeFailures wrong passwords, then a delay that
//     doubles from 1 s with every failure, capped at maxDelay.
//   - Device-wide, for guessers without a device cookie: globalFree, then the
//     same doubling delay, so many addresses cannot share the work.
//   - A browser with a device cookie is never slowed by anyone else's
//     failures: the owner's usual browser waits at most maxDelay, and only
//     after its own wrong passwords, however an attacker paces guesses.
//   - The owner at the phone can clear every count (hold HANGUP + SAS for
//     ownerGesture); see ownerPresent.
type throttle struct {
	now func() time.Time

	mu      sync.Mutex
	clients map[string]*failures // by guesser key (see guesser)
	global  failures
}

type failures struct {
	n    int
	last time.Time
}

const (
	freeFailures = 3
	maxDelay     = 5 * time.Minute
	// globalFree: the device-wide count starts slowing everyone later, so
	// one attacker cannot lock the owner out as easily.
	globalFree = 30
	// forgetAfter: a guesser that stopped guessing is forgotten.
	forgetAfter = time.Hour
	// maxGuessers bounds the map: an attacker with many addresses cannot
	// grow it without limit. Beyond it the oldest entry is dropped first.
	maxGuessers = 4096
)

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, clients: map[string]*failures{}}
}

// delay is how long failures f make the next attempt wait, past free.
func (f failures) delay(free int) time.Duration {
	if f.n < free {
		return 0
	}
	d := time.Second << min(f.n-free, 20)
	return min(d, maxDelay)
}

// guesser names who is guessing: the device cookie's id when the browser
// has one (trusted), else the client address.
type guesser struct {
	key     string
	trusted bool
}

// begin admits one attempt by g, counting it as a failure already, or says
// how long g must still wait (and counts nothing). Check and count are one
// step: a parallel attempt sees the ones before it.
func (t *throttle) begin(g guesser) (wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if t.global.n > 0 && now.Sub(t.global.last) > forgetAfter {
		t.global = failures{} // an attack that stopped an hour ago is forgotten
	}
	f := t.clients[g.key]
	if f != nil {
		wait = max(wait, f.last.Add(f.delay(freeFailures)).Sub(now))
	}
	if !g.trusted {
		wait = max(wait, t.global.last.Add(t.global.delay(globalFree)).Sub(now))
	}
	if wait > 0 {
		return wait
	}
	if f == nil {
		t.gc(now)
		f = &failures{}
		t.clients[g.key] = f
	}
	f.n++
	f.last = now
	if !g.trusted {
		t.global.n++
		t.global.last = now
	}
	return 0
}

// refund gives back the failure begin counted, the password being right:
// g's count is forgotten, and the device-wide one loses this attempt (not
// more: the attacker might be someone else).
func (t *throttle) refund(g guesser) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.clients, g.key)
	if !g.trusted && t.global.n > 0 {
		t.global.n--
	}
}

// unused gives back an attempt that never reached the KDF (the KDF queue
// was full): it counts neither way.
func (t *throttle) unused(g guesser) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f := t.clients[g.key]; f != nil && f.n > 0 {
		f.n--
	}
	if !g.trusted && t.global.n > 0 {
		t.global.n--
	}
}

// clear forgets every count: the owner proved presence at the phone.
func (t *throttle) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.clients)
	t.global = failures{}
}

// gc drops guessers that stopped, and the oldest beyond maxGuessers; t.mu held.
func (t *throttle) gc(now time.Time) {
	for k, f := range t.clients {
		if now.Sub(f.last) > forgetAfter {
			delete(t.clients, k)
		}
	}
	for len(t.clients) >= maxGuessers {
		var oldest string
		var at time.Time
		for k, f := range t.clients {
			if oldest == "" || f.last.Before(at) {
				oldest, at = k, f.last
			}
		}
		delete(t.clients, oldest)
	}
}
