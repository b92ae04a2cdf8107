package callmedia

import (
	"math"
	"net"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/media/codec"
	"github.com/padlock-phone/padlock/media/rtp"
	"github.com/padlock-phone/padlock/media/sdp"
)

// A call keyed by SDES with a peer that has no ZRTP (a bare SRTP stream
// here; baresip in the appliance's e2e test): the phone is told
// "encrypted, not end to end", audio flows both ways under the SDES keys,
// and ZRTP's silence is no failure. With end-to-end required, SDES is
// refused with a reason.
func TestSDESCallWithoutZRTP(t *testing.T) {
	a := newSide(t, 700)
	sa, err := a.m.NewSession("c-sdes")
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Close()
	if why := sa.SDESRefusal(); why == "" {
		t.Error("SDES accepted by default, where end to end is required")
	}
	a.m.cfg.RequireEndToEnd = func() bool { return false }
	if why := sa.SDESRefusal(); why != "" {
		t.Errorf("SDES refused with end to end off: %s", why)
	}

	// The peer: one SRTP stream keyed the other way round, sending 440 Hz.
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	peer, err := rtp.NewStream(rtp.Config{Conn: conn, Remote: sa.Addr(), Format: codec.PCMU, RTCPInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	ours, err := sdp.NewCrypto(1, sdp.SuiteAESGCM128)
	if err != nil {
		t.Fatal(err)
	}
	theirs, _ := sdp.NewCrypto(1, sdp.SuiteAESGCM128)
	if err := peer.EnableSRTP(sdesKeys(theirs, ours)); err != nil {
		t.Fatal(err)
	}
	if err := sa.SetSDES(ours, theirs); err != nil {
		t.Fatal(err)
	}
	peerAddr := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	if err := sa.Start(sdp.Remote{Addr: netip.AddrPortFrom(peerAddr.Addr().Unmap(), peerAddr.Port()), EventPT: 101}, codec.PCMU, sdp.SendRecv); err != nil {
		t.Fatal(err)
	}
	if err := sa.SetSDES(ours, theirs); err == nil {
		t.Error("SDES keys taken after the media started")
	}
	a.ev.find(t, func(ev call.Event) bool { _, ok := ev.(call.EncryptedNotEndToEnd); return ok })

	// The peer talks and listens at the pace of a real phone.
	stop := make(chan struct{})
	heard := make(chan float64, 1)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var got []int16
		for i := 0; ; i++ {
			select {
			case <-stop:
				heard <- level(got, 8000, 700)
				return
			case <-tick.C:
			}
			frame := make([]int16, 160)
			for j := range frame {
				frame[j] = int16(0.4 * 32767 * sin440(i*160+j))
			}
			peer.WriteFrame(frame)
			got = append(got, peer.ReadFrame(nil)...)
			if len(got) > 8000 {
				got = got[len(got)-8000:]
			}
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pcm, rate, err := audio.ReadWAV(filepath.Join(a.dir, "out.wav"))
		if err == nil && len(pcm) >= rate && level(pcm[len(pcm)-rate:], rate, 440) > 0.3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the peer's 440 Hz never reached the headset under SDES (%v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	if l := <-heard; l < 0.3 {
		t.Errorf("the peer heard our 700 Hz at %.3f under SDES, want 0.4", l)
	}
	a.ev.mu.Lock()
	defer a.ev.mu.Unlock()
	for _, ev := range a.ev.evs {
		if _, ok := ev.(call.SecurityFailed); ok {
			t.Errorf("a call protected by SDES reported %v", ev)
		}
	}
}

func sin440(i int) float64 { return math.Sin(2 * math.Pi * 440 * float64(i) / 8000) }
