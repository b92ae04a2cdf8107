package rig

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestToneLevel: a tone is found at its own frequency and not at another.
func TestToneLevel(t *testing.T) {
	pcm := append(make([]int16, 4000), Tone(700, 8000, 2)...)
	if got := ToneLevel(pcm, 8000, 700); math.Abs(got-0.4) > 0.02 {
		t.Errorf("700 Hz in a 700 Hz tone: %.3f, want 0.4", got)
	}
	if got := ToneLevel(pcm, 8000, 440); got > 0.01 {
		t.Errorf("440 Hz in a 700 Hz tone: %.3f, want ~0", got)
	}
}

// TestCorrelation: a sound hidden at a step-aligned offset is found; at an
// offset off the grid it is not claimed.
func TestCorrelation(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	want := make([]int16, 800) // noise: like speech, unlike itself shifted
	for i := range want {
		want[i] = int16(rng.IntN(20000) - 10000)
	}
	heard := make([]int16, 8000)
	copy(heard[1600+40:], want)
	if c := Correlation(heard, want, 160, 40); c < 0.99 {
		t.Errorf("at offset 1640 (lead 40, step 160): %.3f", c)
	}
	if c := Correlation(heard, want, 160, 0); c > 0.9 {
		t.Errorf("off the grid: %.3f, want low", c)
	}
}

// TestEnvelopeMatch: a burst pattern is found through a level change, a
// sample offset and added noise; a different pattern scores lower.
func TestEnvelopeMatch(t *testing.T) {
	burst := func(on ...float64) []int16 { // 100 ms slots, each on or off
		var pcm []int16
		for _, o := range on {
			pcm = append(pcm, scale(Tone(500, 8000, 0.1), o)...)
		}
		return pcm
	}
	want := burst(1, 0, 1, 1, 0, 0, 1, 0, 1, 1)
	heard := append(make([]int16, 1234), scale(want, 0.3)...)
	heard = append(heard, make([]int16, 4000)...)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range heard {
		heard[i] += int16(rng.IntN(600) - 300)
	}
	if m := EnvelopeMatch(heard, want, 8000); m < 0.9 {
		t.Errorf("the pattern, quieter and shifted: %.3f", m)
	}
	other := burst(0, 1, 0, 0, 1, 1, 0, 1, 0, 0)
	if m := EnvelopeMatch(burst(1, 1, 1, 1, 1, 0, 0, 0, 0, 0), other, 8000); m > 0.5 {
		t.Errorf("another pattern: %.3f", m)
	}
}

func scale(pcm []int16, f float64) []int16 {
	out := make([]int16, len(pcm))
	for i, x := range pcm {
		out[i] = int16(float64(x) * f)
	}
	return out
}
