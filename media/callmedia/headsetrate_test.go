package callmedia

import (
	"math"
	"testing"
)

// loopStream records what the headset side writes and plays back a tone
// at the codec's rate.
type loopStream struct {
	rate    int
	written []int16
	frames  int
	phase   int
}

func (l *loopStream) WriteFrame(pcm []int16) error {
	if len(pcm) != l.rate/50 {
		l.frames = -1 << 20 // a frame of the wrong size
	}
	l.written = append(l.written, pcm...)
	l.frames++
	return nil
}

func (l *loopStream) ReadFrame(dst []int16) []int16 {
	for range l.rate / 50 {
		dst = append(dst, int16(0.4*32767*math.Sin(2*math.Pi*700*float64(l.phase)/float64(l.rate))))
		l.phase++
	}
	return dst
}

// A 48 kHz call (Opus) meets the headset at 16 kHz: 20 ms frames each way,
// a tone's level kept within 0.1 dB, no allocation per frame; 8 and 16 kHz
// calls pass straight through.
func TestHeadsetAudioRates(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		if got := headsetAudio(&loopStream{rate: rate}, rate).Rate(); got != rate {
			t.Errorf("a %d Hz call runs the headset at %d Hz", rate, got)
		}
	}
	l := &loopStream{rate: 48000}
	h := headsetAudio(l, 48000)
	if h.Rate() != 16000 {
		t.Fatalf("a 48 kHz call runs the headset at %d Hz, want 16000", h.Rate())
	}
	mic := make([]int16, 320)
	ear := make([]int16, 0, 320)
	var heard []int16
	for i := range 100 {
		for j := range mic {
			mic[j] = int16(0.4 * 32767 * math.Sin(2*math.Pi*440*float64(i*320+j)/16000))
		}
		if err := h.WriteFrame(mic); err != nil {
			t.Fatal(err)
		}
		ear = h.ReadFrame(ear[:0])
		if len(ear) != 320 {
			t.Fatalf("frame %d: %d samples for the ear, want 320", i, len(ear))
		}
		heard = append(heard, ear...)
	}
	if l.frames != 100 {
		t.Fatalf("%d frames of 960 samples reached the call, want 100", l.frames)
	}
	// Skip the filters' start; one second of whole periods.
	for _, m := range []struct {
		what  string
		got   float64
		wantF float64
	}{
		{"microphone at 48 kHz", level(l.written[48000:96000], 48000, 440), 440},
		{"ear at 16 kHz", level(heard[16000:32000], 16000, 700), 700},
	} {
		if db := 20 * math.Log10(m.got/0.4); math.Abs(db) > 0.1 {
			t.Errorf("%s: %.0f Hz at %.3f (%+.2f dB), want 0.4", m.what, m.wantF, m.got, db)
		}
	}
	if n := testing.AllocsPerRun(50, func() {
		h.WriteFrame(mic)
		ear = h.ReadFrame(ear[:0])
	}); n != 0 {
		t.Errorf("%v allocations per frame pair", n)
	}
	// Mute passes through as nil.
	before := len(l.written)
	h.WriteFrame(nil)
	if len(l.written) != before {
		t.Error("a muted frame reached the call as samples")
	}
}
