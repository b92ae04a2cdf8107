package sip

import (
	"github.com/padlock-phone/padlock/media/sdp"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/media/codec"
)

// udpMedia is the smallest honest media: each session binds a real UDP
// port, so the SDP names a socket that exists. It records what SIP told it.
type udpMedia struct {
	mu       sync.Mutex
	sessions map[call.ID]*udpSession
}

type udpSession struct {
	m      *udpMedia
	conn   net.PacketConn
	starts []mediaStart
	closed bool
}

type mediaStart struct {
	Remote sdp.Remote
	Format codec.Format
	Dir    sdp.Direction
}

func newUDPMedia() *udpMedia { return &udpMedia{sessions: map[call.ID]*udpSession{}} }

func (m *udpMedia) NewSession(id call.ID) (MediaSession, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &udpSession{m: m, conn: c}
	m.mu.Lock()
	m.sessions[id] = s
	m.mu.Unlock()
	return s, nil
}

func (m *udpMedia) session(id call.ID) *udpSession {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sessions[id]
}

func (m *udpMedia) lastStart(id call.ID) (mediaStart, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sessions[id]
	if s == nil || len(s.starts) == 0 {
		return mediaStart{}, false
	}
	return s.starts[len(s.starts)-1], true
}

func (s *udpSession) Addr() netip.AddrPort {
	return s.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

func (s *udpSession) Attributes() []string { return nil }

func (s *udpSession) Start(r sdp.Remote, f codec.Format, d sdp.Direction) error {
	s.m.mu.Lock()
	s.starts = append(s.starts, mediaStart{r, f, d})
	s.m.mu.Unlock()
	return nil
}

func (s *udpSession) Close() error {
	s.m.mu.Lock()
	s.closed = true
	s.m.mu.Unlock()
	return s.conn.Close()
}

// statusLog collects AccountStatus reports.
type statusLog struct {
	ch chan AccountStatus
}

func newStatusLog() *statusLog { return &statusLog{ch: make(chan AccountStatus, 100)} }

func (l *statusLog) report(s AccountStatus) { l.ch <- s }

// waitStatus waits for a report that ok accepts.
func (l *statusLog) wait(t *testing.T, within time.Duration, what string, ok func(AccountStatus) bool) AccountStatus {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case s := <-l.ch:
			t.Logf("account status: %+v", s)
			if ok(s) {
				return s
			}
		case <-deadline:
			t.Fatalf("no %s within %v", what, within)
		}
	}
}

// waitEvent waits for a call event of type E for id ("" = any call),
// skipping others.
func waitEvent[E call.Event](t *testing.T, d *Driver, id call.ID, within time.Duration) E {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev := <-d.Events():
			t.Logf("call event: %T %+v", ev, ev)
			if e, ok := ev.(E); ok && (id == "" || ev.CallID() == id) {
				return e
			}
		case <-deadline:
			var zero E
			t.Fatalf("no %T for %q within %v", zero, id, within)
			return zero
		}
	}
}

func fastBackoff(int) time.Duration { return 200 * time.Millisecond }

func itoa(n int) string { return strconv.Itoa(n) }
