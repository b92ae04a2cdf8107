package rtp

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/media/codec"
)

// FuzzDemux feeds arbitrary datagrams through the receive path as the
// Stream routes them: classification, then RTP into a Receiver (header,
// padding, payload types, DTMF, jitter buffer, decoding) or RTCP into the
// report parser, with a frame pulled after each.
func FuzzDemux(f *testing.F) {
	f.Add([]byte{0x80, 0x00, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, 0xff, 0x7f})
	f.Add([]byte{0x80, 0xe5, 0, 2, 0, 0, 0, 160, 1, 2, 3, 4, 5, 0x8a, 0x01, 0x40})
	f.Add([]byte{0xa0, 0x00, 0, 3, 0, 0, 0, 160, 1, 2, 3, 4, 9, 9, 2})
	f.Add([]byte{0x90, 0x00, 0, 3, 0, 0, 0, 160, 1, 2, 3, 4, 0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0})
	f.Add([]byte{0x81, 201, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(zrtpPacket(1, "PZ\x00\x03HelloACK"))
	f.Add([]byte{0x80, 200, 0, 6, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		clk := newFakeClock()
		for _, fm := range []codec.Format{codec.PCMU, codec.G722} {
			dec, _ := codec.New(fm)
			r := NewReceiver(fm, dec, DefaultEventPT)
			r.OnDTMF = func(d DTMF) {
				if d.Duration < 0 {
					t.Errorf("negative DTMF duration %v", d.Duration)
				}
			}
			var rep reporter
			// Twice: the second copy is a duplicate or a new packet.
			for range 2 {
				k := Classify(b)
				switch k {
				case KindRTP:
					if len(b) < 12 || b[0]>>6 != 2 {
						t.Fatalf("Classify called % x RTP", b)
					}
					_ = r.Packet(b, clk.now())
				case KindRTCP:
					_, _, _ = rep.parse(b, clk.now(), 1, fm.ClockRate)
				case KindZRTP:
					if b[0] != 0x10 || binary.BigEndian.Uint32(b[4:]) != zrtpMagic {
						t.Fatalf("Classify called % x ZRTP", b)
					}
				}
				out := r.Pull(nil, clk.now())
				if len(out) != r.FrameSamples() {
					t.Fatalf("Pull gave %d samples, want %d", len(out), r.FrameSamples())
				}
				clk.advance(FrameDuration)
			}
		}
	})
}

// FuzzJitterBuffer drives a jitter buffer with arbitrary inserts, clock
// steps and pulls, and checks its bookkeeping: it never plays a packet
// twice or out of order, never plays what was not inserted, and its
// count matches its slots.
func FuzzJitterBuffer(f *testing.F) {
	f.Add([]byte{0, 0, 1, 1, 0, 0, 0, 2, 1, 0, 0, 3, 2, 0, 0, 0})
	f.Add([]byte{0, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1})
	f.Add([]byte{0, 0, 5, 0, 0, 1, 0xf4, 1, 0, 0, 0, 3, 20, 0, 0, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		j := NewJitterBuffer(FrameDuration, 8000)
		clk := newFakeClock()
		inserted := map[uint16]byte{}
		var lastPlayed int64 = -1 << 62
		for len(ops) >= 4 {
			op, seq, arg := ops[0], binary.BigEndian.Uint16(ops[1:3]), ops[3]
			ops = ops[4:]
			switch op % 4 {
			case 0:
				if r := j.Insert(seq, uint32(seq)*uint32(arg), []byte{byte(seq), byte(seq >> 8), arg}, arg&1 == 1, clk.now()); r == Stored || r == Resync {
					inserted[seq] = arg
				}
			case 1:
				prev := j.playSeq
				p, st := j.Next(clk.now())
				if st == Play {
					got := uint16(p[0]) | uint16(p[1])<<8
					a, ok := inserted[got]
					if !ok || a != p[2] {
						t.Fatalf("played packet %d which was not inserted as such", got)
					}
					ext := j.playSeq - 1
					if uint16(ext) != got || ext <= lastPlayed || ext < prev {
						t.Fatalf("played %d (ext %d) after %d", got, ext, lastPlayed)
					}
					lastPlayed = ext
				}
				if st == Silent {
					lastPlayed = j.playSeq - 1
				}
			case 2:
				clk.advance(time.Duration(arg) * time.Millisecond)
			case 3:
				j.SetJitter(time.Duration(arg) * time.Millisecond)
			}
			n := 0
			for i := range j.slots {
				if j.slots[i].filled {
					n++
				}
			}
			if n != j.count {
				t.Fatalf("count %d, %d slots filled", j.count, n)
			}
			if tg := j.Stats().Target; tg < 20*time.Millisecond || tg > 60*time.Millisecond {
				t.Fatalf("target %v outside 20..60 ms", tg)
			}
			if j.Stats().Resyncs > 0 {
				lastPlayed = -1 << 62 // a resync restarts the numbering
			}
		}
	})
}

// FuzzStreamHandle sends arbitrary datagrams through a real Stream's
// routing (the code its reading goroutine runs), clear and with SRTP on:
// nothing may panic, and a ZRTP packet must reach OnZRTP unchanged.
func FuzzStreamHandle(f *testing.F) {
	f.Add([]byte{0x80, 0x00, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, 0xff, 0x7f}, false)
	f.Add([]byte{0x80, 0xe5, 0, 2, 0, 0, 0, 160, 1, 2, 3, 4, 5, 0x8a, 0x01, 0x40}, false)
	f.Add([]byte{0x81, 201, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0}, true)
	f.Add(zrtpPacket(1, "PZ\x00\x03HelloACK"), true)
	f.Add([]byte{0x80, 0x00, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, true)
	var zrtp []byte
	streams := map[bool]*Stream{}
	for _, secure := range []bool{false, true} {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			f.Fatal(err)
		}
		s, err := NewStream(Config{Conn: c, Remote: addrOf(c), Format: codec.G722, RTCPInterval: -1, AllowClear: !secure,
			OnZRTP: func(p []byte) { zrtp = append(zrtp[:0], p...) }})
		if err != nil {
			f.Fatal(err)
		}
		if secure {
			if err := s.EnableSRTP(testKeys(AES128CMHMACSHA180, 3)); err != nil {
				f.Fatal(err)
			}
		}
		streams[secure] = s
		f.Cleanup(func() { s.Close() })
	}
	f.Fuzz(func(t *testing.T, b []byte, secure bool) {
		s := streams[secure]
		zrtp = zrtp[:0]
		s.handle(b, time.Now())
		if Classify(b) == KindZRTP && !bytes.Equal(zrtp, b) {
			t.Fatalf("ZRTP packet not delivered intact")
		}
		s.ReadFrame(nil)
	})
}
