package tone_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/padlock-phone/padlock/internal/testkit/tone"
	"github.com/padlock-phone/padlock/media/audio"
)

func TestWriteTone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tone.wav")
	tone.WriteTone(t, path, 700, 2)
	pcm, rate, err := audio.ReadWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	if rate != 8000 || len(pcm) != 16000 {
		t.Fatalf("%d samples at %d Hz, want 16000 at 8000", len(pcm), rate)
	}
	if l := tone.Level(pcm, rate, 700); math.Abs(l-0.4) > 0.005 {
		t.Errorf("700 Hz at %.3f, want 0.4", l)
	}
}
