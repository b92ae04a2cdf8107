package rtp

import (
	"fmt"
	"testing"
	"time"

	"github.com/pion/rtcp"

	"github.com/padlock-phone/padlock/media/codec"
)

func TestNTPTime(t *testing.T) {
	tests := []struct {
		t    time.Time
		want uint64
	}{
		{time.Unix(0, 0), ntpEpochOffset << 32},
		{time.Unix(1, 500_000_000), (ntpEpochOffset+1)<<32 | 1<<31},
		{time.Unix(0, 250_000_000), ntpEpochOffset<<32 | 1<<30},
	}
	for _, tt := range tests {
		if got := ntpTime(tt.t); got != tt.want {
			t.Errorf("ntpTime(%v) = %x, want %x", tt.t, got, tt.want)
		}
	}
}

// TestReportExchange runs A (sending) and B (receiving) in simulated time
// and checks each field of the reports against what happened.
func TestReportExchange(t *testing.T) {
	f := codec.PCMU
	clk := newFakeClock()
	a := NewSender(f, mustCodec(t, f), 101, 0xaaaa0001, 1000, 50000)
	b := NewReceiver(f, mustCodec(t, f), 101)
	bSnd := NewSender(f, mustCodec(t, f), 101, 0xbbbb0002, 1, 1)
	var repA, repB reporter
	pcm := make([]int16, 160)
	lostSeqs := map[int]bool{10: true, 11: true, 40: true}
	for i := range 100 {
		pkt, _ := a.Frame(nil, pcm, clk.now())
		if !lostSeqs[i] {
			// Alternate 10 and 14 ms transit: 4 ms of jitter.
			if err := b.Packet(pkt, clk.now().Add(time.Duration(10+4*(i%2))*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}
		clk.advance(FrameDuration)
	}
	sr, err := repA.build(clk.now(), a, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := rtcp.Unmarshal(sr)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := pkts[0].(*rtcp.SenderReport)
	if !ok || len(pkts) != 2 {
		t.Fatalf("A's report is %T and %d packets, want an SR and SDES", pkts[0], len(pkts))
	}
	if s.SSRC != 0xaaaa0001 || s.PacketCount != 100 || s.OctetCount != 16000 || s.NTPTime != ntpTime(clk.now()) || s.RTPTime != 50000+100*160 {
		t.Errorf("SR: %+v", s)
	}
	if _, ok := pkts[1].(*rtcp.SourceDescription); !ok {
		t.Errorf("second packet is %T, want SDES", pkts[1])
	}
	// B hears the SR 10 ms later and answers 250 ms after that.
	clk.advance(10 * time.Millisecond)
	if _, _, err := repB.parse(sr, clk.now(), bSnd.SSRC(), f.ClockRate); err != nil {
		t.Fatal(err)
	}
	clk.advance(250 * time.Millisecond)
	rr, err := repB.build(clk.now(), bSnd, b, false)
	if err != nil {
		t.Fatal(err)
	}
	if pk, _ := rtcp.Unmarshal(rr); len(pk) == 0 {
		t.Fatal("no RR")
	} else if _, ok := pk[0].(*rtcp.ReceiverReport); !ok {
		t.Errorf("B has sent nothing, so its report should be an RR, not %T", pk[0])
	}
	// A hears it 10 ms later: RTT 20 ms.
	clk.advance(10 * time.Millisecond)
	found, _, err := repA.parse(rr, clk.now(), a.SSRC(), f.ClockRate)
	if err != nil || !found {
		t.Fatalf("A found no report about itself: %v", err)
	}
	got := repA.remote
	if got.CumulativeLost != 3 || got.ExtendedHighestSeq != 1099 {
		t.Errorf("lost %d highest %d, want 3 and 1099", got.CumulativeLost, got.ExtendedHighestSeq)
	}
	if want := 3.0 / 99; got.FractionLost < want-1.0/256 || got.FractionLost > want+1.0/256 {
		t.Errorf("fraction lost %.4f, want about %.4f", got.FractionLost, want)
	}
	if got.RTT < 19*time.Millisecond || got.RTT > 21*time.Millisecond {
		t.Errorf("RTT %v, want 20ms", got.RTT)
	}
	// The estimate converges to 4 ms from below (J += (|D| - J)/16).
	if got.Jitter < 3*time.Millisecond || got.Jitter > 4*time.Millisecond {
		t.Errorf("jitter %v, want about 4ms", got.Jitter)
	}
	// A second report interval without loss reports no fraction lost.
	rr2, _ := repB.build(clk.now(), bSnd, b, false)
	repA.parse(rr2, clk.now(), a.SSRC(), f.ClockRate)
	if repA.remote.FractionLost != 0 || repA.remote.CumulativeLost != 3 {
		t.Errorf("second interval: %+v", repA.remote)
	}
}

func TestRemoteReportNegativeLoss(t *testing.T) {
	r := remoteReport(rtcp.ReceptionReport{TotalLost: 0xfffffe}, time.Now(), 8000)
	if r.CumulativeLost != -2 {
		t.Errorf("24-bit 0xfffffe read as %d, want -2", r.CumulativeLost)
	}
}

// TestReportKind: a sender report while we send, a receiver report once we
// have been silent for two report intervals (RFC 3550 section 6.4).
func TestReportKind(t *testing.T) {
	f := codec.PCMU
	snd := NewSender(f, mustCodec(t, f), 101, 5, 1, 1)
	var rp reporter
	kind := func() string {
		b, err := rp.build(time.Now(), snd, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		p, err := rtcp.Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		switch p[0].(type) {
		case *rtcp.SenderReport:
			return "SR"
		case *rtcp.ReceiverReport:
			return "RR"
		}
		return "?"
	}
	var got []string
	got = append(got, kind()) // nothing sent yet
	snd.Frame(nil, make([]int16, 160), time.Now())
	got = append(got, kind(), kind(), kind()) // sent, then silent
	want := []string{"RR", "SR", "SR", "RR"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("report kinds %v, want %v", got, want)
	}
}
