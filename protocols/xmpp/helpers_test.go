package xmpp_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
)

// testBackoff keeps reconnection fast in tests.
var testBackoff = xmpp.Backoff{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond}

// account returns a config for user on s, trusting s's certificate by pin.
func account(s *prosody.Server, user, password string) xmpp.Config {
	return xmpp.Config{
		JID:               user + "@" + s.Domain,
		Password:          []byte(password),
		Server:            s.Addr,
		PinnedFingerprint: s.Fingerprint,
		Backoff:           testBackoff,
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dial logs in and closes the client when the test ends.
func dial(t *testing.T, cfg xmpp.Config) *xmpp.Client {
	t.Helper()
	c, err := xmpp.Dial(ctxT(t), cfg)
	if err != nil {
		t.Fatalf("Dial %s: %v", cfg.JID, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitFor reads c's events until one of type T satisfies ok, and returns it.
// Other events are dropped.
func waitFor[T xmpp.Event](t *testing.T, c *xmpp.Client, ok func(T) bool) T {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case e, open := <-c.Events():
			if !open {
				t.Fatalf("events closed while waiting for %T", *new(T))
			}
			if v, is := e.(T); is && (ok == nil || ok(v)) {
				return v
			}
		case <-timeout:
			var zero T
			t.Fatalf("no matching %T event within 15 s", zero)
		}
	}
}

// packetLog collects logged stanzas.
type packetLog struct {
	mu    sync.Mutex
	lines []string
}

func (p *packetLog) log(dir xmpp.Direction, stanza []byte) {
	p.mu.Lock()
	p.lines = append(p.lines, dir.String()+" "+string(stanza))
	p.mu.Unlock()
}

func (p *packetLog) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestMain fails the run if any goroutine (a client's reader, pinger or
// event pump, or a prosody waiter) outlives the tests.
// The shared servers are stopped first.
func TestMain(m *testing.M) {
	code := m.Run()
	stopAllServers()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
