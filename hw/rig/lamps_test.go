package rig

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/hw"
)

// edgesOf is what a line showing p looks like from a window opened at phase
// into the pattern, sampled on the blinker's 25 ms grid with each edge late
// by up to jitter.
func edgesOf(p hw.Pattern, phase, window, jitter time.Duration, rng *rand.Rand) (bool, []Edge) {
	const tick = 25 * time.Millisecond
	initial := p.Level(phase)
	var edges []Edge
	last := initial
	for t := tick - phase%tick; t < window; t += tick {
		if l := p.Level(phase + t); l != last {
			at := t
			if jitter > 0 {
				at += time.Duration(rng.Int64N(int64(jitter)))
			}
			if at < window {
				edges = append(edges, Edge{At: at, High: l})
			}
			last = l
		}
	}
	return initial, edges
}

// TestClassifyEveryPatternFromEveryPhase: every pattern is read back from
// its edges from any starting phase in a MinWindow window, with each edge up
// to 20 ms late (the blinker's grid and an emulated machine's delay).
func TestClassifyEveryPatternFromEveryPhase(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range []hw.Pattern{hw.Off, hw.On, hw.Blink, hw.FastBlink, hw.SlowBlink} {
		for phase := time.Duration(0); phase < 2*time.Second; phase += 75 * time.Millisecond {
			for _, jitter := range []time.Duration{0, 20 * time.Millisecond} {
				initial, edges := edgesOf(p, phase, MinWindow, jitter, rng)
				r, err := Classify(initial, edges, MinWindow)
				if err != nil || r.Pattern != p {
					t.Fatalf("%v from phase %v, jitter %v: got %v, %v (edges %v)", p, phase, jitter, r, err, edges)
				}
				if !r.Measured {
					t.Fatalf("%v: a reading from edges is not marked measured", p)
				}
			}
		}
	}
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// TestClassifyRefuses: what is no pattern, or too little of one, is an
// error saying what was seen, never a guess.
func TestClassifyRefuses(t *testing.T) {
	for _, c := range []struct {
		name    string
		initial bool
		edges   []Edge
		want    string
	}{
		{"one edge: a pattern change", false, []Edge{{ms(300), true}}, "too few"},
		{"2 Hz is no pattern", false, []Edge{{ms(0), true}, {ms(250), false}, {ms(500), true}, {ms(750), false}, {ms(1000), true}}, "no pattern"},
		{"fast period, wrong lit time", false, []Edge{{ms(0), true}, {ms(50), false}, {ms(250), true}, {ms(300), false}, {ms(500), true}}, "no pattern"},
		{"two rises in a row", false, []Edge{{ms(0), true}, {ms(100), true}, {ms(200), false}}, "in a row"},
		{"30% slow is out of tolerance", false, []Edge{{ms(0), true}, {ms(163), false}, {ms(325), true}, {ms(488), false}, {ms(650), true}}, "no pattern"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := Classify(c.initial, c.edges, MinWindow)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, %v; want an error with %q", r, err, c.want)
			}
		})
	}
}

// TestClassifyTolerance: 15% off the nominal still counts, the edge of
// Tolerance.
func TestClassifyTolerance(t *testing.T) {
	// Blink at 1.15 s period, 575 ms lit.
	edges := []Edge{{ms(100), true}, {ms(675), false}, {ms(1250), true}, {ms(1825), false}, {ms(2400), true}}
	r, err := Classify(false, edges, MinWindow)
	if err != nil || r.Pattern != hw.Blink || r.Period != ms(1150) || r.Lit != ms(575) {
		t.Fatalf("got %v, %v", r, err)
	}
}

// TestEmulatedToleranceKeepsPatternsApart: at EmulatedTolerance no
// pattern's timing is within reach of another's, so a wider tolerance
// trades precision, not correctness.
func TestEmulatedToleranceKeepsPatternsApart(t *testing.T) {
	for _, a := range blinks {
		for _, b := range blinks {
			if a.p != b.p && nearWithin(a.period, b.period, EmulatedTolerance) && nearWithin(a.lit, b.lit, EmulatedTolerance) {
				t.Errorf("%v and %v are alike within %.0f%%", a.p, b.p, EmulatedTolerance*100)
			}
		}
	}
	// The flash QEMU showed: 155 ms for the slow blink's 200.
	edges := []Edge{{ms(300), true}, {ms(455), false}, {ms(2305), true}}
	if r, err := ClassifyWithin(false, edges, MinWindow, EmulatedTolerance); err != nil || r.Pattern != hw.SlowBlink {
		t.Errorf("got %v, %v", r, err)
	}
	if _, err := Classify(false, edges, MinWindow); err == nil {
		t.Error("155 ms for 200 passes at Tolerance")
	}
}
