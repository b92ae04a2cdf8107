package rtp

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/media/codec"
)

// netModel decides what happens to packet i: dropped, or delayed.
type netModel struct {
	name  string
	loss  float64       // probability a packet is dropped
	delay time.Duration // base one-way delay
	jit   time.Duration // uniform extra delay 0..jit
	swap  float64       // probability a packet is held back one frame (reorder)
	dup   float64       // probability a packet is duplicated
	drift float64       // the sender's clock runs this much fast (+) or slow (-)
}

type arrival struct {
	at  time.Time
	pkt []byte
}

// runPipe sends frames of a 1 kHz tone through Sender, the model and
// Receiver in simulated time and returns the receiver's output and stats.
func runPipe(t *testing.T, f codec.Format, m netModel, frames int, seed uint64) (out []int16, st ReceiverStats, dropped, dups int) {
	t.Helper()
	clk := newFakeClock()
	start := clk.now()
	rng := rand.New(rand.NewPCG(seed, 1))
	snd := NewSender(f, mustCodec(t, f), DefaultEventPT, 0x11223344, 65500, 1234)
	rcv := NewReceiver(f, mustCodec(t, f), DefaultEventPT)
	src := &toneSource{freq: 1000, rate: float64(f.SampleRate), amp: 8000}

	var arrivals []arrival
	pcm := make([]int16, 0, snd.FrameSamples())
	for i := range frames {
		sent := start.Add(time.Duration(float64(i) * float64(FrameDuration) / (1 + m.drift)))
		pcm = src.frame(pcm[:0], snd.FrameSamples())
		pkt, err := snd.Frame(nil, pcm, sent)
		if err != nil {
			t.Fatal(err)
		}
		if i > 3 && rng.Float64() < m.loss { // keep the first packets: RFC 3550 probation
			dropped++
			continue
		}
		d := m.delay + time.Duration(rng.Int64N(int64(m.jit)+1))
		if rng.Float64() < m.swap {
			d += FrameDuration + time.Millisecond
		}
		arrivals = append(arrivals, arrival{sent.Add(d), pkt})
		if rng.Float64() < m.dup {
			arrivals = append(arrivals, arrival{sent.Add(d + 3*time.Millisecond), bytes.Clone(pkt)})
			dups++
		}
	}
	sort.SliceStable(arrivals, func(a, b int) bool { return arrivals[a].at.Before(arrivals[b].at) })

	next := 0
	pullAt := start.Add(7 * time.Millisecond)
	end := start.Add(time.Duration(frames)*FrameDuration + m.delay + m.jit + 100*time.Millisecond)
	for clk.now().Before(end) {
		for next < len(arrivals) && !arrivals[next].at.After(clk.now()) {
			if err := rcv.Packet(arrivals[next].pkt, arrivals[next].at); err != nil {
				t.Fatal(err)
			}
			next++
		}
		if !clk.now().Before(pullAt) {
			out = rcv.Pull(out, clk.now())
			pullAt = pullAt.Add(FrameDuration)
		}
		clk.advance(time.Millisecond)
	}
	return out, rcv.Stats(), dropped, dups
}

func TestPipeTone(t *testing.T) {
	models := []netModel{
		{name: "clean", delay: 5 * time.Millisecond},
		{name: "jitter 15ms", delay: 5 * time.Millisecond, jit: 15 * time.Millisecond},
		{name: "5% loss", delay: 5 * time.Millisecond, loss: 0.05},
		{name: "5% reorder", delay: 5 * time.Millisecond, swap: 0.05},
		{name: "5% loss, reorder, dup, jitter", delay: 5 * time.Millisecond, jit: 10 * time.Millisecond, loss: 0.05, swap: 0.05, dup: 0.05},
	}
	// Opus conceals a lost packet from the next one's in-band FEC.
	for _, f := range []codec.Format{codec.PCMU, codec.G722, codec.Opus} {
		for _, m := range models {
			t.Run(f.Name+"/"+m.name, func(t *testing.T) {
				const frames = 150
				out, st, dropped, dups := runPipe(t, f, m, frames, 7)
				// Skip the start (buffering and codec warm-up).
				skip := f.Samples(200 * time.Millisecond)
				tol := 1.0
				if m.loss > 0 {
					tol = 2.0 // concealment fades a few frames
				}
				checkTone(t, out, skip, 1000, float64(f.SampleRate), 8000, tol)
				// RFC 3550 A.3: duplicates count as received, so they
				// offset losses.
				if got := int(st.Lost); got != dropped-dups {
					t.Errorf("RFC 3550 cumulative lost = %d, want %d dropped - %d duplicated", got, dropped, dups)
				}
				if m.jit == 0 && m.swap == 0 && st.Jitter > time.Millisecond {
					t.Errorf("jitter %v on a steady path", st.Jitter)
				}
				if st.Buffer.Target < 20*time.Millisecond || st.Buffer.Target > 60*time.Millisecond {
					t.Errorf("target %v outside 20..60 ms", st.Buffer.Target)
				}
				t.Logf("lost %d, jitter %v, buffer %+v", st.Lost, st.Jitter, st.Buffer)
			})
		}
	}
}

// TestPipeClockDrift: the two ends' audio clocks differ by 2 %; the
// buffer trims when the sender is fast and refills when it is slow, and
// the tone survives either way.
func TestPipeClockDrift(t *testing.T) {
	for _, drift := range []float64{0.02, -0.02} {
		t.Run(fmt.Sprintf("%+.0f%%", drift*100), func(t *testing.T) {
			out, st, _, _ := runPipe(t, codec.PCMU, netModel{delay: 5 * time.Millisecond, drift: drift}, 250, 1)
			checkTone(t, out, 2400, 1000, 8000, 8000, 2.5)
			if drift > 0 && st.Buffer.Discarded == 0 {
				t.Errorf("fast sender but nothing trimmed: %+v", st.Buffer)
			}
			if drift < 0 && st.Buffer.Underruns < 2 {
				t.Errorf("slow sender but no refills: %+v", st.Buffer)
			}
			t.Logf("%+v", st.Buffer)
		})
	}
}

// TestReceiverPacketSizes: peers choose their own packet sizes (ffmpeg
// splits G.722 into 156- and 4-byte packets; ptime 10 or 30 is common).
// The buffer measures the audio per packet from the timestamps, so it
// neither trims nor conceals on a clean path.
func TestReceiverPacketSizes(t *testing.T) {
	tests := []struct {
		name   string
		f      codec.Format
		chunks []int // payload sizes, repeated
	}{
		{"PCMU ptime 10", codec.PCMU, []int{80}},
		{"PCMU ptime 30", codec.PCMU, []int{240}},
		{"PCMU ptime 60", codec.PCMU, []int{480}},
		{"G722 ffmpeg 156+4", codec.G722, []int{156, 4}},
		{"G722 ptime 30", codec.G722, []int{240}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			enc := mustCodec(t, f)
			src := &toneSource{freq: 1000, rate: float64(f.SampleRate), amp: 8000}
			var payload []byte
			n := f.Samples(FrameDuration)
			for range 150 {
				payload = enc.Encode(payload, src.frame(nil, n))
			}
			rcv := NewReceiver(f, mustCodec(t, f), DefaultEventPT)
			clk := newFakeClock()
			start := clk.now()
			// All three formats carry one clock tick per payload byte.
			type pk struct {
				at  time.Time
				pkt []byte
			}
			var pkts []pk
			seq, ts := uint16(100), uint32(0)
			for off, i := 0, 0; off < len(payload); i++ {
				size := min(tt.chunks[i%len(tt.chunks)], len(payload)-off)
				hdr := []byte{0x80, f.PayloadType, byte(seq >> 8), byte(seq), byte(ts >> 24), byte(ts >> 16), byte(ts >> 8), byte(ts), 1, 2, 3, 4}
				// Sent when its last sample exists, arriving 3 ms later.
				at := start.Add(time.Duration(int(ts)+size)*time.Second/8000 + 3*time.Millisecond)
				pkts = append(pkts, pk{at, append(hdr, payload[off:off+size]...)})
				off += size
				seq++
				ts += uint32(size)
			}
			var out []int16
			next := 0
			for pull := start.Add(5 * time.Millisecond); pull.Before(start.Add(3100 * time.Millisecond)); pull = pull.Add(FrameDuration) {
				for next < len(pkts) && !pkts[next].at.After(pull) {
					if err := rcv.Packet(pkts[next].pkt, pkts[next].at); err != nil {
						t.Fatal(err)
					}
					next++
				}
				out = rcv.Pull(out, pull)
			}
			st := rcv.Stats()
			// Skip the start and stop before the end (the last packet).
			checkTone(t, out[:len(out)-f.Samples(150*time.Millisecond)], f.Samples(200*time.Millisecond), 1000, float64(f.SampleRate), 8000, 1)
			if st.Buffer.Discarded != 0 || st.Buffer.Concealed != 0 {
				t.Errorf("clean path, but %+v", st.Buffer)
			}
			t.Logf("packet duration measured %v; %+v", rcv.jb.PacketDuration(), st.Buffer)
		})
	}
}
