// Package slixmpp runs the other person of Padlock's XMPP tests: a slixmpp
// client (python3-slixmpp, an XMPP library written independently of
// Padlock's) logged in on a loopback test server, driven over stdin/stdout
// with one JSON object a line (see peer.py). It chats, answers
// subscriptions, joins rooms, sends invitations, and reports everything it
// sees as events.
package slixmpp

import (
	"bufio"
	"crypto/x509"
	_ "embed"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Python is Debian's interpreter, which sees the python3-slixmpp package
// (a pyenv python3 earlier on PATH would not).
const Python = "/usr/bin/python3"

const installHint = "run `make deps` (apt-get install python3-slixmpp)"

//go:embed peer.py
var script []byte

// Config is the account the peer logs in to.
type Config struct {
	JID, Password string
	// Addr is the server's client port, 127.0.0.1:port; Cert the server's
	// certificate, which the peer trusts as its only CA.
	Addr string
	Cert *x509.Certificate
	// Features are extra disco#info features (XEP-0030) the peer
	// advertises, e.g. Jingle audio to look like a client that takes calls.
	Features []string
	// CheckCaps has the peer verify every XEP-0115 hash it sees in
	// presence with slixmpp's own code ("caps" events).
	CheckCaps bool
}

// Event is one line the peer printed.
type Event struct {
	Event     string `json:"event"`
	JID       string `json:"jid"`
	From      string `json:"from"`
	Body      string `json:"body"`
	Room      string `json:"room"`
	Nick      string `json:"nick"`
	Type      string `json:"type"`
	Reason    string `json:"reason"`
	Error     string `json:"error"`
	Condition string `json:"condition"`
	Cmd       string `json:"cmd"`
	Items     []Item `json:"items"`
}

// Item is a roster entry as the peer sees it.
type Item struct {
	JID          string   `json:"jid"`
	Name         string   `json:"name"`
	Subscription string   `json:"subscription"`
	Ask          string   `json:"ask"`
	Groups       []string `json:"groups"`
}

// Peer is one running slixmpp client.
type Peer struct {
	JID string

	t     testing.TB
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}

	mu     sync.Mutex
	events []Event
	stderr strings.Builder
	wake   chan struct{}
}

// run starts peer.py with args after the script path.
func run(t testing.TB, cfg Config, extra ...string) *Peer {
	t.Helper()
	if _, err := os.Stat(Python); err != nil {
		t.Fatalf("slixmpp peer: %s not found: %s", Python, installHint)
	}
	dir := t.TempDir()
	sp, ca := filepath.Join(dir, "peer.py"), filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(sp, script, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cfg.Cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(Python, append([]string{"-u", sp, cfg.JID, cfg.Password, cfg.Addr, ca}, extra...)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1",
		"PEER_FEATURES=" + strings.Join(cfg.Features, " ")}
	if cfg.CheckCaps {
		cmd.Env = append(cmd.Env, "PEER_CAPS=1")
	}
	p := &Peer{JID: cfg.JID, t: t, cmd: cmd, done: make(chan struct{}), wake: make(chan struct{}, 1)}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &lockedWriter{p: p}
	if err := cmd.Start(); err != nil {
		t.Fatalf("slixmpp peer: %v (%s)", err, installHint)
	}
	p.stdin = stdin
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var ev Event
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				ev = Event{Event: "error", Error: "unreadable line from peer.py: " + sc.Text()}
			}
			p.mu.Lock()
			p.events = append(p.events, ev)
			p.mu.Unlock()
			select {
			case p.wake <- struct{}{}:
			default:
			}
		}
		cmd.Wait()
		close(p.done)
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}()
	t.Cleanup(p.stop)
	return p
}

type lockedWriter struct{ p *Peer }

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	if w.p.stderr.Len() < 64<<10 {
		w.p.stderr.Write(b)
	}
	return len(b), nil
}

// Start logs the peer in and waits until it is online (roster fetched,
// presence sent).
func Start(t testing.TB, cfg Config) *Peer {
	t.Helper()
	p := run(t, cfg)
	ev := p.Await(t, "online or a login failure", func(e Event) bool {
		return e.Event == "online" || e.Event == "auth_failed" || e.Event == "exit"
	})
	if ev.Event != "online" {
		t.Fatalf("slixmpp peer %s could not log in: %s\n%s", cfg.JID, ev.Event, p.Stderr())
	}
	return p
}

// CheckLogin makes a fresh login with cfg and reports whether the server
// accepted the password; any other failure fails the test.
func CheckLogin(t testing.TB, cfg Config) bool {
	t.Helper()
	p := run(t, cfg, "check")
	ev := p.Await(t, "a login result", func(e Event) bool {
		return e.Event == "online" || e.Event == "auth_failed" || e.Event == "exit"
	})
	if ev.Event == "exit" {
		t.Fatalf("slixmpp login check of %s ended without a result:\n%s", cfg.JID, p.Stderr())
	}
	<-p.done
	return ev.Event == "online"
}

// Do sends the peer one command, such as
// map[string]any{"cmd": "send", "to": "alice@localhost", "body": "hi"}.
func (p *Peer) Do(t testing.TB, c map[string]any) {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		t.Fatalf("slixmpp peer %s: command %s: %v\n%s", p.JID, b, err, p.Stderr())
	}
}

// Events is a copy of every event so far.
func (p *Peer) Events() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.events)
}

// Saw reports whether an event so far matches ok.
func (p *Peer) Saw(ok func(Event) bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.ContainsFunc(p.events, ok)
}

// Await waits (20 s at most) until an event matching ok was seen and
// returns the first one. An "error" event from the script fails the test.
func (p *Peer) Await(t testing.TB, what string, ok func(Event) bool) Event {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		p.mu.Lock()
		for _, e := range p.events {
			if e.Event == "error" {
				p.mu.Unlock()
				t.Fatalf("slixmpp peer %s: %s\n%s", p.JID, e.Error, p.Stderr())
			}
			if ok(e) {
				p.mu.Unlock()
				return e
			}
		}
		p.mu.Unlock()
		select {
		case <-p.wake:
		case <-p.done:
			// Drain what was printed before exiting, then give up.
			if !p.Saw(ok) {
				t.Fatalf("slixmpp peer %s exited before %s:\n%s", p.JID, what, p.Stderr())
			}
		case <-deadline:
			t.Fatalf("slixmpp peer %s never saw %s; it saw %v\n%s", p.JID, what, p.Events(), p.Stderr())
		}
	}
}

// AwaitN waits (20 s at most) until n events matching ok were seen.
func (p *Peer) AwaitN(t testing.TB, what string, n int, ok func(Event) bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		count := 0
		for _, e := range p.Events() {
			if ok(e) {
				count++
			}
		}
		if count >= n {
			return
		}
		select {
		case <-p.wake:
		case <-p.done:
			t.Fatalf("slixmpp peer %s exited before %s:\n%s", p.JID, what, p.Stderr())
		case <-deadline:
			t.Fatalf("slixmpp peer %s saw %s only %d times, want %d", p.JID, what, count, n)
		}
	}
}

// Stderr is what the script printed on stderr (its log).
func (p *Peer) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

func (p *Peer) stop() {
	p.stdin.Close() // the script disconnects on EOF
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// String names the peer in failure messages.
func (p *Peer) String() string { return fmt.Sprintf("slixmpp %s", p.JID) }
