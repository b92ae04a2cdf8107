package audio

import (
	"math"
	"testing"

	testtone "github.com/padlock-phone/padlock/internal/testkit/tone"
)

// tone returns n samples of a sine of freq Hz at rate Hz, peak amp.
func tone(n, rate int, freq, amp float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(math.Round(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
	}
	return s
}

// level is the amplitude of the freq Hz component of s (tone.Level), in
// dB relative to full scale (32768).
func level(s []int16, rate int, freq float64) float64 {
	return 20 * math.Log10(testtone.Level(s, rate, freq)+1e-12)
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
