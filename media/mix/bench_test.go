package mix

import (
	"fmt"
	"testing"

	"github.com/padlock-phone/padlock/media/audio"
)

// fourLegs is a conference of four talking legs, one of them G.722 when
// wideband.
func fourLegs(wideband bool) *Mixer { return conference(4, wideband) }

func conference(legs int, wideband bool) *Mixer {
	m := New()
	for i := range legs {
		rate := 8000
		if wideband && i == 0 {
			rate = 16000
		}
		m.Add(fmt.Sprint("leg", i), &fakeLeg{rate: rate, signal: noise(uint32(i), 8000)})
	}
	return m
}

// BenchmarkFrame is the mixer's cost per 20 ms frame: read every leg,
// mix, send every leg its mix, hand the headset its frame. The legs are
// fakes that make their samples on the fly (a few ns each), so this is the
// mixer and the resamplers, not a codec or a network.
func BenchmarkFrame(b *testing.B) {
	for _, wideband := range []bool{false, true} {
		for legs := 2; legs <= 4; legs++ {
			name := fmt.Sprintf("legs=%d/narrowband", legs)
			if wideband {
				name = fmt.Sprintf("legs=%d/one-G.722", legs)
			}
			b.Run(name, func(b *testing.B) {
				m := conference(legs, wideband)
				mic := make([]int16, audio.FrameLen(m.Rate()))
				ear := make([]int16, 0, len(mic))
				b.ReportAllocs()
				for b.Loop() {
					m.WriteFrame(mic)
					ear = m.ReadFrame(ear[:0])
				}
			})
		}
	}
}
