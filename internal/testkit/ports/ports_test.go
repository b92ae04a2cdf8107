package ports

import (
	"fmt"
	"net"
	"strconv"
	"testing"
)

func TestReserve(t *testing.T) {
	lo, hi := reservable()
	seen := map[int]bool{}
	for range 20 {
		ps := Reserve(t, 3, Both)
		if len(ps) != 3 || ps[0]%2 != 0 || ps[1] != ps[0]+1 || ps[2] != ps[0]+2 {
			t.Fatalf("Reserve(3) = %v, want 3 consecutive ports from an even one", ps)
		}
		for _, p := range ps {
			if p < lo || p >= hi {
				t.Errorf("port %d outside %d-%d (the ephemeral range starts at %d)", p, lo, hi, hi)
			}
			if seen[p] {
				t.Errorf("port %d reserved twice while the first reservation holds", p)
			}
			seen[p] = true
		}
		// A peer can bind what it was given, on both protocols.
		c, err := net.ListenPacket("udp4", "127.0.0.1:"+strconv.Itoa(ps[0]))
		if err != nil {
			t.Fatalf("bind reserved UDP port: %v", err)
		}
		c.Close()
		l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(ps[0]))
		if err != nil {
			t.Fatalf("listen on reserved TCP port: %v", err)
		}
		l.Close()
	}
}

// TestReserveSkipsLockedAndBound: a port another holder locked, or that
// something has bound, is never handed out.
func TestReserveSkipsLockedAndBound(t *testing.T) {
	ps := Reserve(t, 1, UDPOnly)
	if _, ok := lockAll(ps[0], 1); ok {
		t.Fatalf("port %d locked twice", ps[0])
	}
	c := UDP(t)
	bound := c.LocalAddr().(*net.UDPAddr).Port
	if freeAll(bound, 1, UDPOnly) {
		t.Errorf("port %d is bound but counts as free", bound)
	}
}

func TestRetry(t *testing.T) {
	var tries [][]int
	got := Retry(t, 2, UDPOnly, func(ps []int) error {
		tries = append(tries, ps)
		if len(tries) == 1 {
			return fmt.Errorf("peer says: bind %d: %w", ps[0], ErrInUse)
		}
		return nil
	})
	if len(tries) != 2 || got[0] != tries[1][0] || got[0] == tries[0][0] {
		t.Errorf("tries %v, returned %v: want a second try on other ports, returned", tries, got)
	}
}

func TestSockets(t *testing.T) {
	u := UDP(t)
	if a := u.LocalAddr().(*net.UDPAddr); !a.IP.IsLoopback() || a.Port == 0 {
		t.Errorf("UDP bound to %v", a)
	}
	l := TCP(t)
	if a := l.Addr().(*net.TCPAddr); !a.IP.IsLoopback() || a.Port == 0 {
		t.Errorf("TCP listening on %v", a)
	}
}
