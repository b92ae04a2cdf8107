package audio

import (
	"math"
	"testing"
)

// tone returns n samples of a sine of freq Hz at rate Hz, peak amp.
func tone(n, rate int, freq, amp float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(math.Round(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
	}
	return s
}

// level is the amplitude of the freq Hz component of s (Goertzel), in dB
// relative to full scale (32768).
func level(s []int16, rate int, freq float64) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range s {
		s0 := float64(x) + c*s1 - s2
		s2, s1 = s1, s0
	}
	re := s1 - s2*math.Cos(w)
	im := s2 * math.Sin(w)
	amp := 2 * math.Hypot(re, im) / float64(len(s))
	return 20 * math.Log10(amp/32768+1e-12)
}

// peak is the frequency among candidates where s is loudest.
func peak(s []int16, rate int, candidates []float64) float64 {
	best, bestDB := 0.0, math.Inf(-1)
	for _, f := range candidates {
		if db := level(s, rate, f); db > bestDB {
			best, bestDB = f, db
		}
	}
	return best
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.3f, want %.3f ± %.3f", what, got, want, tol)
	}
}
