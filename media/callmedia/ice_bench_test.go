package callmedia

import (
	"context"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/media/codec"
	"github.com/padlock-phone/padlock/media/dtlssrtp"
	"github.com/padlock-phone/padlock/media/icelink/icelinktest"
	"github.com/padlock-phone/padlock/media/sdp"
)

// The Jingle media path on loopback, per call: ICE (gather, trickle,
// checks) then ZRTP or DTLS-SRTP to the first secured event on both
// sides. This is the part of "answer -> secured" after the session-accept
// leaves; the XMPP round trips add what prosody takes.

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkJingleSecuredZRTP(b *testing.B) {
	a, c := benchSide(b), benchSide(b)
	var ice time.Duration
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		ca, cb := icelinktest.Pair(b)
		ice += time.Since(start)
		id := call.ID("z")
		sa, _ := a.m.NewICESession(id)
		sb, _ := c.m.NewICESession(id)
		hash := func(s *Session) string { return strings.TrimPrefix(s.Attributes()[0], "zrtp-hash:") }
		sa.StartOn(ca, sdp.Remote{Addr: ca.Remote(), ZRTPHash: hash(sb)}, codec.PCMU, sdp.SendRecv)
		sb.StartOn(cb, sdp.Remote{Addr: cb.Remote(), ZRTPHash: hash(sa)}, codec.PCMU, sdp.SendRecv)
		a.ev.wait(b, secured)
		c.ev.wait(b, secured)
		sa.Close()
		sb.Close()
	}
	b.ReportMetric(float64(ice.Milliseconds())/float64(b.N), "ms-ICE/op")
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "ms-CPU/op")
}

func BenchmarkJingleSecuredDTLS(b *testing.B) {
	a, c := benchSide(b), benchSide(b)
	var ice time.Duration
	cpu0 := cpuTime()
	unverifiable := func(ev call.Event) bool { _, ok := ev.(call.SecuredUnverifiable); return ok }
	for i := 0; i < b.N; i++ {
		start := time.Now()
		ca, cb := icelinktest.Pair(b)
		ice += time.Since(start)
		ida, _ := dtlssrtp.NewIdentity()
		idb, _ := dtlssrtp.NewIdentity()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		done := make(chan dtlssrtp.Result, 1)
		go func() {
			r, _ := dtlssrtp.Handshake(ctx, cb.DTLS(), net.UDPAddrFromAddrPort(cb.Remote()), idb, false, dtlssrtp.HashName, ida.Fingerprint)
			done <- r
		}()
		ra, err := dtlssrtp.Handshake(ctx, ca.DTLS(), net.UDPAddrFromAddrPort(ca.Remote()), ida, true, dtlssrtp.HashName, idb.Fingerprint)
		if err != nil {
			b.Fatal(err)
		}
		rb := <-done
		cancel()
		sa, _ := a.m.NewICESession("d")
		sb, _ := c.m.NewICESession("d")
		sa.StartDTLS(ca, sdp.Remote{Addr: ca.Remote()}, codec.PCMU, sdp.SendRecv, ra.Keys, ida.Fingerprint, ra.PeerFingerprint)
		sb.StartDTLS(cb, sdp.Remote{Addr: cb.Remote()}, codec.PCMU, sdp.SendRecv, rb.Keys, idb.Fingerprint, rb.PeerFingerprint)
		a.ev.wait(b, unverifiable)
		c.ev.wait(b, unverifiable)
		sa.Close()
		sb.Close()
	}
	b.ReportMetric(float64(ice.Milliseconds())/float64(b.N), "ms-ICE/op")
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "ms-CPU/op")
}

// benchSide is a side without headset or cache: signalling and keys only.
func benchSide(b *testing.B) *side {
	var zid [12]byte
	zid[0] = byte(time.Now().UnixNano())
	zid[1] = 1
	s := &side{ev: &events{}}
	m, err := New(Config{ZID: zid, Emit: s.ev.emit})
	if err != nil {
		b.Fatal(err)
	}
	s.m = m
	return s
}

// wait takes the next matching event (and forgets the ones before).
func (e *events) wait(b *testing.B, pred func(call.Event) bool) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		for i, ev := range e.evs {
			if pred(ev) {
				e.evs = e.evs[i+1:]
				e.mu.Unlock()
				return
			}
		}
		e.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	b.Fatal("event not seen")
}
