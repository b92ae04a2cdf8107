package tone_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/media/tone"
)

func TestLevel(t *testing.T) {
	for _, tc := range []struct {
		name       string
		pcm        []int16
		rate       int
		freq, want float64
	}{
		{"440 Hz at 8 kHz", tone.Sine(8000, 440, 0.4, 8000), 8000, 440, 0.4},
		{"1 kHz at 16 kHz", tone.Sine(16000, 1000, 0.25, 1600), 16000, 1000, 0.25},
		{"another frequency", tone.Sine(8000, 1000, 0.4, 8000), 8000, 440, 0},
		{"silence", make([]int16, 8000), 8000, 440, 0},
		{"nothing", nil, 8000, 440, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tone.Level(tc.pcm, tc.rate, tc.freq); math.Abs(got-tc.want) > 0.005 {
				t.Errorf("Level %.4f, want %.2f", got, tc.want)
			}
		})
	}
}

func TestBestLevel(t *testing.T) {
	pcm := append(make([]int16, 16000), tone.Sine(8000, 700, 0.3, 8000)...)
	if got := tone.BestLevel(pcm, 8000, 700, 8000); math.Abs(got-0.3) > 0.005 {
		t.Errorf("loudest second of 700 Hz after 2 s of silence: %.3f, want 0.3", got)
	}
	if got := tone.BestLevel(pcm[:4000], 8000, 700, 8000); got != 0 {
		t.Errorf("shorter than the window: %.3f, want 0", got)
	}
}

// TestDominant: the estimator the call tests rely on finds a tone's
// frequency to well within 5 Hz, and finds nothing in silence or noise.
func TestDominant(t *testing.T) {
	noise := make([]int16, 16000)
	x := uint32(1)
	for i := range noise {
		x = x*1664525 + 1013904223
		noise[i] = int16(x>>16) / 8
	}
	// A DTMF digit (697 + 1209 Hz) for 150 ms, then 440 Hz: the digit
	// must not pick the peak when the loudest second starts with it.
	dtmf := make([]int16, 1200)
	for i := range dtmf {
		dtmf[i] = int16(0.2*32767*math.Sin(2*math.Pi*697*float64(i)/8000) + 0.2*32767*math.Sin(2*math.Pi*1209*float64(i)/8000))
	}
	digitThenTone := append(dtmf, tone.Sine(8000, 440, 0.4, 8000)...)
	for _, tc := range []struct {
		name     string
		pcm      []int16
		rate     int
		freq     float64 // 0: no tone expected
		minLevel float64
	}{
		{"440 Hz at 8 kHz", tone.Sine(8000, 440, 0.4, 16000), 8000, 440, 0.35},
		{"443 Hz at 8 kHz", tone.Sine(8000, 443, 0.4, 16000), 8000, 443, 0.35},
		{"436 Hz at 16 kHz", tone.Sine(16000, 436, 0.1, 32000), 16000, 436, 0.08},
		{"447.5 Hz", tone.Sine(8000, 447.5, 0.4, 16000), 8000, 447.5, 0.3},
		{"1 kHz", tone.Sine(8000, 1000, 0.4, 16000), 8000, 1000, 0.35},
		{"a DTMF digit, then 440 Hz", digitThenTone, 8000, 440, 0.3},
		{"silence", make([]int16, 16000), 8000, 0, 0},
		{"white noise", noise, 8000, 0, 0},
		{"too short", tone.Sine(8000, 440, 0.4, 100), 8000, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, level := tone.Dominant(tc.pcm, tc.rate, 440)
			if tc.freq == 0 {
				if level >= 0.1 {
					t.Errorf("found %.1f Hz at level %.3f in no tone", f, level)
				}
				return
			}
			if math.Abs(f-tc.freq) > 1 || level < tc.minLevel {
				t.Errorf("got %.2f Hz at level %.3f, want %.0f Hz at >= %.2f", f, level, tc.freq, tc.minLevel)
			}
		})
	}
}

// TestDominantOnLinphonecRecording replays what linphonec recorded of
// Padlock's 440 Hz in a TestClearCallHoldDTMFAudio run that failed with
// "strongest tone 434.5 Hz at level 0.032": 2.8 s of the tone with the
// four DTMF digits "123#" in the middle (1.3-1.9 s). The tone is there at
// 0.4 throughout; the old estimator looked for the rough peak only in the
// first 100 ms of the loudest second, which here fell on a digit.
func TestDominantOnLinphonecRecording(t *testing.T) {
	pcm, rate, err := audio.ReadWAV(filepath.Join("testdata", "linphonec-tone-dtmf-tone.wav"))
	if err != nil {
		t.Fatal(err)
	}
	f, level := tone.Dominant(pcm, rate, 440)
	if math.Abs(f-440) > 1 || level < 0.3 {
		t.Errorf("got %.2f Hz at level %.3f, want 440 Hz at >= 0.3", f, level)
	}
}
