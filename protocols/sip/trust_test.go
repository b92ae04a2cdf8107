package sip

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/padlock-phone/padlock/call"
)

// The registrar of these tests is 127.0.0.1 (which is where rawPeer sends
// from); the LAN attacker sends from 127.0.0.2, which on Linux is loopback
// too.
var attackerIP = net.IPv4(127, 0, 0, 2)

func rawPeerFrom(t *testing.T, d *Driver, ip net.IP) *rawPeer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawPeer{t: t, conn: c, to: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: d.uas[0].port}, port: c.LocalAddr().(*net.UDPAddr).Port}
}

// responses counts what p receives until a trusted control request has
// been answered and a further window has passed: the control proves the
// driver had read p's datagrams (they were sent first), the window covers
// sipgo's 100 Trying timer (200 ms) and the first retransmission (500 ms).
func (p *rawPeer) responsesAfter(control *rawPeer) []int {
	p.t.Helper()
	control.answered()
	var codes []int
	buf := make([]byte, 65535)
	deadline := time.Now().Add(1200 * time.Millisecond)
	for {
		p.conn.SetReadDeadline(deadline)
		n, _, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			return codes
		}
		if res, err := sip.ParseMessage(buf[:n]); err == nil {
			if r, ok := res.(*sip.Response); ok {
				codes = append(codes, r.StatusCode)
			}
		}
	}
}

// answered sends OPTIONS until one is answered: after a flood the socket
// buffer may have dropped the first (UDP; a real client retransmits too).
func (p *rawPeer) answered() {
	p.t.Helper()
	buf := make([]byte, 65535)
	for try := range 20 {
		id := fmt.Sprintf("ctl-%d-%d", time.Now().UnixNano(), try)
		p.request("OPTIONS", "OPTIONS", 1, id, "ct", "", "")
		p.conn.SetReadDeadline(time.Now().Add(time.Second))
		for {
			n, _, err := p.conn.ReadFromUDP(buf)
			if err != nil {
				break
			}
			if m, err := sip.ParseMessage(buf[:n]); err == nil {
				if r, ok := m.(*sip.Response); ok && r.StatusCode == 200 && r.CallID() != nil && string(*r.CallID()) == id {
					return
				}
			}
		}
	}
	p.t.Fatal("no OPTIONS of the trusted control peer was answered in 20 tries")
}

func trustDriver(t *testing.T, anySource bool) *Driver {
	return trustDriverOf(t, "127.0.0.1:9", anySource)
}

func trustDriverOf(t *testing.T, registrar string, anySource bool) *Driver {
	t.Helper()
	d, err := New(Config{Accounts: []Account{{User: "alice", Domain: "127.0.0.1", Registrar: registrar, AcceptAnySource: anySource}}, Media: newUDPMedia()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func noIncoming(t *testing.T, d *Driver) {
	t.Helper()
	select {
	case ev := <-d.Events():
		if in, ok := ev.(call.Incoming); ok {
			t.Fatalf("the phone rang for %s", in.From)
		}
	default:
	}
}

// TestSpoofedInviteDoesNotRing: an INVITE (and OPTIONS, a stray BYE and
// CANCEL) from an address that is not the registrar draws no response and
// does not ring; with AcceptAnySource the same INVITE rings.
func TestSpoofedInviteDoesNotRing(t *testing.T) {
	for _, tc := range []struct {
		name      string
		registrar string
		anySource bool
		rings     bool
	}{
		{"registrar only", "127.0.0.1:9", false, false},
		{"any source", "127.0.0.1:9", true, true},
		// An account whose "server" is a peer phone takes that phone's calls.
		{"the server is a peer phone", "127.0.0.2:5060", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := trustDriverOf(t, tc.registrar, tc.anySource)
			attacker := rawPeerFrom(t, d, attackerIP)
			control := newRawPeer(t, d)
			attacker.request("INVITE", "INVITE", 1, "spoof-1", "st", "", zoeOffer)
			if tc.rings {
				attacker.response(180)
				if in := waitEvent[call.Incoming](t, d, "", 2*time.Second); in.From != "zoe@127.0.0.1" {
					t.Errorf("from %q", in.From)
				}
				return
			}
			attacker.request("OPTIONS", "OPTIONS", 1, "spoof-2", "st", "", "")
			attacker.request("BYE", "BYE", 2, "spoof-3", "st", "tt", "")
			attacker.request("CANCEL", "CANCEL", 1, "spoof-4", "st", "", "")
			attacker.request("MESSAGE", "MESSAGE", 1, "spoof-5", "st", "", "")
			if codes := attacker.responsesAfter(control); len(codes) > 0 {
				t.Errorf("the untrusted source got responses %v", codes)
			}
			noIncoming(t, d)
		})
	}
}

// TestInviteFloodIsRateLimited: 20,000 INVITEs from one source. Without
// AcceptAnySource none rings and nothing is sent back; with it, at most
// inviteBurst ring (plus refills), and responses stay a small multiple of
// those, never one per INVITE.
func TestInviteFloodIsRateLimited(t *testing.T) {
	for _, tc := range []struct {
		name      string
		anySource bool
	}{{"registrar only", false}, {"any source", true}} {
		t.Run(tc.name, func(t *testing.T) {
			d := trustDriver(t, tc.anySource)
			attacker := rawPeerFrom(t, d, attackerIP)
			control := newRawPeer(t, d)
			// Read responses as they come, or the socket buffer drops them.
			got := make(chan int, 1)
			stop := make(chan struct{})
			go func() {
				n := 0
				buf := make([]byte, 65535)
				for {
					attacker.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
					if _, _, err := attacker.conn.ReadFromUDP(buf); err == nil {
						n++
						continue
					}
					select {
					case <-stop:
						got <- n
						return
					default:
					}
				}
			}()
			const flood = 20000
			start := time.Now()
			for i := range flood {
				attacker.request("INVITE", "INVITE", 1, fmt.Sprintf("flood-%d", i), "ft", "", zoeOffer)
			}
			elapsed := time.Since(start)
			control.answered()
			rang := 0
			for drained := false; !drained; {
				select {
				case ev := <-d.Events():
					if _, ok := ev.(call.Incoming); ok {
						rang++
					}
				default:
					drained = true
				}
			}
			close(stop)
			responses := <-got
			// The refill over the flood's own duration is the only slack.
			maxRing := inviteBurst + int(elapsed/inviteRefill) + 1
			if !tc.anySource {
				maxRing = 0
			}
			t.Logf("%d INVITEs in %v: %d rang, %d responses", flood, elapsed.Round(time.Millisecond), rang, responses)
			if rang > maxRing {
				t.Errorf("%d INVITEs rang, want at most %d", rang, maxRing)
			}
			if responses > 4*maxRing {
				t.Errorf("%d responses to %d INVITEs (%d admitted): a reflector", responses, flood, rang)
			}
		})
	}
}

func TestRateLimiter(t *testing.T) {
	l := newRateLimiter(3, time.Second)
	ip := mustSourceIP("10.0.0.1:5060")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var got []bool
	for _, step := range []time.Duration{0, 0, 0, 0, 500 * time.Millisecond, 500 * time.Millisecond, 0, 10 * time.Second, 0, 0, 0} {
		now = now.Add(step)
		got = append(got, l.allow(ip, now))
	}
	want := []bool{true, true, true, false, false, true, false, true, true, true, false}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("allow: %v\nwant   %v", got, want)
	}
	if !l.allow(mustSourceIP("10.0.0.2:5060"), now) {
		t.Error("another source is limited by the first")
	}
	old := maxSources
	maxSources = 8
	defer func() { maxSources = old }()
	for i := range 100 {
		l.allow(mustSourceIP(fmt.Sprintf("10.1.0.%d:1", i)), now)
	}
	if len(l.buckets) > maxSources {
		t.Errorf("%d buckets kept, bound %d", len(l.buckets), maxSources)
	}
}

// TestMalformedSIPIsLoggedBounded: a 32 KB malformed datagram reaches the
// appliance's logger (not slog.Default), cut to a line of a few hundred
// bytes, with credentials blanked; a flood of them is sampled.
func TestMalformedSIPIsLoggedBounded(t *testing.T) {
	var buf syncBuf
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var dflt syncBuf
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&dflt, nil)))
	defer slog.SetDefault(old)

	d, err := New(Config{Accounts: []Account{{User: "alice", Domain: "127.0.0.1", Registrar: "127.0.0.1:9"}}, Media: newUDPMedia(), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p := newRawPeer(t, d)
	junk := "INVITE sip:alice@127.0.0.1 SIP/2.0\r\nAuthorization: Digest username=\"alice\", response=\"s3cr3tdigest\"\r\nVia: broken\r\n" + strings.Repeat("X-Junk: "+strings.Repeat("y", 100)+"\r\n", 300) + "\r\n"
	for range 200 {
		if _, err := p.conn.WriteToUDP([]byte("\x01"+junk), p.to); err != nil {
			t.Fatal(err)
		}
	}
	p.request("OPTIONS", "OPTIONS", 1, "ctl", "ct", "", "")
	p.response(200)
	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	parseLines := 0
	for _, l := range lines {
		if strings.Contains(l, "failed to parse") {
			parseLines++
		}
		if len(l) > 2000 {
			t.Errorf("a log line of %d bytes", len(l))
		}
	}
	if parseLines == 0 {
		t.Fatalf("the malformed datagrams were not logged through the appliance's logger:\n%.2000s", out)
	}
	if parseLines > libLogBurst+5 {
		t.Errorf("%d lines for 200 malformed datagrams: not sampled", parseLines)
	}
	if strings.Contains(out, "s3cr3tdigest") {
		t.Error("the digest response reached the log")
	}
	if strings.Contains(dflt.String(), "failed to parse") {
		t.Error("sipgo still logs through slog.Default")
	}
}

type syncBuf struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (b *syncBuf) lock() {
	if b.mu == nil {
		b.mu = make(chan struct{}, 1)
	}
	b.mu <- struct{}{}
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.lock()
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuf) String() string {
	b.lock()
	defer func() { <-b.mu }()
	return b.buf.String()
}

func TestClipAndRedact(t *testing.T) {
	long := strings.Repeat("é", 300)
	if c := clip(long); len(c) > maxLogValue+40 || !strings.Contains(c, "bytes)") {
		t.Errorf("clip: %d bytes %q", len(c), c[len(c)-20:])
	}
	if c := clip("a\r\nb"); c != `a\r\nb` {
		t.Errorf("clip kept newlines: %q", c)
	}
	for _, tc := range []struct{ in, want string }{
		{"x\r\nAuthorization: Digest response=abc\r\ny", "x\r\nAuthorization: [redacted]\r\ny"},
		{"Proxy-Authorization: Digest a=1\nAUTHORIZATION: b=2", "Proxy-Authorization: [redacted]\nAUTHORIZATION: [redacted]"},
		// An invalid byte before the name: strings.ToLower would widen it
		// and the offsets would no longer fit (found by FuzzBoundAttr).
		{"0\xa2 authoriZAtion:", "0\xa2 authoriZAtion: [redacted]"},
		{"no credentials here", "no credentials here"},
	} {
		if got := redactCredentials(tc.in); got != tc.want {
			t.Errorf("redactCredentials(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzBoundAttr: whatever sipgo hands its logger (a malformed datagram from
// anyone), what reaches the log is one bounded line without credentials.
func FuzzBoundAttr(f *testing.F) {
	f.Add("data", "INVITE sip:a@b SIP/2.0\r\nAuthorization: Digest response=\"secret\"\r\n\r\n")
	f.Add("error", strings.Repeat("é", 500))
	f.Add("msg", "\x00\r\n")
	f.Fuzz(func(t *testing.T, key, value string) {
		a := boundAttr(slog.String(key, value))
		s := a.Value.String()
		if len(s) > 3*maxLogValue+100 {
			t.Fatalf("%d bytes kept of %d", len(s), len(value))
		}
		if strings.ContainsAny(s, "\r\n") {
			t.Fatalf("a line break survives: %q", s)
		}
		if strings.Contains(strings.ToLower(value), "authorization: digest response=\"secret\"") && strings.Contains(s, "secret\"") {
			t.Fatalf("credentials kept: %q", s)
		}
	})
}
