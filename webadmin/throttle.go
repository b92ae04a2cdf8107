package webadmin

import (
	"sync"
	"time"
)

// throttle slows down password guessing at the login form. After
// freeFailures wrong passwords in a row, each further attempt must wait a
// delay that doubles with every failure, up to maxDelay. It counts per client
// address and for the whole device, so many addresses cannot share the work.
// A correct password resets the count of that address (not the device's:
// the attacker might be the other one).
type throttle struct {
	now func() time.Time

	mu      sync.Mutex
	clients map[string]*failures
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
	// forgetAfter: an address that stopped guessing is forgotten.
	forgetAfter = time.Hour
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

// wait reports how long client must still wait before trying again; 0
// means the attempt may go ahead.
func (t *throttle) wait(client string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var left time.Duration
	if f := t.clients[client]; f != nil {
		left = max(left, f.last.Add(f.delay(freeFailures)).Sub(now))
	}
	left = max(left, t.global.last.Add(t.global.delay(globalFree)).Sub(now))
	return max(left, 0)
}

// failed records a wrong password from client.
func (t *throttle) failed(client string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for k, f := range t.clients {
		if now.Sub(f.last) > forgetAfter {
			delete(t.clients, k)
		}
	}
	f := t.clients[client]
	if f == nil {
		f = &failures{}
		t.clients[client] = f
	}
	f.n++
	f.last = now
	t.global.n++
	t.global.last = now
}

// succeeded forgets client's failures.
func (t *throttle) succeeded(client string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.clients, client)
	if t.global.n > 0 {
		t.global.n--
	}
}
