package audio

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/jonboulle/clockwork"
)

// readFrames reads n frames from s, advancing clk a frame before each so
// no Read waits.
func readFrames(t *testing.T, s Stream, clk *clockwork.FakeClock, rate, n int) []int16 {
	t.Helper()
	var all []int16
	frame := make([]int16, FrameLen(rate))
	for range n {
		clk.Advance(FrameDuration)
		if err := s.Read(frame); err != nil {
			t.Fatal(err)
		}
		all = append(all, frame...)
	}
	return all
}

// A tone written to out.wav, then used as in.wav, is read back at its
// frequency and level, at the same rate and converted to the other one.
func TestFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	clk := clockwork.NewFakeClock()
	dev, err := NewFile(dir, FileOptions{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	const amp = 8000 // -12.2 dBFS
	src := tone(16000, 16000, 1000, amp)
	s, err := dev.Open(16000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dev.Open(16000); !errors.Is(err, ErrBusy) {
		t.Errorf("second Open: %v, want ErrBusy", err)
	}
	for i := 0; i < len(src); i += 320 {
		if err := s.Write(src[i : i+320]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	b, err := os.ReadFile(filepath.Join(dir, "out.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := binary.LittleEndian.Uint32(b[40:]), uint32(2*len(src)); got != want {
		t.Errorf("data size in header %d, want %d", got, want)
	}
	if got, want := binary.LittleEndian.Uint32(b[4:]), uint32(len(b)-8); got != want {
		t.Errorf("RIFF size in header %d, want %d", got, want)
	}
	if err := os.Rename(filepath.Join(dir, "out.wav"), filepath.Join(dir, "in.wav")); err != nil {
		t.Fatal(err)
	}

	want := level(src, 16000, 1000)
	for _, rate := range []int{16000, 8000} {
		s, err := dev.Open(rate)
		if err != nil {
			t.Fatal(err)
		}
		got := readFrames(t, s, clk, rate, 50)
		s.Close()
		if !slices.Equal(got[:20], tone(20, rate, 1000, amp)) && rate == 16000 {
			t.Errorf("at 16 kHz the samples differ from those written: %v", got[:20])
		}
		seg := got[rate/10 : rate/10+rate/2]
		near(t, "level (dBFS)", level(seg, rate, 1000), want, 0.1)
		if f := peak(seg, rate, []float64{500, 750, 1000, 1250, 1500, 2000, 3000}); f != 1000 {
			t.Errorf("at %d Hz: loudest at %v Hz, want 1000", rate, f)
		}
		// The converted capture starts where the file does, not a
		// filter delay later: the first samples follow the tone.
		if rate == 8000 {
			near(t, "level of the first 10 ms (dBFS)", level(got[:80], rate, 1000), want, 0.5)
		}
	}
}

// An in.wav at a card's rate (44.1 kHz) is converted to the call's.
func TestFileCaptureConverted(t *testing.T) {
	dir := t.TempDir()
	writeWAV(t, filepath.Join(dir, "in.wav"), 44100, tone(44100, 44100, 1000, 8000))
	clk := clockwork.NewFakeClock()
	dev, _ := NewFile(dir, FileOptions{Clock: clk})
	s, err := dev.Open(16000)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := readFrames(t, s, clk, 16000, 50)
	near(t, "level (dBFS)", level(got[1600:9600], 16000, 1000), level(tone(8000, 16000, 1000, 8000), 16000, 1000), 0.1)
	if n := len(got); n != 16000 {
		t.Fatalf("%d samples", n)
	}
	// One second of 44.1 kHz is 16000 samples at 16 kHz: the last frame
	// still has sound, the next is silence.
	if level(got[15680:], 16000, 1000) < -20 {
		t.Error("the converted file ends early")
	}
	if tail := readFrames(t, s, clk, 16000, 1); !slices.Equal(tail, make([]int16, 320)) {
		t.Error("after the end of in.wav capture is not silence")
	}
}

// Capture runs out into silence, or loops; without in.wav it is silent.
func TestFileCaptureEnd(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    []int16 // nil: no in.wav
		loop  bool
		check func(got []int16) bool
	}{
		{"no file", nil, false, func(got []int16) bool { return slices.Equal(got, make([]int16, 480)) }},
		{"silence after end", seqPCM(200), false, func(got []int16) bool {
			return slices.Equal(got[:200], seqPCM(200)) && slices.Equal(got[200:], make([]int16, 280))
		}},
		{"loop", seqPCM(200), true, func(got []int16) bool {
			return slices.Equal(got[:200], seqPCM(200)) && slices.Equal(got[200:400], seqPCM(200)) && slices.Equal(got[400:], seqPCM(80))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.in != nil {
				writeWAV(t, filepath.Join(dir, "in.wav"), 8000, tc.in)
			}
			clk := clockwork.NewFakeClock()
			dev, _ := NewFile(dir, FileOptions{Loop: tc.loop, Clock: clk})
			s, err := dev.Open(8000)
			if err != nil {
				t.Fatal(err)
			}
			defer dev.Close()
			if got := readFrames(t, s, clk, 8000, 3); !tc.check(got) {
				t.Errorf("capture %v", got)
			}
		})
	}
}

func seqPCM(n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(i*7 + 1)
	}
	return s
}

func writeWAV(t *testing.T, path string, rate int, pcm []int16) {
	t.Helper()
	w, err := CreateWAV(path, rate)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(pcm); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// A power cut while out.wav is being written leaves its header saying
// "to the end of the file"; every sample written is still read back.
func TestFilePowerCut(t *testing.T) {
	dir := t.TempDir()
	dev, _ := NewFile(dir, FileOptions{Clock: clockwork.NewFakeClock()})
	s, err := dev.Open(8000)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := seqPCM(160 * 5)
	for i := 0; i < len(want); i += 160 {
		if err := s.Write(want[i : i+160]); err != nil {
			t.Fatal(err)
		}
	}
	// What the disk holds now, before Close: the state after a power cut
	// once the kernel has written its pages back.
	b, err := os.ReadFile(filepath.Join(dir, "out.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if got := binary.LittleEndian.Uint32(b[40:]); got != streamingSize {
		t.Errorf("data size while writing = %#x, want %#x", got, uint32(streamingSize))
	}
	got, rate, err := ParseWAV(b)
	if err != nil || rate != 8000 || !slices.Equal(got, want) {
		t.Errorf("ParseWAV of the unfinished file: %d samples at %d Hz, %v; want %d samples", len(got), rate, err, len(want))
	}
}

func TestFileBadInput(t *testing.T) {
	dir := t.TempDir()
	stereo := wavBytes(16000, 2, 16, []byte{1, 2, 3, 4})
	if err := os.WriteFile(filepath.Join(dir, "in.wav"), stereo, 0o644); err != nil {
		t.Fatal(err)
	}
	dev, _ := NewFile(dir, FileOptions{Clock: clockwork.NewFakeClock()})
	if _, err := dev.Open(8000); err == nil {
		t.Error("Open with a stereo in.wav succeeded")
	}
	if _, err := NewFile(filepath.Join(dir, "in.wav"), FileOptions{}); err == nil {
		t.Error("NewFile on a file succeeded")
	}
}
