package callmedia

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/media/codec"
	"github.com/padlock-phone/padlock/media/dtlssrtp"
	"github.com/padlock-phone/padlock/media/icelink/icelinktest"
	"github.com/padlock-phone/padlock/media/sdp"
)

// heardTone waits until s's ear holds two seconds and returns the level of
// freq in the last one.
func heardTone(t *testing.T, s *side, freq float64) float64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		pcm, rate, err := audio.ReadWAV(filepath.Join(s.dir, "out.wav"))
		if err == nil && len(pcm) > rate*2 {
			return level(pcm[len(pcm)-rate:], rate, freq)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("heard nothing")
	return 0
}

// TestZRTPOverICE: a Jingle call between two Padlocks, ZRTP on the pair
// ICE selected: the same SAS on both, audio both ways.
func TestZRTPOverICE(t *testing.T) {
	a, b := newSide(t, 700), newSide(t, 1100)
	ca, cb := icelinktest.Pair(t)
	sa, err := a.m.NewICESession("j1")
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.m.NewICESession("j1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sa.Close(); sb.Close() })
	hash := func(s *Session) string { return strings.TrimPrefix(s.Attributes()[0], "zrtp-hash:") }
	if err := sa.StartOn(ca, sdp.Remote{Addr: ca.Remote(), ZRTPHash: hash(sb), EventPT: 101}, codec.G722, sdp.SendRecv); err != nil {
		t.Fatal(err)
	}
	if err := sb.StartOn(cb, sdp.Remote{Addr: cb.Remote(), ZRTPHash: hash(sa), EventPT: 101}, codec.G722, sdp.SendRecv); err != nil {
		t.Fatal(err)
	}
	ea := a.ev.find(t, secured).(call.Secured)
	eb := b.ev.find(t, secured).(call.Secured)
	if ea.SAS == "" || ea.SAS != eb.SAS {
		t.Fatalf("SAS %q / %q", ea.SAS, eb.SAS)
	}
	if l := heardTone(t, b, 700); l < 0.2 {
		t.Errorf("A's 700 Hz in B's ear at %.2f", l)
	}
	if l := heardTone(t, a, 1100); l < 0.2 {
		t.Errorf("B's 1100 Hz in A's ear at %.2f", l)
	}
}

// TestDTLSOverICE: the same with DTLS-SRTP keys, reported as encrypted
// but not verifiable.
func TestDTLSOverICE(t *testing.T) {
	a, b := newSide(t, 700), newSide(t, 1100)
	ca, cb := icelinktest.Pair(t)
	ida, _ := dtlssrtp.NewIdentity()
	idb, _ := dtlssrtp.NewIdentity()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type res struct {
		r   dtlssrtp.Result
		err error
	}
	ch := make(chan res, 1)
	go func() {
		r, err := dtlssrtp.Handshake(ctx, cb.DTLS(), net.UDPAddrFromAddrPort(cb.Remote()), idb, false, dtlssrtp.HashName, ida.Fingerprint)
		ch <- res{r, err}
	}()
	ra, err := dtlssrtp.Handshake(ctx, ca.DTLS(), net.UDPAddrFromAddrPort(ca.Remote()), ida, true, dtlssrtp.HashName, idb.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	rb := <-ch
	if rb.err != nil {
		t.Fatal(rb.err)
	}
	sa, _ := a.m.NewICESession("d1")
	sb, _ := b.m.NewICESession("d1")
	t.Cleanup(func() { sa.Close(); sb.Close() })
	if err := sa.StartDTLS(ca, sdp.Remote{Addr: ca.Remote(), EventPT: 101}, codec.PCMU, sdp.SendRecv, ra.Keys, ida.Fingerprint, ra.PeerFingerprint); err != nil {
		t.Fatal(err)
	}
	if err := sb.StartDTLS(cb, sdp.Remote{Addr: cb.Remote(), EventPT: 101}, codec.PCMU, sdp.SendRecv, rb.r.Keys, idb.Fingerprint, rb.r.PeerFingerprint); err != nil {
		t.Fatal(err)
	}
	ev := a.ev.find(t, func(ev call.Event) bool { _, ok := ev.(call.SecuredUnverifiable); return ok }).(call.SecuredUnverifiable)
	if ev.PeerFingerprint != idb.Fingerprint || ev.LocalFingerprint != ida.Fingerprint {
		t.Errorf("fingerprints in the event: %+v", ev)
	}
	if l := heardTone(t, b, 700); l < 0.2 {
		t.Errorf("A's 700 Hz in B's ear at %.2f", l)
	}
	if l := heardTone(t, a, 1100); l < 0.2 {
		t.Errorf("B's 1100 Hz in A's ear at %.2f", l)
	}
}
