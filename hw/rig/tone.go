package rig

import (
	"math"

	"github.com/padlock-phone/padlock/media/tone"
)

// Tone is seconds of a sine at freq, at rate, at 40% of full scale.
func Tone(freq float64, rate int, seconds float64) []int16 {
	return tone.Sine(rate, freq, 0.4, int(float64(rate)*seconds))
}

// ToneLevel is the strongest 1 s stretch of freq in pcm (Goertzel, the one
// detector in media/tone), as a fraction of full scale: 0.4 for Tone's own
// output, near 0 without it.
func ToneLevel(pcm []int16, rate int, freq float64) float64 {
	return tone.BestLevel(pcm, rate, freq, rate)
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

// envelopeStep is the envelope's resolution: 10 ms.
const envelopeStep = 100 // per second

// EnvelopeMatch is how well heard holds want's loudness contour somewhere:
// the best normalized correlation (mean removed) of their 10 ms RMS
// envelopes over every offset. Unlike Correlation it survives what an
// analog path does (another sample clock, filtering, a level), so a board
// rig scores spoken words with it; it tells words apart less sharply.
func EnvelopeMatch(heard, want []int16, rate int) float64 {
	h, w := envelope(heard, rate), envelope(want, rate)
	if len(w) < 2 || len(h) < len(w) {
		return 0
	}
	var wm float64
	for _, x := range w {
		wm += x
	}
	wm /= float64(len(w))
	var ww float64
	for i := range w {
		w[i] -= wm
		ww += w[i] * w[i]
	}
	best := 0.0
	for off := 0; off+len(w) <= len(h); off++ {
		var hm float64
		for _, x := range h[off : off+len(w)] {
			hm += x
		}
		hm /= float64(len(w))
		var hw, hh float64
		for i, x := range w {
			d := h[off+i] - hm
			hw += d * x
			hh += d * d
		}
		if hh > 0 && ww > 0 {
			best = max(best, hw/math.Sqrt(hh*ww))
		}
	}
	return best
}

func envelope(pcm []int16, rate int) []float64 {
	n := rate / envelopeStep
	out := make([]float64, 0, len(pcm)/n)
	for i := 0; i+n <= len(pcm); i += n {
		var s float64
		for _, x := range pcm[i : i+n] {
			s += float64(x) * float64(x)
		}
		out = append(out, math.Sqrt(s/float64(n)))
	}
	return out
}
