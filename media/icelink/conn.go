package icelink

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/pion/ice/v4"
)

// Conn is the selected pair as a datagram socket with one peer. It reads
// the ICE connection on a goroutine of its own and splits what arrives
// by RFC 7983's first-byte ranges: DTLS (20-63) to DTLS(), everything
// else (RTP, RTCP, ZRTP) to ReadFromUDPAddrPort. STUN never gets here:
// the agent keeps it.
type Conn struct {
	ic            *ice.Conn
	local, remote netip.AddrPort
	media         chan []byte
	dtls          *dtlsSide
	done          chan struct{}
	once          sync.Once
	wg            sync.WaitGroup
}

// queue depth per side: a few frames of audio; more is dropped, as a
// socket buffer would.
const queue = 64

func newConn(ic *ice.Conn, local, remote netip.AddrPort) *Conn {
	c := &Conn{ic: ic, local: local, remote: remote, media: make(chan []byte, queue), done: make(chan struct{})}
	c.dtls = &dtlsSide{c: c, in: make(chan []byte, queue), closed: make(chan struct{})}
	c.wg.Add(1)
	go c.read()
	return c
}

func (c *Conn) read() {
	defer c.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, err := c.ic.Read(buf)
		if err != nil {
			c.closeDemux()
			return
		}
		if n == 0 {
			continue
		}
		p := append([]byte(nil), buf[:n]...)
		ch := c.media
		if b := p[0]; b >= 20 && b <= 63 {
			ch = c.dtls.in
		}
		select {
		case ch <- p:
		default: // full: drop, as a socket does
		}
	}
}

func (c *Conn) closeDemux() {
	c.once.Do(func() { close(c.done) })
}

// Remote is the peer's address on the selected pair.
func (c *Conn) Remote() netip.AddrPort { return c.remote }

// ReadFromUDPAddrPort returns the next RTP, RTCP or ZRTP datagram; the
// address is always the selected pair's remote, so media/rtp's check of
// the sender holds.
func (c *Conn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	select {
	case p := <-c.media:
		return copy(b, p), c.remote, nil
	case <-c.done:
		return 0, netip.AddrPort{}, net.ErrClosed
	}
}

// WriteToUDPAddrPort sends on the selected pair (addr is ignored: there
// is one peer).
func (c *Conn) WriteToUDPAddrPort(b []byte, _ netip.AddrPort) (int, error) {
	select {
	case <-c.done:
		return 0, net.ErrClosed
	default:
	}
	return c.ic.Write(b)
}

// LocalAddr is the selected pair's local address.
func (c *Conn) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(c.local) }

// Close ends the demux and the ICE agent.
func (c *Conn) Close() error {
	c.closeDemux()
	err := c.ic.Close()
	c.wg.Wait()
	return err
}

// DTLS is the DTLS half of the pair, for pion/dtls's Client or Server.
// Closing it leaves the media half open.
func (c *Conn) DTLS() net.PacketConn { return c.dtls }

type dtlsSide struct {
	c      *Conn
	in     chan []byte
	closed chan struct{}
	once   sync.Once

	mu       sync.Mutex
	deadline time.Time
	moved    chan struct{} // closed and replaced when the deadline changes
}

// ReadFrom waits for a DTLS datagram until the read deadline, which may
// be moved while it waits (pion/dtls does that to stop a handshake).
func (d *dtlsSide) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		d.mu.Lock()
		dl := d.deadline
		if d.moved == nil {
			d.moved = make(chan struct{})
		}
		moved := d.moved
		d.mu.Unlock()
		var timeout <-chan time.Time
		if !dl.IsZero() {
			wait := time.Until(dl)
			if wait <= 0 {
				return 0, nil, os.ErrDeadlineExceeded
			}
			t := time.NewTimer(wait)
			timeout = t.C
			defer t.Stop()
		}
		select {
		case p := <-d.in:
			return copy(b, p), d.remoteAddr(), nil
		case <-d.closed:
			return 0, nil, net.ErrClosed
		case <-d.c.done:
			return 0, nil, net.ErrClosed
		case <-timeout:
			return 0, nil, os.ErrDeadlineExceeded
		case <-moved:
		}
	}
}

func (d *dtlsSide) remoteAddr() net.Addr { return net.UDPAddrFromAddrPort(d.c.remote) }

func (d *dtlsSide) WriteTo(b []byte, _ net.Addr) (int, error) {
	select {
	case <-d.closed:
		return 0, net.ErrClosed
	default:
	}
	return d.c.WriteToUDPAddrPort(b, d.c.remote)
}

func (d *dtlsSide) Close() error {
	d.once.Do(func() { close(d.closed) })
	return nil
}

func (d *dtlsSide) LocalAddr() net.Addr { return d.c.LocalAddr() }

func (d *dtlsSide) SetDeadline(t time.Time) error { return d.SetReadDeadline(t) }

func (d *dtlsSide) SetReadDeadline(t time.Time) error {
	d.mu.Lock()
	d.deadline = t
	if d.moved != nil {
		close(d.moved)
	}
	d.moved = make(chan struct{})
	d.mu.Unlock()
	return nil
}

func (d *dtlsSide) SetWriteDeadline(time.Time) error { return nil }
