package prompts

import (
	"fmt"
	"math"
	"testing"
)

// piece is what a tone must contain for a while: the frequencies heard
// (none for silence); decays marks a chime that fades.
type piece struct {
	ms     int
	freqs  []float64
	decays bool
}

// The tones as specified (see tones.go for why these): written out here
// independently of the synthesizer's tables.
var toneSpecs = []struct {
	name   string
	render func(rate int) []int16
	want   []piece
}{
	{"ring", Ring, []piece{{400, []float64{440, 480}, false}, {200, nil, false}, {400, []float64{440, 480}, false}, {2000, nil, false}}},
	{"securing", Securing, []piece{{80, []float64{700}, false}, {40, nil, false}, {80, []float64{1050}, false}}},
	{"chime", Chime, []piece{{150, []float64{880}, true}, {350, []float64{1320}, true}}},
	{"waiting", Waiting, []piece{{300, []float64{440}, false}, {4700, nil, false}}},
	{"busy", Busy, []piece{{500, []float64{480, 620}, false}, {500, nil, false}}},
	{"failure", Failure, []piece{{330, []float64{950}, false}, {30, nil, false}, {330, []float64{1400}, false}, {30, nil, false}, {330, []float64{1800}, false}}},
}

func TestTones(t *testing.T) {
	for _, spec := range toneSpecs {
		for _, rate := range []int{Narrowband, Wideband, 48000} {
			t.Run(fmt.Sprintf("%s/%d", spec.name, rate), func(t *testing.T) {
				pcm := spec.render(rate)
				total := 0
				for _, p := range spec.want {
					total += p.ms * rate / 1000
				}
				if len(pcm) != total {
					t.Fatalf("%d samples, want %d", len(pcm), total)
				}
				checkCadence(t, pcm, rate, spec.want)
				at := 0
				for i, p := range spec.want {
					seg := pcm[at : at+p.ms*rate/1000]
					at += len(seg)
					if len(p.freqs) == 0 {
						if !allZero(seg) {
							t.Errorf("piece %d (%d ms silence) is not silent", i, p.ms)
						}
						continue
					}
					checkFrequencies(t, fmt.Sprintf("piece %d", i), seg, rate, p)
				}
				if p := dBFS(peakAbs(pcm)); p > -12 {
					t.Errorf("peak %.1f dBFS: louder than the voice prompts", p)
				}
			})
		}
	}
}

// checkCadence compares the on and off runs of pcm, in 5 ms frames, with
// the pieces (adjacent sounding pieces make one run), to within the
// ramps' 10 ms.
func checkCadence(t *testing.T, pcm []int16, rate int, want []piece) {
	t.Helper()
	frame := rate / 200
	first, got := runs(activeFrames(pcm, frame, -50))
	var wantRuns []int
	for i, p := range want {
		frames := p.ms / 5
		if i > 0 && (len(p.freqs) > 0) == (len(want[i-1].freqs) > 0) {
			wantRuns[len(wantRuns)-1] += frames
			continue
		}
		wantRuns = append(wantRuns, frames)
	}
	if !first || len(got) != len(wantRuns) {
		t.Fatalf("on/off runs of 5 ms frames %v (first on: %v), want %v", got, first, wantRuns)
	}
	for i := range got {
		if abs(got[i]-wantRuns[i]) > 2 {
			t.Errorf("run %d lasts %d frames of 5 ms, want %d", i, got[i], wantRuns[i])
		}
	}
}

// checkFrequencies checks, away from the ramps, that the piece's
// frequencies carry nearly all its power, each at -20 dBFS unless the
// piece decays.
func checkFrequencies(t *testing.T, what string, seg []int16, rate int, p piece) {
	t.Helper()
	mid := seg[rate/100 : len(seg)-rate/100]
	if p.decays { // a fading sine's spectrum widens; look at 60 ms of it
		mid = mid[:min(len(mid), rate*6/100)]
	}
	var tonal float64
	for _, f := range p.freqs {
		a := amplitude(mid, rate, f)
		tonal += a * a / 2
		if !p.decays && math.Abs(dBFS(a)-(-20)) > 1 {
			t.Errorf("%s: %.0f Hz at %.1f dBFS, want -20", what, f, dBFS(a))
		}
	}
	r := rms(mid)
	if share := tonal / (r * r); share < 0.9 || share > 1.1 {
		t.Errorf("%s: %v Hz carry %.2f of the power, want all of it", what, p.freqs, share)
	}
	// And a frequency that should not be there is not.
	if a := amplitude(mid, rate, p.freqs[0]*1.5+37); dBFS(a) > -45 {
		t.Errorf("%s: %.0f Hz at %.1f dBFS", what, p.freqs[0]*1.5+37, dBFS(a))
	}
	if p.decays {
		q := len(seg) / 4
		if rms(seg[3*q:]) >= 0.75*rms(seg[q:2*q]) {
			t.Errorf("%s: does not fade", what)
		}
	}
	if seg[0] != 0 {
		t.Errorf("%s starts at %d, not 0: it clicks", what, seg[0])
	}
}

func TestTonesRefuseLowRates(t *testing.T) {
	for _, spec := range toneSpecs {
		for _, rate := range []int{-8000, 0, 4000} {
			if pcm := spec.render(rate); pcm != nil {
				t.Errorf("%s at %d Hz: %d samples, want nil", spec.name, rate, len(pcm))
			}
		}
	}
}
