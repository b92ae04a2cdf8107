package mix

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/padlock-phone/padlock/media/audio"
)

// fakeLeg plays a signal (a function of the sample index at its rate) and
// keeps what it is sent.
type fakeLeg struct {
	rate   int
	signal func(i int) int16
	pos    int
	sent   []int16
	keep   bool // record what is sent (tests that do not count allocations)
}

func (f *fakeLeg) Rate() int { return f.rate }
func (f *fakeLeg) ReadFrame(dst []int16) []int16 {
	for range audio.FrameLen(f.rate) {
		v := int16(0)
		if f.signal != nil {
			v = f.signal(f.pos)
		}
		dst = append(dst, v)
		f.pos++
	}
	return dst
}
func (f *fakeLeg) WriteFrame(pcm []int16) error {
	if len(pcm) != audio.FrameLen(f.rate) {
		return fmt.Errorf("frame of %d samples at %d Hz", len(pcm), f.rate)
	}
	if f.keep {
		f.sent = append(f.sent, pcm...)
	}
	return nil
}

func sine(freq float64, rate int, amp float64) func(int) int16 {
	return func(i int) int16 { return int16(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))) }
}

// noise is a repeatable pseudo-random signal of amplitude amp.
func noise(seed uint32, amp int32) func(int) int16 {
	return func(i int) int16 {
		x := uint32(i)*2654435761 + seed*40503
		x ^= x >> 13
		x *= 0x5bd1e995
		x ^= x >> 15
		return int16(int32(x%uint32(2*amp+1)) - amp)
	}
}

// level is the amplitude of freq in x (a single-bin DFT).
func level(x []int16, freq float64, rate int) float64 {
	var re, im float64
	for i, v := range x {
		ph := 2 * math.Pi * freq * float64(i) / float64(rate)
		re += float64(v) * math.Cos(ph)
		im += float64(v) * math.Sin(ph)
	}
	return 2 * math.Hypot(re, im) / float64(len(x))
}

// run drives the mixer like the headset's pump: mic frames in, ear out.
func run(t testing.TB, m *Mixer, frames int, mic func(int) int16) []int16 {
	var ear []int16
	n := audio.FrameLen(m.Rate())
	buf := make([]int16, n)
	for f := range frames {
		for i := range buf {
			buf[i] = 0
			if mic != nil {
				buf[i] = mic(f*n + i)
			}
		}
		if err := m.WriteFrame(buf); err != nil {
			t.Fatal(err)
		}
		ear = m.ReadFrame(ear)
	}
	return ear
}

// TestSameRateIsExact: at one rate the mix is plain arithmetic: the
// headset hears the sum of the legs, each leg the microphone and the
// others, never itself.
func TestSameRateIsExact(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		for legs := 2; legs <= 4; legs++ {
			t.Run(fmt.Sprintf("%d Hz, %d legs", rate, legs), func(t *testing.T) {
				m := New()
				var fl []*fakeLeg
				for i := range legs {
					l := &fakeLeg{rate: rate, signal: noise(uint32(i+1), 6000), keep: true}
					fl = append(fl, l)
					if err := m.Add(fmt.Sprint("leg", i), l); err != nil {
						t.Fatal(err)
					}
				}
				if m.Rate() != rate {
					t.Fatalf("mix rate %d, want %d", m.Rate(), rate)
				}
				mic := noise(99, 6000)
				const frames = 10
				ear := run(t, m, frames, mic)
				for s := range frames * audio.FrameLen(rate) {
					var all int32
					for _, l := range fl {
						all += int32(l.signal(s))
					}
					if want := clamp(all); ear[s] != want {
						t.Fatalf("ear sample %d: %d, want %d", s, ear[s], want)
					}
					for i, l := range fl {
						if want := clamp(all - int32(l.signal(s)) + int32(mic(s))); l.sent[s] != want {
							t.Fatalf("leg %d sample %d: sent %d, want %d", i, s, l.sent[s], want)
						}
					}
				}
			})
		}
	}
}

// TestSaturates: loud legs clip at full scale instead of wrapping round
// to the other sign.
func TestSaturates(t *testing.T) {
	m := New()
	loud := func(v int16) func(int) int16 { return func(int) int16 { return v } }
	a := &fakeLeg{rate: 8000, signal: loud(30000), keep: true}
	b := &fakeLeg{rate: 8000, signal: loud(30000), keep: true}
	c := &fakeLeg{rate: 8000, signal: loud(-30000), keep: true}
	for i, l := range []*fakeLeg{a, b} {
		m.Add(fmt.Sprint(i), l)
	}
	ear := run(t, m, 2, loud(20000))
	if slices.Min(ear) != 32767 || slices.Min(a.sent) != 32767 {
		t.Fatalf("positive overflow wrapped: ear min %d, a got min %d", slices.Min(ear), slices.Min(a.sent))
	}
	m.Remove("1")
	m.Add("c", c)
	c2 := &fakeLeg{rate: 8000, signal: loud(-30000), keep: true}
	m.Add("c2", c2)
	run(t, m, 1, loud(-20000))
	if got := slices.Max(a.sent[len(a.sent)-160:]); got != -32768 {
		t.Fatalf("negative overflow wrapped: a got max %d", got)
	}
}

// TestWidebandMix: one G.722 leg makes the mix 16 kHz; the narrowband legs
// are brought up and down to it. Each leg's tone reaches the others and
// the headset; the microphone reaches every leg and not the headset;
// nobody hears their own tone.
func TestWidebandMix(t *testing.T) {
	m := New()
	a := &fakeLeg{rate: 16000, signal: sine(440, 16000, 8000), keep: true} // G.722
	b := &fakeLeg{rate: 8000, signal: sine(880, 8000, 8000), keep: true}   // PCMU
	c := &fakeLeg{rate: 8000, signal: sine(1320, 8000, 8000), keep: true}  // PCMA
	for name, l := range map[string]*fakeLeg{"a": a, "b": b, "c": c} {
		if err := m.Add(name, l); err != nil {
			t.Fatal(err)
		}
	}
	if m.Rate() != 16000 {
		t.Fatalf("mix rate %d with a wideband leg", m.Rate())
	}
	const frames = 50
	ear := run(t, m, frames, sine(1000, 16000, 8000))
	skip := func(x []int16, rate int) []int16 { return x[rate/10:] } // the filters' start
	const heard, absent = 3000, 40                                   // of a tone at 8000
	for _, tc := range []struct {
		who   string
		got   []int16
		rate  int
		tones map[float64]bool
	}{
		{"headset", ear, 16000, map[float64]bool{440: true, 880: true, 1320: true, 1000: false}},
		{"a", a.sent, 16000, map[float64]bool{440: false, 880: true, 1320: true, 1000: true}},
		{"b", b.sent, 8000, map[float64]bool{440: true, 880: false, 1320: true, 1000: true}},
		{"c", c.sent, 8000, map[float64]bool{440: true, 880: true, 1320: false, 1000: true}},
	} {
		x := skip(tc.got, tc.rate)
		for f, want := range tc.tones {
			l := level(x, f, tc.rate)
			if want && l < heard || !want && l > absent {
				t.Errorf("%s: %v Hz at %.0f (want heard: %v)", tc.who, f, l, want)
			}
		}
	}
}

// TestAloneHearsNothing: a leg talking alone is sent exact silence, even
// through the resamplers: its own audio is taken out before, not after.
func TestAloneHearsNothing(t *testing.T) {
	m := New()
	b := &fakeLeg{rate: 8000, signal: noise(7, 20000), keep: true}
	a := &fakeLeg{rate: 16000, keep: true}
	m.Add("b", b)
	m.Add("a", a)
	run(t, m, 20, nil)
	if slices.Max(b.sent) != 0 || slices.Min(b.sent) != 0 {
		t.Fatalf("b hears itself: %d..%d", slices.Min(b.sent), slices.Max(b.sent))
	}
	if slices.Max(a.sent) == 0 {
		t.Fatal("a does not hear b")
	}
}

// TestNotMixed: a leg taken out of the mix (clear while encryption is
// required) is neither heard by anyone nor sent anything but silence, and
// comes back when mixed again.
func TestNotMixed(t *testing.T) {
	m := New()
	a := &fakeLeg{rate: 8000, signal: noise(1, 5000), keep: true}
	clear := &fakeLeg{rate: 8000, signal: noise(2, 5000), keep: true}
	m.Add("a", a)
	m.Add("clear", clear)
	if !m.SetMixed("clear", false) || m.SetMixed("nobody", false) {
		t.Fatal("SetMixed: wrong leg found")
	}
	ear := run(t, m, 5, noise(3, 5000))
	for s := range ear {
		if ear[s] != a.signal(s) || a.sent[s] != noise(3, 5000)(s) || clear.sent[s] != 0 {
			t.Fatalf("sample %d: ear %d (a %d), a got %d, clear leg got %d", s, ear[s], a.signal(s), a.sent[s], clear.sent[s])
		}
	}
	m.SetMixed("clear", true)
	run(t, m, 1, nil)
	if got := a.sent[len(a.sent)-1]; got != clear.signal(clear.pos-1) {
		t.Fatalf("mixed again: a got %d, want the clear leg's %d", got, clear.signal(clear.pos-1))
	}
}

// TestLegsComeAndGo: a leg that leaves leaves the others talking; the
// rate follows the legs there are; the same name cannot come twice; the
// conference is bounded.
func TestLegsComeAndGo(t *testing.T) {
	m := New()
	a, b := &fakeLeg{rate: 8000, signal: noise(1, 5000), keep: true}, &fakeLeg{rate: 8000, signal: noise(2, 5000), keep: true}
	w := &fakeLeg{rate: 16000, signal: noise(3, 5000)}
	m.Add("a", a)
	m.Add("b", b)
	m.Add("w", w)
	if m.Rate() != 16000 || !slices.Equal(m.Legs(), []string{"a", "b", "w"}) {
		t.Fatalf("rate %d, legs %v", m.Rate(), m.Legs())
	}
	if err := m.Add("a", a); err == nil {
		t.Error("the same leg added twice")
	}
	if err := m.Add("odd", &fakeLeg{rate: 44100}); err == nil {
		t.Error("a 44.1 kHz leg accepted")
	}
	run(t, m, 3, nil)
	if !m.Remove("w") || m.Remove("w") {
		t.Fatal("Remove: wrong answer")
	}
	if m.Rate() != 8000 {
		t.Fatalf("rate %d after the wideband leg left", m.Rate())
	}
	a.sent, b.sent = nil, nil
	a0, b0 := a.pos, b.pos
	run(t, m, 3, nil)
	for s := range a.sent {
		if a.sent[s] != b.signal(b0+s) || b.sent[s] != a.signal(a0+s) {
			t.Fatalf("sample %d after a leg left: a got %d, b got %d", s, a.sent[s], b.sent[s])
		}
	}
	for i := range MaxLegs - 2 {
		m.Add(fmt.Sprint("more", i), &fakeLeg{rate: 8000})
	}
	if err := m.Add("one too many", &fakeLeg{rate: 8000}); err != ErrFull {
		t.Fatalf("past MaxLegs: %v", err)
	}
}

// TestLatency: what the mix path adds between one participant and another
// is the resamplers' filter delay only; legs at the mix rate add none.
func TestLatency(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from, to int
		wide     bool    // a silent G.722 leg makes the mix 16 kHz
		want     float64 // samples at the receiving leg's rate
	}{
		{"8k to 8k, 8 kHz mix", 8000, 8000, false, 0},
		{"16k to 16k", 16000, 16000, false, 0},
		{"8k to 16k", 8000, 16000, false, resamplerDelay(t, 8000, 16000)},
		{"16k to 8k", 16000, 8000, false, resamplerDelay(t, 16000, 8000)},
		{"8k to 8k, 16 kHz mix", 8000, 8000, true, resamplerDelay(t, 8000, 16000)/2 + resamplerDelay(t, 16000, 8000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := impulseDelay(t, tc.from, tc.to, tc.wide)
			if math.Abs(float64(got)-tc.want) > 1 {
				t.Errorf("delay %d samples, want %.1f", got, tc.want)
			}
			t.Logf("%s: %.2f ms", tc.name, float64(got)*1000/float64(tc.to))
		})
	}
}

// resamplerDelay is the group delay of the one resampler between two rates
// (up into the 16 kHz mix, or down out of it), in output samples.
func resamplerDelay(t testing.TB, from, to int) float64 {
	r, err := audio.NewResampler(from, to)
	if err != nil {
		t.Fatal(err)
	}
	return r.Delay()
}

// impulseDelay sends a click from a leg at rate from and finds it at a
// leg at rate to; it returns the delay in samples at rate to.
func impulseDelay(t testing.TB, from, to int, wide bool) int {
	m := New()
	const at = 400
	src := &fakeLeg{rate: from, signal: func(i int) int16 {
		if i == at {
			return 20000
		}
		return 0
	}}
	dst := &fakeLeg{rate: to, keep: true}
	m.Add("src", src)
	m.Add("dst", dst)
	if wide {
		m.Add("wide", &fakeLeg{rate: 16000})
	}
	run(t, m, 10, nil)
	peak := 0
	for i, v := range dst.sent {
		if abs(v) > abs(dst.sent[peak]) {
			peak = i
		}
	}
	return peak - at*to/from
}

func abs(v int16) int32 { return max(int32(v), -int32(v)) }

// TestNoAllocsPerFrame: a frame of a four-leg wideband conference
// allocates nothing.
func TestNoAllocsPerFrame(t *testing.T) {
	m := fourLegs(true)
	mic := make([]int16, audio.FrameLen(m.Rate()))
	ear := make([]int16, 0, len(mic))
	if n := testing.AllocsPerRun(200, func() {
		m.WriteFrame(mic)
		ear = m.ReadFrame(ear[:0])
	}); n != 0 {
		t.Fatalf("%v allocations per frame", n)
	}
}
