// Package ports gives tests loopback ports without the race of "bind port
// 0, read the number, close, hand it over": between the close and the
// peer's bind, anything else on the machine could take the port (another
// test's bind to port 0 above all), and the peer then fails to bind.
//
// Where a Go process is the consumer, UDP and TCP return the bound socket
// itself, to be passed on. For a peer program that binds by number,
// Reserve picks ports the kernel never hands out on its own — below the
// ephemeral range, so no bind to port 0 anywhere can land on them — and
// holds an exclusive lock file for each until the test ends, so that no
// other test process using this package (another package's tests, another
// worktree's) picks the same ones meanwhile. The peer is told the numbers
// and binds them itself; a peer that still finds one taken (by a program
// that binds fixed numbers without asking) reports ErrInUse, and Retry
// starts it again on fresh ports.
package ports

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// UDP is a UDP socket bound to 127.0.0.1 on a port the kernel chose, for
// a consumer in this process. It is closed when the test ends.
func UDP(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("bind a loopback UDP socket: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TCP is a TCP listener on 127.0.0.1 on a port the kernel chose, for a
// consumer in this process. It is closed when the test ends.
func TCP(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on a loopback TCP port: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// Proto says which protocols a reserved port must be free for.
type Proto int

const (
	UDPOnly Proto = 1 << iota
	TCPOnly
	Both = UDPOnly | TCPOnly
)

// ErrInUse is what a peer's start reports when the peer could not bind a
// port it was given; Retry tries again with fresh ports.
var ErrInUse = errors.New("port already in use")

// lockDir holds one lock file per reserved port, shared by every test
// process on the machine.
var lockDir = "/tmp/padlock-test-ports" // not $TMPDIR: every test process must share it

// Reserve picks n consecutive loopback ports, the first even (RTP wants
// an even port and RTCP the next), free for proto and locked for this
// test until it ends. See the package comment for why no one else takes
// them meanwhile.
func Reserve(t testing.TB, n int, proto Proto) []int {
	t.Helper()
	lo, hi := reservable()
	if err := os.MkdirAll(lockDir, 0o777); err != nil {
		t.Fatalf("port reservations: %v", err)
	}
	for try := 0; try < 200; try++ {
		first := lo + rand.IntN((hi-lo-n)/2)*2
		locks, ok := lockAll(first, n)
		if !ok {
			continue
		}
		if !freeAll(first, n, proto) {
			unlock(locks)
			continue
		}
		t.Cleanup(func() { unlock(locks) })
		ps := make([]int, n)
		for i := range ps {
			ps[i] = first + i
		}
		return ps
	}
	t.Fatalf("no %d consecutive free loopback ports in %d-%d after 200 tries", n, lo, hi)
	return nil
}

// Retry runs start with freshly reserved ports until it does not fail
// with ErrInUse (at most 5 times) and returns the ports it succeeded on.
// Any other error fails the test.
func Retry(t testing.TB, n int, proto Proto, start func(ports []int) error) []int {
	t.Helper()
	var err error
	for range 5 {
		ps := Reserve(t, n, proto)
		if err = start(ps); err == nil {
			return ps
		}
		if !errors.Is(err, ErrInUse) {
			t.Fatal(err)
		}
		t.Logf("%v; trying other ports", err)
	}
	t.Fatalf("five tries, every time a port was taken: %v", err)
	return nil
}

// reservable is the range Reserve picks from: from 10000 up to the start
// of the kernel's ephemeral range (where binds to port 0 land).
func reservable() (lo, hi int) {
	lo, hi = 10000, 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if eph, err := strconv.Atoi(f[0]); err == nil && eph > lo+1000 {
				hi = eph
			}
		}
	}
	return lo, hi
}

// lockAll takes the lock files of ports first..first+n-1 without waiting.
func lockAll(first, n int) ([]*os.File, bool) {
	var locks []*os.File
	for p := first; p < first+n; p++ {
		f, err := os.OpenFile(filepath.Join(lockDir, fmt.Sprintf("%d.lock", p)), os.O_CREATE|os.O_RDWR, 0o666)
		if err != nil {
			unlock(locks)
			return nil, false
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			unlock(locks)
			return nil, false
		}
		locks = append(locks, f)
	}
	return locks, true
}

// unlock releases the locks (closing the file drops its flock).
func unlock(locks []*os.File) {
	for _, f := range locks {
		f.Close()
	}
}

// freeAll checks that nothing is bound to the ports right now, on
// 127.0.0.1 and on every address (a peer binding * wants them free too).
func freeAll(first, n int, proto Proto) bool {
	for p := first; p < first+n; p++ {
		for _, host := range []string{"127.0.0.1", "0.0.0.0"} {
			addr := net.JoinHostPort(host, strconv.Itoa(p))
			if proto&UDPOnly != 0 {
				c, err := net.ListenPacket("udp4", addr)
				if err != nil {
					return false
				}
				c.Close()
			}
			if proto&TCPOnly != 0 {
				l, err := net.Listen("tcp4", addr)
				if err != nil {
					return false
				}
				l.Close()
			}
		}
	}
	return true
}
