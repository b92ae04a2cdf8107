package prompts

import (
	"math"
	"time"
)

// The tones are synthesized, not stored. Each is a list of segments: a
// sum of sines (or silence) for a time, switched on and off with a 5 ms
// raised-cosine ramp so no segment clicks. Every component is at
// toneLevel, -20 dBFS, about the level of the spoken prompts (whose peaks
// are at -6 dBFS and whose average is near -20 dBFS): a tone is never
// louder than the voice around it.

const (
	toneLevel = 0.1 // of full scale, per component
	toneRamp  = 5 * time.Millisecond
)

// segment is one piece of a tone: freqs (Hz) summed, or silence when
// there are none. decay, when not zero, makes the segment fade
// exponentially with that time constant, like a struck chime.
type segment struct {
	d     time.Duration
	freqs []float64
	decay time.Duration
}

// Ring is one period of the ring tone played into the headset for an
// incoming call, to be looped while it rings: 440+480 Hz (the North
// American ringing frequencies) in a double ring, 0.4 s on, 0.2 s off,
// 0.4 s on, 2 s off, so the first ring is heard at once and each 3 s
// period is unmistakably a call. It returns nil for a rate under 8000 Hz.
func Ring(rate int) []int16 {
	return synth(rate, append(ringBurst[:len(ringBurst):len(ringBurst)], segment{d: 2 * time.Second}))
}

// ringBurst is the double ring of Ring, without the pause after it.
var ringBurst = []segment{
	{d: 400 * time.Millisecond, freqs: []float64{440, 480}},
	{d: 200 * time.Millisecond},
	{d: 400 * time.Millisecond, freqs: []float64{440, 480}},
}

// RingBurst is the double ring of Ring alone (1 s): the caller announced
// between rings fills the pause after it. It returns nil for a rate
// under 8000 Hz.
func RingBurst(rate int) []int16 {
	return synth(rate, ringBurst)
}

// Waiting is one period of the call-waiting tone, to be looped over the
// call going on: one soft 440 Hz beep of 300 ms, then 4.7 s of quiet (the
// North American call-waiting beep, repeated every 5 s rather than 10 so
// a waiting caller is not forgotten). It returns nil for a rate under
// 8000 Hz.
func Waiting(rate int) []int16 {
	return synth(rate, []segment{
		{d: 300 * time.Millisecond, freqs: []float64{440}},
		{d: 4700 * time.Millisecond},
	})
}

// Securing is the short tone played when ZRTP starts on a call: two
// rising 80 ms beeps, 700 Hz then 1050 Hz, 40 ms apart (200 ms in all).
// It returns nil for a rate under 8000 Hz.
func Securing(rate int) []int16 {
	return synth(rate, []segment{
		{d: 80 * time.Millisecond, freqs: []float64{700}},
		{d: 40 * time.Millisecond},
		{d: 80 * time.Millisecond, freqs: []float64{1050}},
	})
}

// Chime is the confirmation chime played when the SAS is confirmed: a
// fading fifth, 880 Hz for 150 ms then 1320 Hz for 350 ms, each struck
// and dying away (0.5 s in all). It returns nil for a rate under 8000 Hz.
func Chime(rate int) []int16 {
	return synth(rate, []segment{
		{d: 150 * time.Millisecond, freqs: []float64{880}, decay: 120 * time.Millisecond},
		{d: 350 * time.Millisecond, freqs: []float64{1320}, decay: 150 * time.Millisecond},
	})
}

// Busy is one period of the busy tone, to be looped: 480+620 Hz, 0.5 s
// on, 0.5 s off (the North American busy signal). It returns nil for a
// rate under 8000 Hz.
func Busy(rate int) []int16 {
	return synth(rate, []segment{
		{d: 500 * time.Millisecond, freqs: []float64{480, 620}},
		{d: 500 * time.Millisecond},
	})
}

// Failure is the error tone played before "encryption failed" or when a
// call cannot be made: the special information tone of ITU-T E.180, three
// rising 330 ms tones of 950, 1400 and 1800 Hz with 30 ms between them
// (1.05 s in all), which people know as "this call did not go through".
// It returns nil for a rate under 8000 Hz.
func Failure(rate int) []int16 {
	return synth(rate, []segment{
		{d: 330 * time.Millisecond, freqs: []float64{950}},
		{d: 30 * time.Millisecond},
		{d: 330 * time.Millisecond, freqs: []float64{1400}},
		{d: 30 * time.Millisecond},
		{d: 330 * time.Millisecond, freqs: []float64{1800}},
	})
}

// synth renders segments at rate.
func synth(rate int, segs []segment) []int16 {
	if rate < Narrowband {
		return nil
	}
	total := 0
	for _, s := range segs {
		total += samples(s.d, rate)
	}
	out := make([]int16, 0, total)
	ramp := samples(toneRamp, rate)
	for _, s := range segs {
		n := samples(s.d, rate)
		if len(s.freqs) == 0 {
			out = append(out, make([]int16, n)...)
			continue
		}
		for i := range n {
			t := float64(i) / float64(rate)
			var v float64
			for _, f := range s.freqs {
				v += math.Sin(2 * math.Pi * f * t)
			}
			g := toneLevel * 32767
			if i < ramp {
				g *= 0.5 - 0.5*math.Cos(math.Pi*float64(i)/float64(ramp))
			}
			if j := n - 1 - i; j < ramp {
				g *= 0.5 - 0.5*math.Cos(math.Pi*float64(j)/float64(ramp))
			}
			if s.decay > 0 {
				g *= math.Exp(-t / s.decay.Seconds())
			}
			out = append(out, int16(math.Round(v*g)))
		}
	}
	return out
}

// samples is how many samples d lasts at rate.
func samples(d time.Duration, rate int) int {
	return int(int64(rate) * int64(d) / int64(time.Second))
}
