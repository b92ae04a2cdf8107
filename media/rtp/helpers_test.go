package rtp

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/internal/testkit/tone"
	"github.com/padlock-phone/padlock/media/codec"
)

// toneSource makes consecutive frames of a sine, phase-continuous.
type toneSource struct {
	freq, rate, amp float64
	n               int
}

func (t *toneSource) frame(dst []int16, samples int) []int16 {
	for range samples {
		v := t.amp * math.Sin(2*math.Pi*t.freq*float64(t.n)/t.rate)
		dst = append(dst, int16(math.Round(v)))
		t.n++
	}
	return dst
}

// goertzel is the amplitude of freq in x (sampled at rate), in sample
// units: a pure sine of peak A reads about A (tone.Level).
func goertzel(x []int16, freq, rate float64) float64 { return 32768 * tone.Level(x, int(rate), freq) }

// rms is the root mean square of x.
func rms(x []int16) float64 {
	var sum float64
	for _, v := range x {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(max(len(x), 1)))
}

// fakeClock is a manual clock for sans-I/O tests.
type fakeClock struct{ t time.Time }

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func mustCodec(t testing.TB, f codec.Format) codec.Codec {
	t.Helper()
	c, err := codec.New(f)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkTone asserts that out (after skip samples) holds freq at about amp
// (within tolDB) and that the tone dominates (most of the energy).
func checkTone(t *testing.T, out []int16, skip int, freq, rate, amp, tolDB float64) {
	t.Helper()
	if len(out) <= skip {
		t.Fatalf("only %d samples, want more than %d", len(out), skip)
	}
	x := out[skip:]
	got := goertzel(x, freq, rate)
	db := 20 * math.Log10(got/amp)
	if math.Abs(db) > tolDB {
		t.Errorf("tone at %.0f Hz has amplitude %.0f, want %.0f within %.1f dB (off by %.1f dB)", freq, got, amp, tolDB, db)
	}
	// A sine's RMS is amp/sqrt 2; the tone's share of the power tells
	// whether it is clean.
	share := (got * got / 2) / (rms(x) * rms(x))
	if share < 0.8 {
		t.Errorf("tone carries %.0f%% of the power, want at least 80%%", 100*share)
	}
}

// checkToneLive is checkTone for audio that crossed real sockets in real
// time, where a loaded machine (CI runs packages side by side) can delay
// a goroutine past a packet's turn: the level is the median over 100 ms
// windows, within tolDB, and at least 80 % of the windows must hold the
// tone within 3 dB. A wrong gain, a wrong rate or garbage still fails.
func checkToneLive(t *testing.T, out []int16, skip int, freq, rate, amp, tolDB float64) {
	t.Helper()
	if len(out) <= skip {
		t.Fatalf("only %d samples, want more than %d", len(out), skip)
	}
	x := out[skip:]
	w := int(rate / 10)
	var levels []float64
	for i := 0; i+w <= len(x); i += w {
		levels = append(levels, goertzel(x[i:i+w], freq, rate))
	}
	if len(levels) < 3 {
		t.Fatalf("only %d windows of 100 ms", len(levels))
	}
	sorted := slices.Clone(levels)
	slices.Sort(sorted)
	med := sorted[len(sorted)/2]
	if db := 20 * math.Log10(med/amp); math.Abs(db) > tolDB {
		t.Errorf("tone at %.0f Hz has median amplitude %.0f, want %.0f within %.1f dB (off by %.1f dB)", freq, med, amp, tolDB, db)
	}
	good := 0
	for _, l := range levels {
		if math.Abs(20*math.Log10(l/amp)) <= 3 {
			good++
		}
	}
	if good*5 < len(levels)*4 {
		t.Errorf("only %d of %d windows of 100 ms hold the tone within 3 dB: %.0f", good, len(levels), levels)
	}
}
