package rtp

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/media/codec"
)

type sentPacket struct {
	pt     uint8
	marker bool
	seq    uint16
	ts     uint32
	pay    []byte
}

func parseSent(t *testing.T, b []byte) sentPacket {
	t.Helper()
	if Classify(b) != KindRTP {
		t.Fatalf("not RTP: % x", b)
	}
	return sentPacket{pt: b[1] & 0x7f, marker: b[1]&0x80 != 0, seq: binary.BigEndian.Uint16(b[2:]), ts: binary.BigEndian.Uint32(b[4:]), pay: b[12:]}
}

func TestDTMFSenderPackets(t *testing.T) {
	f := codec.PCMU
	snd := NewSender(f, mustCodec(t, f), 101, 1, 100, 8000)
	if err := snd.SendDTMF("1#", 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	silence := make([]int16, 160)
	var pkts []sentPacket
	for range 20 {
		b, err := snd.Frame(nil, silence, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, parseSent(t, b))
	}
	// Frames 0-6: digit 1 (5 frames held + 2 end copies); frame 7: gap
	// (audio); frames 8-14: digit #; then audio.
	type want struct {
		pt     uint8
		marker bool
		ts     uint32
		event  int // -1 for audio
		end    bool
		dur    uint16
	}
	var wants []want
	for d, ev := range []int{1, 11} {
		start := uint32(8000 + 160*8*d)
		for i := 1; i <= 7; i++ {
			wants = append(wants, want{101, i == 1, start, ev, i >= 5, uint16(160 * min(i, 5))})
		}
		wants = append(wants, want{0, d == 0, start + 7*160, -1, false, 0})
	}
	for i, w := range wants {
		p := pkts[i]
		if p.seq != uint16(100+i) {
			t.Errorf("packet %d: seq %d, want %d", i, p.seq, 100+i)
		}
		if p.pt != w.pt || p.marker != w.marker || p.ts != w.ts {
			t.Errorf("packet %d: pt %d marker %v ts %d, want pt %d marker %v ts %d", i, p.pt, p.marker, p.ts, w.pt, w.marker, w.ts)
		}
		if w.event < 0 {
			if len(p.pay) != 160 {
				t.Errorf("packet %d: audio payload %d bytes", i, len(p.pay))
			}
			continue
		}
		if len(p.pay) != 4 {
			t.Fatalf("packet %d: event payload %d bytes, want 4", i, len(p.pay))
		}
		end := p.pay[1]&0x80 != 0
		vol := p.pay[1] & 0x3f
		dur := binary.BigEndian.Uint16(p.pay[2:])
		if int(p.pay[0]) != w.event || end != w.end || dur != w.dur || vol != dtmfVolume || p.pay[1]&0x40 != 0 {
			t.Errorf("packet %d: event %d end %v dur %d vol %d, want event %d end %v dur %d vol %d",
				i, p.pay[0], end, dur, vol, w.event, w.end, w.dur, dtmfVolume)
		}
	}
	// Audio timestamps keep running through the digits.
	if last := pkts[19]; last.pt != 0 || last.ts != 8000+19*160 {
		t.Errorf("audio after digits: pt %d ts %d, want 0 and %d", last.pt, last.ts, 8000+19*160)
	}
}

func TestDTMFBadDigit(t *testing.T) {
	snd := NewSender(codec.PCMU, mustCodec(t, codec.PCMU), 101, 1, 1, 1)
	if err := snd.SendDTMF("12x", time.Second); err == nil {
		t.Error("SendDTMF accepted 'x'")
	}
}

func TestDTMFRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		digits string
		drop   func(i int, p sentPacket) bool
		// firstDur is the duration known for the first digit, when its
		// last packets are lost (0: 60 ms).
		firstDur time.Duration
	}{
		{"all digits", "0123456789*#ABCD", nil, 0},
		{"lowercase", "abcd", nil, 0},
		{"first end packet lost", "42", func(i int, p sentPacket) bool {
			return p.pt == 101 && p.pay[1]&0x80 != 0 && i%6 == 2 // 3 held + 2 copies + 1 gap
		}, 0},
		{"all end packets of first digit lost", "73", func(i int, p sentPacket) bool {
			return p.pt == 101 && p.pay[1]&0x80 != 0 && p.pay[0] == 7
		}, 40 * time.Millisecond},
		{"all end packets of the only digit lost", "9", func(i int, p sentPacket) bool {
			return p.pt == 101 && p.pay[1]&0x80 != 0
		}, 40 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := codec.G722
			snd := NewSender(f, mustCodec(t, f), 101, 9, 1, 1)
			rcv := NewReceiver(f, mustCodec(t, f), 101)
			var got []DTMF
			rcv.OnDTMF = func(d DTMF) { got = append(got, d) }
			if err := snd.SendDTMF(tt.digits, 60*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			clk := newFakeClock()
			pcm := make([]int16, snd.FrameSamples())
			for i := range 8 * (len(tt.digits) + 1) {
				b, _ := snd.Frame(nil, pcm, clk.now())
				if tt.drop != nil && tt.drop(i, parseSent(t, b)) {
					continue
				}
				if err := rcv.Packet(b, clk.now()); err != nil {
					t.Fatal(err)
				}
				rcv.Pull(nil, clk.now())
				clk.advance(FrameDuration)
			}
			want := []rune(tt.digits)
			if len(got) != len(want) {
				t.Fatalf("got %d digits %v, want %q", len(got), got, tt.digits)
			}
			for i, d := range got {
				w, _ := dtmfEvent(want[i])
				wantDur := 60 * time.Millisecond
				if i == 0 && tt.firstDur != 0 {
					wantDur = tt.firstDur
				}
				if d.Digit != rune(dtmfDigits[w]) || d.Duration != wantDur {
					t.Errorf("digit %d = %c for %v, want %c for %v", i, d.Digit, d.Duration, dtmfDigits[w], wantDur)
				}
			}
		})
	}
}

// TestDTMFOtherSSRC: events under an SSRC of their own neither reset the
// audio nor get lost.
func TestDTMFOtherSSRC(t *testing.T) {
	f := codec.PCMU
	audio := NewSender(f, mustCodec(t, f), 101, 1, 1, 1)
	events := NewSender(f, mustCodec(t, f), 101, 2, 500, 9000)
	rcv := NewReceiver(f, mustCodec(t, f), 101)
	var got []DTMF
	rcv.OnDTMF = func(d DTMF) { got = append(got, d) }
	if err := events.SendDTMF("7", 60*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock()
	src := &toneSource{freq: 1000, rate: 8000, amp: 8000}
	for i := range 20 {
		a, _ := audio.Frame(nil, src.frame(nil, 160), clk.now())
		if err := rcv.Packet(a, clk.now()); err != nil {
			t.Fatal(err)
		}
		if e, _ := events.Frame(nil, nil, clk.now()); len(e) > 0 && i < 10 {
			if err := rcv.Packet(e, clk.now()); err != nil {
				t.Fatal(err)
			}
		}
		rcv.Pull(nil, clk.now())
		clk.advance(FrameDuration)
	}
	if len(got) != 1 || got[0].Digit != '7' {
		t.Errorf("digits %v, want 7", got)
	}
	if st := rcv.Stats(); st.SSRC != 1 || st.Buffer.Resyncs != 0 || st.Received != 19 {
		t.Errorf("audio source disturbed: %+v", st)
	}
}
