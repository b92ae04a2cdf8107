package audio

import (
	"fmt"
	"slices"
	"testing"
)

// resampleAll runs src through r in blocks of the given size.
func resampleAll(r *Resampler, src []int16, block int) []int16 {
	var out []int16
	for len(src) > 0 {
		n := min(block, len(src))
		out = r.Process(out, src[:n])
		src = src[n:]
	}
	return out
}

func mustResampler(t testing.TB, in, out int) *Resampler {
	t.Helper()
	r, err := NewResampler(in, out)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A 1 kHz tone goes 48k -> 16k -> 48k in 20 ms blocks and comes back at
// 1 kHz, at its level within 0.5 dB.
func TestResampleRoundTrip(t *testing.T) {
	const amp = 10000
	in := tone(48000, 48000, 1000, amp)
	down := resampleAll(mustResampler(t, 48000, 16000), in, 960)
	back := resampleAll(mustResampler(t, 16000, 48000), down, 320)
	if len(down) < 15900 || len(back) < 47700 {
		t.Fatalf("got %d then %d samples from 48000", len(down), len(back))
	}
	// Skip the filters' start (a few ms), measure 0.5 s.
	seg := back[9600 : 9600+24000]
	near(t, "level change (dB)", level(seg, 48000, 1000)-level(in[:24000], 48000, 1000), 0, 0.5)
	var cands []float64
	for f := 500.0; f <= 3000; f += 50 {
		cands = append(cands, f)
	}
	if f := peak(seg, 48000, cands); f != 1000 {
		t.Errorf("peak at %v Hz, want 1000", f)
	}
}

// Every rate pair the headset path uses passes a tone in the telephone
// band unchanged and removes one above the lower rate's Nyquist frequency.
func TestResamplePairs(t *testing.T) {
	for _, tc := range []struct {
		in, out       int
		pass, stop    float64 // Hz
		stopAliasesTo float64 // where stop lands in the output, if it aliased
	}{
		{8000, 48000, 1000, 0, 0},
		{16000, 48000, 1000, 0, 0},
		{8000, 44100, 1000, 0, 0},
		{16000, 44100, 3000, 0, 0},
		{48000, 8000, 1000, 5000, 3000},
		{48000, 16000, 3000, 9000, 7000},
		{44100, 8000, 1000, 6000, 2000},
		{44100, 16000, 3000, 10000, 6000},
		{16000, 8000, 1000, 7000, 1000},
		{8000, 16000, 1000, 0, 0},
		// The edges: flat to 0.4 of the lower rate, and a tone just above
		// its Nyquist frequency is gone.
		{16000, 8000, 3200, 4400, 3600},
		{48000, 16000, 6400, 8800, 7200},
		{8000, 48000, 3200, 0, 0},
	} {
		t.Run(fmt.Sprintf("%d-%d", tc.in, tc.out), func(t *testing.T) {
			const amp = 10000
			out := resampleAll(mustResampler(t, tc.in, tc.out), tone(tc.in, tc.in, tc.pass, amp), tc.in/50)
			seg := out[tc.out/10 : tc.out/10+tc.out/2]
			near(t, "passband gain (dB)", level(seg, tc.out, tc.pass)-level(tone(tc.out/2, tc.out, tc.pass, amp), tc.out, tc.pass), 0, 0.1)
			if tc.stop == 0 {
				return
			}
			out = resampleAll(mustResampler(t, tc.in, tc.out), tone(tc.in, tc.in, tc.stop, amp), tc.in/50)
			seg = out[tc.out/10 : tc.out/10+tc.out/2]
			ref := level(tone(tc.in/2, tc.in, tc.stop, amp), tc.in, tc.stop)
			if got := level(seg, tc.out, tc.stopAliasesTo) - ref; got > -60 {
				t.Errorf("%v Hz aliased to %v Hz at %.1f dB, want below -60 dB", tc.stop, tc.stopAliasesTo, got)
			}
		})
	}
}

// The brief's own figure: a 7 kHz tone taken from 16 kHz to 8 kHz lands
// (if it aliases) at 1 kHz; it must be at least 40 dB down.
func TestResampleAliasing16to8(t *testing.T) {
	in := tone(16000, 16000, 7000, 16000)
	out := resampleAll(mustResampler(t, 16000, 8000), in, 320)
	seg := out[800 : 800+4000]
	att := level(in, 16000, 7000) - level(seg, 8000, 1000)
	if att <= 40 {
		t.Errorf("7 kHz -> 1 kHz alias attenuated by %.1f dB, want > 40", att)
	}
	t.Logf("alias attenuation %.1f dB", att)
}

// The output does not depend on how the input was cut into blocks.
func TestResampleBlocks(t *testing.T) {
	in := tone(4410, 44100, 440, 12000)
	for i := range in {
		in[i] += int16(i%97) * 50 // something less regular than a sine
	}
	for _, pair := range [][2]int{{44100, 8000}, {8000, 44100}, {48000, 16000}, {16000, 48000}} {
		want := resampleAll(mustResampler(t, pair[0], pair[1]), in, len(in))
		for _, block := range []int{1, 7, 441, 882, 5000} {
			got := resampleAll(mustResampler(t, pair[0], pair[1]), in, block)
			if !slices.Equal(got, want) {
				t.Errorf("%v block %d: output differs from one-shot (%d vs %d samples)", pair, block, len(got), len(want))
			}
		}
	}
}

func TestResampleLength(t *testing.T) {
	// Over a long stream, out/in converges to the ratio; outputs lag by
	// at most one sample per call.
	r := mustResampler(t, 44100, 16000)
	var n int
	dst := make([]int16, 0, r.MaxOut(441))
	frame := make([]int16, 441)
	for range 1000 {
		dst = r.Process(dst[:0], frame)
		n += len(dst)
	}
	if want := 441 * 1000 * 16000 / 44100; n < want-1 || n > want+1 {
		t.Errorf("%d outputs for %d inputs, want %d", n, 441000, want)
	}
}

func TestResampleNoAllocs(t *testing.T) {
	for _, pair := range [][2]int{{8000, 48000}, {48000, 8000}, {16000, 44100}, {44100, 16000}} {
		r := mustResampler(t, pair[0], pair[1])
		src := tone(pair[0]/100, pair[0], 1000, 8000) // one 10 ms period
		dst := make([]int16, 0, r.MaxOut(len(src)))
		if a := testing.AllocsPerRun(200, func() { dst = r.Process(dst[:0], src) }); a != 0 {
			t.Errorf("%v: %v allocations per period", pair, a)
		}
	}
}

func TestNewResamplerErrors(t *testing.T) {
	for _, pair := range [][2]int{{0, 8000}, {8000, -1}, {8000, 44099}} {
		if _, err := NewResampler(pair[0], pair[1]); err == nil {
			t.Errorf("NewResampler(%d, %d) succeeded", pair[0], pair[1])
		}
	}
}

// One 10 ms device period per operation.
func BenchmarkResample(b *testing.B) {
	for _, pair := range [][2]int{{48000, 8000}, {8000, 48000}, {48000, 16000}, {16000, 48000}, {44100, 16000}, {16000, 44100}} {
		b.Run(fmt.Sprintf("%d-%d", pair[0], pair[1]), func(b *testing.B) {
			r := mustResampler(b, pair[0], pair[1])
			src := tone(pair[0]/100, pair[0], 1000, 8000)
			dst := make([]int16, 0, r.MaxOut(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				dst = r.Process(dst[:0], src)
			}
		})
	}
}
