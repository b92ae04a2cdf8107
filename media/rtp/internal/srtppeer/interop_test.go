//go:build cgo

package srtppeer

import (
	"bytes"
	"encoding/binary"
	"math"
	"net"
	"testing"
	"time"

	"github.com/pion/rtcp"

	testtone "github.com/padlock-phone/padlock/internal/testkit/tone"
	"github.com/padlock-phone/padlock/media/codec"
	"github.com/padlock-phone/padlock/media/rtp"
)

// goertzelLevel is the amplitude of freq in x sampled at rate, in sample
// units (tone.Level).
func goertzelLevel(x []int16, freq, rate float64) float64 {
	return 32768 * testtone.Level(x, int(rate), freq)
}

// tone is frame i of a 1 kHz sine of peak 8000.
func tone(i, n, rate int) []int16 {
	s := make([]int16, n)
	for j := range s {
		s[j] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i*n+j)/float64(rate)))
	}
	return s
}

func checkLevel(t *testing.T, what string, pcm []int16, rate int) {
	t.Helper()
	if len(pcm) < rate/5 {
		t.Fatalf("%s: only %d samples", what, len(pcm))
	}
	got := goertzelLevel(pcm[rate/5:], 1000, float64(rate))
	if db := 20 * math.Log10(got/8000); math.Abs(db) > 1 {
		t.Errorf("%s: 1 kHz at amplitude %.0f, want 8000 within 1 dB", what, got)
	}
}

// TestInteropLibsrtp runs a Stream against libsrtp2 on loopback: the
// Stream's SRTP and SRTCP must open in libsrtp, libsrtp's must play in
// the Stream, and a tampered packet must be refused.
func TestInteropLibsrtp(t *testing.T) {
	tests := []struct {
		p rtp.Profile
		f codec.Format
	}{
		{rtp.AES128CMHMACSHA180, codec.PCMU},
		{rtp.AES128CMHMACSHA132, codec.G722},
		{rtp.AES256CMHMACSHA180, codec.G722},
		{rtp.AES256CMHMACSHA132, codec.PCMU},
	}
	for _, tt := range tests {
		t.Run(tt.p.String()+"/"+tt.f.Name, func(t *testing.T) {
			t.Parallel()
			interop(t, tt.p, tt.f)
		})
	}
}

func interop(t *testing.T, p rtp.Profile, f codec.Format) {
	lo := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	peer, err := net.ListenUDP("udp4", lo)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	conn, err := net.ListenUDP("udp4", lo)
	if err != nil {
		t.Fatal(err)
	}
	reports := make(chan rtp.RemoteReport, 4)
	s, err := rtp.NewStream(rtp.Config{Conn: conn, Remote: peer.LocalAddr().(*net.UDPAddr).AddrPort(), Format: f,
		RTCPInterval: -1, OnReport: func(r rtp.RemoteReport) { reports <- r }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	k := rtp.Keys{Profile: p,
		LocalKey: bytes.Repeat([]byte{0x11}, p.KeyLen()), LocalSalt: bytes.Repeat([]byte{0x22}, p.SaltLen()),
		RemoteKey: bytes.Repeat([]byte{0x33}, p.KeyLen()), RemoteSalt: bytes.Repeat([]byte{0x44}, p.SaltLen())}
	if err := s.EnableSRTP(k); err != nil {
		t.Fatal(err)
	}
	in, err := New(p, k.LocalKey, k.LocalSalt, false) // opens what the Stream sends
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := New(p, k.RemoteKey, k.RemoteSalt, true) // makes what the Stream receives
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	n := f.Samples(rtp.FrameDuration)
	buf := make([]byte, 2048)
	peer.SetReadDeadline(time.Now().Add(10 * time.Second))

	// The Stream sends SRTP; libsrtp opens it.
	dec, _ := codec.New(f)
	var heard []int16
	const frames = 40
	for i := range frames {
		if err := s.WriteFrame(tone(i, n, f.SampleRate)); err != nil {
			t.Fatal(err)
		}
		m, _, err := peer.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		clear, err := in.Unprotect(buf[:m])
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if clear[1]&0x7f != f.PayloadType || len(clear) != 12+160 {
			t.Fatalf("packet %d: PT %d, %d bytes", i, clear[1]&0x7f, len(clear))
		}
		heard = dec.Decode(heard, clear[12:])
	}
	checkLevel(t, "libsrtp hearing the Stream", heard, f.SampleRate)
	if err := s.SendReport(); err != nil {
		t.Fatal(err)
	}
	m, _, err := peer.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	clearRTCP, err := in.UnprotectRTCP(buf[:m])
	if err != nil {
		t.Fatalf("the Stream's SRTCP: %v", err)
	}
	pkts, err := rtcp.Unmarshal(clearRTCP)
	if err != nil {
		t.Fatal(err)
	}
	if sr, ok := pkts[0].(*rtcp.SenderReport); !ok || sr.PacketCount != frames || sr.SSRC != s.SSRC() {
		t.Errorf("the Stream's report: %v", pkts[0])
	}

	// libsrtp sends SRTP; the Stream plays it.
	enc, _ := codec.New(f)
	dst := s.LocalAddr()
	send := func(b []byte) {
		if _, err := peer.WriteToUDPAddrPort(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	const peerSSRC = 0x5eed0001
	var played []int16
	tick := time.NewTicker(rtp.FrameDuration)
	defer tick.Stop()
	for i := range 50 {
		<-tick.C
		pkt := make([]byte, 12, 12+160)
		pkt[0] = 0x80
		pkt[1] = f.PayloadType
		binary.BigEndian.PutUint16(pkt[2:], uint16(40000+i))
		binary.BigEndian.PutUint32(pkt[4:], uint32(1000+160*i))
		binary.BigEndian.PutUint32(pkt[8:], peerSSRC)
		pkt = enc.Encode(pkt, tone(i, n, f.SampleRate))
		srtpPkt, err := out.Protect(pkt)
		if err != nil {
			t.Fatal(err)
		}
		if i == 25 {
			bad := bytes.Clone(srtpPkt)
			bad[20] ^= 0x01
			send(bad) // refused; the real one follows
		}
		send(srtpPkt)
		played = s.ReadFrame(played)
	}
	checkLevel(t, "the Stream hearing libsrtp", played, f.SampleRate)
	// A receiver report from libsrtp's side, about the Stream's SSRC.
	rr, err := rtcp.Marshal([]rtcp.Packet{
		&rtcp.ReceiverReport{SSRC: peerSSRC, Reports: []rtcp.ReceptionReport{{SSRC: s.SSRC(), TotalLost: 7, LastSequenceNumber: 123}}},
		rtcp.NewCNAMESourceDescription(peerSSRC, "libsrtp-peer"),
	})
	if err != nil {
		t.Fatal(err)
	}
	srtcp, err := out.ProtectRTCP(rr)
	if err != nil {
		t.Fatal(err)
	}
	send(srtcp)
	select {
	case r := <-reports:
		if r.CumulativeLost != 7 || r.ExtendedHighestSeq != 123 {
			t.Errorf("report from libsrtp read as %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the Stream did not take libsrtp's SRTCP report")
	}
	st := s.Stats()
	if st.DroppedAuth != 1 || st.Receive.SSRC != peerSSRC {
		t.Errorf("want exactly the tampered packet refused: %+v", st)
	}
}
