package linphone

import (
	"os"
	"path/filepath"
	"testing"
)

func TestToneRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.wav")
	if err := WriteTone(p, 8000, 440, 0.5, 0.5); err != nil {
		t.Fatal(err)
	}
	s, rate, err := ReadWAV(p)
	if err != nil || rate != 8000 || len(s) != 4000 {
		t.Fatalf("%d samples at %d: %v", len(s), rate, err)
	}
	if l := Level(s, rate, 440); l < 0.2 || l > 0.3 {
		t.Errorf("level at 440 Hz %.3f, want 0.25", l)
	}
	if l := Level(s, rate, 1000); l > 0.001 {
		t.Errorf("level at 1 kHz %.4f", l)
	}
}

func FuzzParseWAV(f *testing.F) {
	p := filepath.Join(f.TempDir(), "t.wav")
	if err := WriteTone(p, 8000, 440, 0.01, 0.5); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, rate, err := parseWAV(b)
		if err == nil && (rate <= 0 || len(s) > len(b)/2) {
			t.Fatalf("%d samples at %d from %d bytes", len(s), rate, len(b))
		}
	})
}
