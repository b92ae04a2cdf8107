package jingleline_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
)

// padlockClient is Padlock's own XMPP client logged in to the test server,
// keeping every event it saw. These tests are Padlock to Padlock on
// purpose (two phones calling each other over Jingle), so both ends use
// it; tests where the other end is a person use an independent client
// (tests/peers/slixmpp, mcabber).
type padlockClient struct {
	C *xmpp.Client

	mu   sync.Mutex
	seen []xmpp.Event
	wake chan struct{}
}

// dialPadlock logs user in; the client is closed when the test ends.
func dialPadlock(t testing.TB, s *prosody.Server, user, pw string) *padlockClient {
	t.Helper()
	c, err := xmpp.Dial(context.Background(), xmpp.Config{JID: user + "@" + s.Domain, Password: []byte(pw),
		Server: s.Addr, PinnedFingerprint: s.Fingerprint, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("client %s: %v", user, err)
	}
	p := &padlockClient{C: c, wake: make(chan struct{}, 1)}
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

// Await waits (15 s at most) until an event matching ok was seen.
func (p *padlockClient) Await(t testing.TB, what string, ok func(xmpp.Event) bool) {
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
			t.Fatalf("the client never saw %s", what)
		}
	}
}
