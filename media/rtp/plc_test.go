package rtp

import (
	"math"
	"testing"
)

// voiced is a vowel-like periodic signal: a fundamental and two
// harmonics, at rate Hz.
func voiced(n, from int, f0, rate float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		x := 2 * math.Pi * f0 * float64(from+i) / rate
		s[i] = int16(6000*math.Sin(x) + 3000*math.Sin(2*x+0.5) + 1500*math.Sin(3*x+1))
	}
	return s
}

// snr is the signal-to-error ratio of got against want, in dB.
func snr(want, got []int16) float64 {
	var sig, noise float64
	for i := range want {
		d := float64(want[i]) - float64(got[i])
		sig += float64(want[i]) * float64(want[i])
		noise += d * d
	}
	return 10 * math.Log10(sig/math.Max(noise, 1e-9))
}

func TestConcealerPitch(t *testing.T) {
	tests := []struct {
		rate, f0 float64
	}{
		{8000, 180}, {8000, 110}, {8000, 1000}, {16000, 180}, {16000, 250},
	}
	for _, tt := range tests {
		c := newConcealer(int(tt.rate))
		frame := int(tt.rate / 50)
		hist := voiced(10*frame, 0, tt.f0, tt.rate)
		for i := 0; i < len(hist); i += frame {
			c.good(hist[i : i+frame])
		}
		truth := voiced(frame, len(hist), tt.f0, tt.rate)
		got := make([]int16, frame)
		c.conceal(got)
		// The first 10 ms are at full level: compare them with the truth.
		half := frame / 2
		plc := snr(truth[:half], got[:half])
		// Repeating the last packet whole, as a simple concealer would.
		naive := snr(truth[:half], hist[len(hist)-frame:len(hist)-frame+half])
		t.Logf("%.0f Hz at %.0f Hz: pitch %d samples, SNR %.1f dB (repeat last packet: %.1f dB)", tt.f0, tt.rate, c.pitch, plc, naive)
		if plc < 15 || plc < naive-0.5 {
			t.Errorf("%.0f Hz at %.0f Hz: concealment SNR %.1f dB, want at least 15 and no worse than repeating (%.1f)", tt.f0, tt.rate, plc, naive)
		}
	}
}

func TestConcealerFadeAndMerge(t *testing.T) {
	const rate, frame = 8000, 160
	c := newConcealer(rate)
	for i := range 10 {
		c.good(voiced(frame, i*frame, 180, rate))
	}
	var levels []float64
	for range 4 {
		out := make([]int16, frame)
		c.conceal(out)
		levels = append(levels, rms(out))
	}
	// Full level, fading, fading, silent by 60 ms.
	if !(levels[0] > levels[1] && levels[1] > levels[2] && levels[3] == 0) {
		t.Errorf("concealment levels per 20 ms %.0f: want falling to silence by 60 ms", levels)
	}
	// The first good packet after a short gap starts from the concealed
	// signal: no jump bigger than the signal's own steps.
	c2 := newConcealer(rate)
	for i := range 10 {
		c2.good(voiced(frame, i*frame, 180, rate))
	}
	gap := make([]int16, frame)
	c2.conceal(gap)
	next := voiced(frame, 11*frame+37, 180, rate) // out of phase with the concealment
	c2.good(next)
	if d := math.Abs(float64(next[0]) - float64(gap[frame-1])); d > 2500 {
		t.Errorf("jump of %.0f between concealment and the next packet", d)
	}
}
