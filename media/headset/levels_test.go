package headset

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/media/audio"
)

func TestScale(t *testing.T) {
	for _, tc := range []struct {
		level Level
		in    []int16
		want  []int16
	}{
		{Unity, []int16{1, -1, 32767, -32768}, []int16{1, -1, 32767, -32768}},
		{50, []int16{1000, -1000, 3, 32767}, []int16{500, -500, 2, 16384}},
		{200, []int16{1000, -1000, 20000, -20000}, []int16{2000, -2000, 32767, -32768}},
		{0, []int16{1000, -32768}, []int16{0, 0}},
	} {
		got := slices.Clone(tc.in)
		scale(got, tc.level.q12())
		if !slices.Equal(got, tc.want) {
			t.Errorf("level %d: %v became %v, want %v", tc.level, tc.in, got, tc.want)
		}
	}
}

func TestSetLevelsClamps(t *testing.T) {
	h := New(nil, nil)
	if h.volume.Load() != 4096 || h.mic.Load() != 4096 {
		t.Fatalf("new headset not at unity: %d, %d", h.volume.Load(), h.mic.Load())
	}
	h.SetLevels(0, 500)
	if h.volume.Load() != MinVolume.q12() || h.mic.Load() != MaxLevel.q12() {
		t.Errorf("SetLevels(0, 500): volume %d, mic %d; want %d, %d", h.volume.Load(), h.mic.Load(), MinVolume.q12(), MaxLevel.q12())
	}
}

// BenchmarkScale: the per-frame cost of a volume that is not unity, on
// one 20 ms frame at 16 kHz; it must not allocate (docs/BENCHMARKS.md).
func BenchmarkScale(b *testing.B) {
	frame := make([]int16, audio.FrameLen(16000))
	for i := range frame {
		frame[i] = int16(i * 37)
	}
	q := Level(70).q12()
	b.ReportAllocs()
	for b.Loop() {
		scale(frame, q)
	}
	if n := testing.AllocsPerRun(100, func() { scale(frame, q) }); n != 0 {
		b.Fatalf("%v allocations per frame", n)
	}
}

// TestVolumeInThePump: a prompt of constant 1000 reaches the ear at half
// level with the volume at 50.
func TestVolumeInThePump(t *testing.T) {
	dir := t.TempDir()
	dev, err := audio.NewFile(dir, audio.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	h := New(dev, nil)
	t.Cleanup(func() { h.Close() })
	h.SetLevels(50, Unity)
	h.Play(func(rate int) []int16 {
		pcm := make([]int16, audio.FrameLen(rate)*5)
		for i := range pcm {
			pcm[i] = 1000
		}
		return pcm
	})
	deadline := time.Now().Add(5 * time.Second)
	for h.Busy() {
		if time.Now().After(deadline) {
			t.Fatal("still playing after 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	out, rate, err := audio.ReadWAV(filepath.Join(dir, "out.wav"))
	if err != nil {
		t.Fatal(err)
	}
	n := audio.FrameLen(rate) * 5
	if len(out) < n {
		t.Fatalf("played %d samples, want %d", len(out), n)
	}
	for i, s := range out[:n] {
		if s != 500 {
			t.Fatalf("sample %d is %d, want 500", i, s)
		}
	}
}
