// Package tone makes tones and finds them again: a sine as samples, the
// Goertzel level of one frequency, its loudest window, and the strongest
// tone in a recording. The tests (through internal/testkit/tone) and the
// hardware rig (hw/rig, which checks a real phone's audio) share it, so
// there is one tone detector. It imports only the standard library.
package tone

import "math"

// Sine is n samples of a sine at freq Hz sampled at rate, with peak
// amplitude amp (1: full scale).
func Sine(rate int, freq, amp float64, n int) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(math.Round(amp * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
	}
	return pcm
}

// Level is the amplitude (1: full scale) of the freq Hz component of pcm
// sampled at rate, by the Goertzel algorithm: a sine of peak A at freq
// reads about A when pcm spans whole periods.
func Level(pcm []int16, rate int, freq float64) float64 {
	if len(pcm) == 0 || rate <= 0 {
		return 0
	}
	c := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, x := range pcm {
		s1, s2 = float64(x)/32768+c*s1-s2, s1
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	return 2 * math.Sqrt(math.Max(p, 0)) / float64(len(pcm))
}

// BestLevel is the Level of freq in the loudest window of win samples of
// pcm, windows stepped by win/4 (and 0 when pcm is shorter than win): how
// strongly a recording holds a tone somewhere.
func BestLevel(pcm []int16, rate int, freq float64, win int) float64 {
	best := 0.0
	if win <= 0 {
		return 0
	}
	for start := 0; start+win <= len(pcm); start += max(win/4, 1) {
		best = max(best, Level(pcm[start:start+win], rate, freq))
	}
	return best
}

// Dominant estimates the strongest pure tone in pcm, looking where a
// probe frequency is loudest. It takes the 1 s window where probe is
// strongest (stepped by a quarter second), finds the rough peak from 100
// to 3500 Hz in 5 Hz steps on the average of the Hann-windowed tenths of
// that second (a tenth's main lobe is too wide to fall between steps;
// averaging all ten keeps a burst of other sound in one tenth, such as a
// DTMF digit, from choosing the peak), then refines it to 0.25 Hz over
// the whole second. level is the amplitude (1: full scale); pcm shorter
// than a second gives 0, 0.
func Dominant(pcm []int16, rate int, probe float64) (freq, level float64) {
	if rate <= 0 || len(pcm) < rate {
		return 0, 0
	}
	best, bestStart := -1.0, 0
	for start := 0; start+rate <= len(pcm); start += rate / 4 {
		if l := Level(pcm[start:start+rate], rate, probe); l > best {
			best, bestStart = l, start
		}
	}
	win := pcm[bestStart : bestStart+rate]
	n := rate / 10
	hann := make([]float64, n)
	for i := range hann {
		hann[i] = 0.5 * (1 - math.Cos(2*math.Pi*float64(i)/float64(n-1)))
	}
	tenths := make([][]int16, 10)
	for k := range tenths {
		tenths[k] = make([]int16, n)
		for i := range n {
			tenths[k][i] = int16(float64(win[k*n+i]) * hann[i])
		}
	}
	rough, roughLevel := 0.0, 0.0
	for f := 100.0; f <= 3500; f += 5 {
		var sum float64
		for _, x := range tenths {
			sum += Level(x, rate, f)
		}
		if sum > roughLevel {
			rough, roughLevel = f, sum
		}
	}
	for f := rough - 15; f <= rough+15; f += 0.25 {
		if l := Level(win, rate, f); l > level {
			freq, level = f, l
		}
	}
	return freq, level
}
