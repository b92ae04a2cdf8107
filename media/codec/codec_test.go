package codec

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	const frame = 20 * time.Millisecond
	tests := []struct {
		f          Format
		rtpmap     string
		samples    int
		ticks      uint32
		payloadLen int
	}{
		{PCMU, "0 PCMU/8000", 160, 160, 160},
		{PCMA, "8 PCMA/8000", 160, 160, 160},
		{G722, "9 G722/8000", 320, 160, 160},
	}
	for _, tc := range tests {
		t.Run(tc.f.Name, func(t *testing.T) {
			if got := tc.f.Rtpmap(); got != tc.rtpmap {
				t.Errorf("Rtpmap() = %q, want %q", got, tc.rtpmap)
			}
			if got := tc.f.Samples(frame); got != tc.samples {
				t.Errorf("Samples(20ms) = %d, want %d", got, tc.samples)
			}
			if got := tc.f.ClockTicks(frame); got != tc.ticks {
				t.Errorf("ClockTicks(20ms) = %d, want %d", got, tc.ticks)
			}
			if got := tc.f.PayloadBytes(frame); got != tc.payloadLen {
				t.Errorf("PayloadBytes(20ms) = %d, want %d", got, tc.payloadLen)
			}
			c, err := New(tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if c.Format() != tc.f {
				t.Errorf("New(%s).Format() = %v", tc.f.Name, c.Format())
			}
			p := c.Encode(nil, make([]int16, tc.samples))
			if len(p) != tc.payloadLen {
				t.Errorf("a 20 ms frame encodes to %d bytes, want %d", len(p), tc.payloadLen)
			}
			if n := len(c.Decode(nil, p)); n != tc.samples {
				t.Errorf("a 20 ms payload decodes to %d samples, want %d", n, tc.samples)
			}
			if f, ok := ByPayloadType(tc.f.PayloadType); !ok || f != tc.f {
				t.Errorf("ByPayloadType(%d) = %v, %v", tc.f.PayloadType, f, ok)
			}
			if f, ok := Lookup(tc.f.Name, tc.f.ClockRate); !ok || f != tc.f {
				t.Errorf("Lookup(%q, %d) = %v, %v", tc.f.Name, tc.f.ClockRate, f, ok)
			}
		})
	}
	if f, ok := Lookup("g722", 8000); !ok || f != G722 {
		t.Error("Lookup is case-sensitive; SDP encoding names are not")
	}
	if _, ok := Lookup("G722", 16000); ok {
		t.Error("Lookup(G722, 16000) found a format; G.722's RTP clock is 8000")
	}
	if _, ok := ByPayloadType(18); ok {
		t.Error("ByPayloadType(18) found a format")
	}
	if _, err := New(Format{Name: "speex", PayloadType: 97, ClockRate: 16000}); err == nil {
		t.Error("New(speex) succeeded")
	}
}

// A 1 kHz tone through encode and decode keeps its frequency and level,
// and the output lags the input by the codec's delay.
func TestRoundTripByContent(t *testing.T) {
	tests := []struct {
		f     Format
		delay int // samples
	}{
		{PCMU, 0},
		{PCMA, 0},
		{G722, G722Delay},
		{Opus, OpusDelay},
	}
	for _, tc := range tests {
		t.Run(tc.f.Name, func(t *testing.T) {
			if tc.f.Same(Opus) && !opusBuiltIn {
				t.Fatal("this build has no Opus: build with cgo and libopus-dev (make deps)")
			}
			rate := float64(tc.f.SampleRate)
			frame := tc.f.Samples(20 * time.Millisecond)
			for _, amp := range []float64{16384, 1024} { // -6 dBFS, -30 dBFS
				c, _ := New(tc.f)
				in := tone(tc.f.SampleRate, 1000, rate, amp)
				_, out := frames(c, in, frame)
				// Skip 100 ms of adaptation; measure over 0.5 s (whole periods).
				skip, n := tc.f.SampleRate/10, tc.f.SampleRate/2
				win := out[skip+tc.delay : skip+tc.delay+n]
				peak, peakF := 0.0, 0.0
				for f := 100.0; f < rate/2; f += 50 {
					if a := goertzel(win, f, rate); a > peak {
						peak, peakF = a, f
					}
				}
				if peakF != 1000 {
					t.Errorf("amplitude %v: strongest component at %v Hz, want 1000", amp, peakF)
				}
				ref := goertzel(in[skip:skip+n], 1000, rate)
				if db := 20 * math.Log10(peak/ref); math.Abs(db) > 1 {
					t.Errorf("amplitude %v: level changed by %.2f dB", amp, db)
				}
			}

			// Delay: where white noise through the codec correlates best.
			c, _ := New(tc.f)
			rng := rand.New(rand.NewPCG(1, 2))
			noise := make([]int16, tc.f.SampleRate/4)
			for i := range noise {
				noise[i] = int16(rng.NormFloat64() * 4000)
			}
			_, out := frames(c, noise, frame)
			if got := lag(noise, out, tc.delay+64); got != tc.delay {
				t.Errorf("output lags input by %d samples, want %d", got, tc.delay)
			}
		})
	}
}

// The per-frame path allocates nothing once the destination has room.
func TestNoAllocs(t *testing.T) {
	for _, f := range Formats() {
		c, _ := New(f)
		pcm := tone(f.Samples(20*time.Millisecond), 1000, float64(f.SampleRate), 8000)
		payload := make([]byte, 0, 1500)
		out := make([]int16, 0, len(pcm))
		if n := testing.AllocsPerRun(100, func() {
			payload = c.Encode(payload[:0], pcm)
			out = c.Decode(out[:0], payload)
		}); n != 0 {
			t.Errorf("%s: %v allocations per frame", f.Name, n)
		}
	}
}
