package rig

import "math"

// Tone is seconds of a sine at freq, at rate, at 40% of full scale.
func Tone(freq float64, rate int, seconds float64) []int16 {
	pcm := make([]int16, int(float64(rate)*seconds))
	for i := range pcm {
		pcm[i] = int16(0.4 * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return pcm
}

// ToneLevel is the strongest 1 s stretch of freq in pcm (Goertzel), as a
// fraction of full scale: 0.4 for Tone's own output, near 0 without it.
func ToneLevel(pcm []int16, rate int, freq float64) float64 {
	best := 0.0
	for start := 0; start+rate <= len(pcm); start += rate / 4 {
		best = max(best, goertzel(pcm[start:start+rate], rate, freq))
	}
	return best
}

// goertzel is the amplitude of freq in x, as a fraction of full scale.
func goertzel(x []int16, rate int, freq float64) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s0 := float64(v)/32768 + c*s1 - s2
		s2, s1 = s1, s0
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	return 2 * math.Sqrt(math.Max(p, 0)) / float64(len(x))
}

// Correlation tries want at every offset k*step+lead of heard and returns
// the best normalized cross-correlation: 1 when heard holds want exactly
// there (at any level), lower when other sound is mixed in or it is absent.
func Correlation(heard, want []int16, step, lead int) float64 {
	if len(want) == 0 || len(heard) < len(want) || step < 1 {
		return 0
	}
	var ww float64
	for _, x := range want {
		ww += float64(x) * float64(x)
	}
	best := 0.0
	for off := lead; off+len(want) <= len(heard); off += step {
		var hw, hh float64
		for i, x := range want {
			h := float64(heard[off+i])
			hw += h * float64(x)
			hh += h * h
		}
		if hh > 0 {
			best = max(best, hw/math.Sqrt(hh*ww))
		}
		if best > 0.99 {
			break
		}
	}
	return best
}
