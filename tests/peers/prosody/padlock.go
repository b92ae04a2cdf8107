package prosody

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/protocols/xmpp"
)

// PadlockClient is Padlock's own XMPP client (protocols/xmpp) logged in to
// this server, keeping every event it saw. It is for tests where both ends
// are Padlock on purpose — two phones calling each other over Jingle, or a
// raw Jingle peer that sends malformed stanzas on a real session. A test
// whose other end is a person uses an independent client instead
// (tests/peers/slixmpp, tests/peers/mcabber): Padlock talking to itself is
// not interop.
type PadlockClient struct {
	C *xmpp.Client

	mu   sync.Mutex
	seen []xmpp.Event
	wake chan struct{}
}

// DialPadlock logs user in with Padlock's client; it is closed when the
// test ends.
func (s *Server) DialPadlock(t testing.TB, user, pw string) *PadlockClient {
	t.Helper()
	c, err := xmpp.Dial(context.Background(), xmpp.Config{JID: user + "@" + s.Domain, Password: []byte(pw),
		Server: s.Addr, PinnedFingerprint: s.Fingerprint, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("Padlock client %s: %v", user, err)
	}
	p := &PadlockClient{C: c, wake: make(chan struct{}, 1)}
	go func() {
		for ev := range c.Events() {
			p.mu.Lock()
			p.seen = append(p.seen, ev)
			p.mu.Unlock()
			select {
			case p.wake <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { c.Close() })
	return p
}

// Seen is a copy of every event so far.
func (p *PadlockClient) Seen() []xmpp.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.seen)
}

// Await waits (15 s at most) until an event matching ok was seen.
func (p *PadlockClient) Await(t testing.TB, what string, ok func(xmpp.Event) bool) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		p.mu.Lock()
		saw := slices.ContainsFunc(p.seen, ok)
		p.mu.Unlock()
		if saw {
			return
		}
		select {
		case <-p.wake:
		case <-deadline:
			t.Fatalf("the Padlock client never saw %s", what)
		}
	}
}
