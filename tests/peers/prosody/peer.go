package prosody

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/protocols/xmpp"
)

// Peer is the other person in a test: an independent client (the xmpp
// driver) logged in to this server, keeping every event it saw.
type Peer struct {
	C *xmpp.Client

	mu   sync.Mutex
	seen []xmpp.Event
	wake chan struct{}
}

// Dial logs user in with its own client; it is closed when the test ends.
func (s *Server) Dial(t testing.TB, user, pw string) *Peer {
	t.Helper()
	c, err := xmpp.Dial(context.Background(), xmpp.Config{JID: user + "@" + s.Domain, Password: []byte(pw),
		Server: s.Addr, PinnedFingerprint: s.Fingerprint, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("peer %s: %v", user, err)
	}
	p := &Peer{C: c, wake: make(chan struct{}, 1)}
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
func (p *Peer) Seen() []xmpp.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.seen)
}

// Saw reports whether an event so far matches ok.
func (p *Peer) Saw(ok func(xmpp.Event) bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.ContainsFunc(p.seen, ok)
}

// Await waits (15 s at most) until an event matching ok was seen.
func (p *Peer) Await(t testing.TB, what string, ok func(xmpp.Event) bool) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for !p.Saw(ok) {
		select {
		case <-p.wake:
		case <-deadline:
			t.Fatalf("the peer never saw %s", what)
		}
	}
}
