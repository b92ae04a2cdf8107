package rtp

import (
	"math"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/media/codec"
)

// speechLike makes 0.5 s of a 50 Hz..4 kHz chirp, so that the G.722
// coder sees changing input rather than one repeated frame.
func speechLike(rate int) []int16 {
	n := rate / 2
	s := make([]int16, n)
	for i := range s {
		x := float64(i) / float64(rate)
		f := 50 + 7900*x // sweeps to about 4 kHz at 0.5 s
		s[i] = int16(9000 * math.Sin(2*math.Pi*f*x))
	}
	return s
}

// sendPath is the per-packet send work: encode, packetize, protect.
type sendPath struct {
	snd    *Sender
	sess   *session
	signal []int16
	buf    []byte
	enc    []byte
	now    time.Time
	i      int
}

func newSendPath(t testing.TB, f codec.Format, p Profile) *sendPath {
	sp := &sendPath{
		snd:    NewSender(f, mustCodec(t, f), DefaultEventPT, 0x12345678, 1, 1),
		signal: speechLike(f.SampleRate),
		buf:    make([]byte, 0, 1500),
		enc:    make([]byte, 0, 1500),
		now:    newFakeClock().now(),
	}
	if p != 0 {
		var err error
		if sp.sess, err = newSession(testKeys(p, 1)); err != nil {
			t.Fatal(err)
		}
	}
	return sp
}

// packet makes the next packet on the wire.
func (sp *sendPath) packet() []byte {
	n := sp.snd.FrameSamples()
	off := sp.i % (len(sp.signal) / n) * n
	sp.i++
	sp.now = sp.now.Add(FrameDuration)
	pkt, err := sp.snd.Frame(sp.buf[:0], sp.signal[off:off+n], sp.now)
	if err != nil {
		panic(err)
	}
	if sp.sess == nil {
		return pkt
	}
	out, err := sp.sess.protectRTP(sp.enc[:0], pkt)
	if err != nil {
		panic(err)
	}
	return out
}

// recvPath is the per-packet receive work: unprotect, depacketize, jitter
// buffer insert and pull, decode.
type recvPath struct {
	rcv  *Receiver
	sess *session
	dec  []byte
	out  []int16
	now  time.Time
}

func newRecvPath(t testing.TB, f codec.Format, p Profile) *recvPath {
	rp := &recvPath{
		rcv: NewReceiver(f, mustCodec(t, f), DefaultEventPT),
		dec: make([]byte, 0, 1500),
		out: make([]int16, 0, 640),
		now: newFakeClock().now(),
	}
	if p != 0 {
		k := testKeys(p, 1)
		var err error
		if rp.sess, err = newSession(Keys{Profile: p, LocalKey: k.RemoteKey, LocalSalt: k.RemoteSalt, RemoteKey: k.LocalKey, RemoteSalt: k.LocalSalt}); err != nil {
			t.Fatal(err)
		}
	}
	return rp
}

func (rp *recvPath) packet(pkt []byte) {
	rp.now = rp.now.Add(FrameDuration)
	if rp.sess != nil {
		var err error
		if pkt, err = rp.sess.unprotectRTP(rp.dec[:0], pkt); err != nil {
			panic(err)
		}
	}
	if err := rp.rcv.Packet(pkt, rp.now); err != nil {
		panic(err)
	}
	rp.out = rp.rcv.Pull(rp.out[:0], rp.now)
}

var benchCases = []struct {
	name string
	f    codec.Format
	p    Profile
}{
	{"PCMU/clear", codec.PCMU, 0},
	{"PCMU/AES_CM_128_HMAC_SHA1_80", codec.PCMU, AES128CMHMACSHA180},
	{"G722/clear", codec.G722, 0},
	{"G722/AES_CM_128_HMAC_SHA1_80", codec.G722, AES128CMHMACSHA180},
	{"G722/AES_256_CM_HMAC_SHA1_32", codec.G722, AES256CMHMACSHA132},
}

// BenchmarkSend is one 20 ms packet: encode + packetize + SRTP protect.
func BenchmarkSend(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			sp := newSendPath(b, bc.f, bc.p)
			b.ReportAllocs()
			for b.Loop() {
				sp.packet()
			}
		})
	}
}

// BenchmarkReceive is one 20 ms packet: SRTP unprotect + depacketize +
// jitter buffer insert + pull + decode. The packets are made beforehand
// (SRTP's replay check refuses repeats).
func BenchmarkReceive(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			sp := newSendPath(b, bc.f, bc.p)
			const ring = 1 << 12
			pkts := make([][]byte, 0, ring)
			rp := newRecvPath(b, bc.f, bc.p)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i%ring == 0 {
					// Refill outside the timer: later packets, so the replay
					// window moves on.
					b.StopTimer()
					pkts = pkts[:0]
					for range ring {
						pkts = append(pkts, append([]byte(nil), sp.packet()...))
					}
					b.StartTimer()
				}
				rp.packet(pkts[i%ring])
				i++
			}
		})
	}
}

// TestNoAllocs keeps the per-packet path free of garbage.
func TestNoAllocs(t *testing.T) {
	for _, bc := range benchCases {
		t.Run(bc.name, func(t *testing.T) {
			sp := newSendPath(t, bc.f, bc.p)
			rp := newRecvPath(t, bc.f, bc.p)
			pkts := make([][]byte, 200)
			for i := range pkts {
				pkts[i] = append([]byte(nil), sp.packet()...)
			}
			// Warm up: the first packets set up per-SSRC state.
			for _, p := range pkts[:50] {
				rp.packet(p)
			}
			if a := testing.AllocsPerRun(100, func() { sp.packet() }); a != 0 {
				t.Errorf("send path: %.1f allocations per packet", a)
			}
			i := 50
			if a := testing.AllocsPerRun(100, func() { rp.packet(pkts[i]); i++ }); a != 0 {
				t.Errorf("receive path: %.1f allocations per packet", a)
			}
			// With losses: concealment and the merge after it.
			i = 152
			if a := testing.AllocsPerRun(20, func() {
				if i%3 == 0 {
					rp.now = rp.now.Add(FrameDuration)
					rp.out = rp.rcv.Pull(rp.out[:0], rp.now)
				} else {
					rp.packet(pkts[i])
				}
				i++
			}); a != 0 {
				t.Errorf("receive path with losses: %.1f allocations per packet", a)
			}
			if c := rp.rcv.Stats().Buffer.Concealed; c == 0 {
				t.Error("no packet was concealed")
			}
			if rms(rp.out) == 0 {
				t.Error("receive path played silence")
			}
		})
	}
}

// BenchmarkConceal is one lost 20 ms packet: the pitch search at the start
// of a gap, the made-up frame, and the cross-fade into the next packet.
func BenchmarkConceal(b *testing.B) {
	for _, f := range []codec.Format{codec.PCMU, codec.G722} {
		b.Run(f.Name, func(b *testing.B) {
			c := newConcealer(f.SampleRate)
			n := f.Samples(FrameDuration)
			sig := voiced(4*n, 0, 180, float64(f.SampleRate))
			out := make([]int16, n)
			good := make([]int16, n)
			b.ReportAllocs()
			for b.Loop() {
				c.good(sig[:n])
				c.conceal(out)
				copy(good, sig[n:2*n])
				c.good(good)
			}
		})
	}
}
