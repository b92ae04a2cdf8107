package prompts

import (
	"encoding/binary"
	"slices"
	"testing"
)

// The vectors are IMA ADPCM WAV files written by sox 14.4.2 and sox's own
// decoding of each to raw 16-bit PCM (testdata/README.md says how): the
// spoken "eight" as the generator stores it, a full-range chirp at 8 kHz
// whose last block is partial, and a full-scale square wave that drives
// the predictor into its clamps.
func TestDecodeWAVMatchesSox(t *testing.T) {
	for _, tc := range []struct {
		name string
		rate int
	}{
		{"eight", 16000},
		{"chirp", 8000},
		{"square", 16000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pcm, rate, err := decodeWAV(readTestdata(t, tc.name+".wav"))
			if err != nil {
				t.Fatal(err)
			}
			if rate != tc.rate {
				t.Errorf("rate %d, want %d", rate, tc.rate)
			}
			// sox's reader ignores the fact chunk and returns the padding
			// of the last block too; the fact count is the true length.
			want := readS16(t, tc.name+".sox.s16")
			if fact := int(binary.LittleEndian.Uint32(readTestdata(t, tc.name+".wav")[48:])); len(pcm) != fact {
				t.Errorf("%d samples, the fact chunk says %d", len(pcm), fact)
			}
			if len(pcm) > len(want) {
				t.Fatalf("%d samples, sox decoded only %d", len(pcm), len(want))
			}
			for j := range pcm {
				if pcm[j] != want[j] {
					t.Fatalf("sample %d: %d, sox decoded %d", j, pcm[j], want[j])
				}
			}
		})
	}
}

// wavWith returns the eight vector with one change made to a copy.
func wavWith(t *testing.T, change func(b []byte) []byte) []byte {
	return change(slices.Clone(readTestdata(t, "eight.wav")))
}

func TestDecodeWAVRejects(t *testing.T) {
	// Offsets in the sox layout: RIFF header 12, "fmt " header 8, so the
	// fmt body starts at 20; fact at 40 (body 48); data header at 52.
	for _, tc := range []struct {
		name   string
		change func(b []byte) []byte
	}{
		{"empty", func(b []byte) []byte { return nil }},
		{"not RIFF", func(b []byte) []byte { copy(b, "RIFX"); return b }},
		{"not WAVE", func(b []byte) []byte { copy(b[8:], "AVI "); return b }},
		{"PCM format", func(b []byte) []byte { b[20] = 1; return b }},
		{"stereo", func(b []byte) []byte { b[22] = 2; return b }},
		{"8 bits", func(b []byte) []byte { b[34] = 8; return b }},
		{"rate 0", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[24:], 0); return b }},
		{"block too small", func(b []byte) []byte { binary.LittleEndian.PutUint16(b[32:], 4); return b }},
		{"samples per block wrong", func(b []byte) []byte { binary.LittleEndian.PutUint16(b[38:], 999); return b }},
		{"fmt chunk short", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[16:], 16); return b }},
		{"chunk past end", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[56:], 1<<30); return b }},
		{"fact beyond data", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[48:], 1<<20); return b }},
		{"no data chunk", func(b []byte) []byte { copy(b[52:], "junk"); return b }},
		{"step index 89", func(b []byte) []byte { b[60+2] = 89; return b }},
		{"too large", func(b []byte) []byte { return append(b, make([]byte, maxPromptWAV)...) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := wavWith(t, tc.change)
			if pcm, _, err := decodeWAV(b); err == nil {
				t.Fatalf("decoded %d samples, want an error", len(pcm))
			}
		})
	}
}

func TestDecodeWAVLayout(t *testing.T) {
	// The offsets TestDecodeWAVRejects edits must be where it thinks.
	b := readTestdata(t, "eight.wav")
	for off, want := range map[int]string{0: "RIFF", 8: "WAVE", 12: "fmt ", 40: "fact", 52: "data"} {
		if got := string(b[off : off+4]); got != want {
			t.Errorf("at %d: %q, want %q", off, got, want)
		}
	}
}

func TestDecodeWAVWithoutFact(t *testing.T) {
	// Without a fact chunk every sample the blocks hold is returned, as
	// sox's reader does.
	b := readTestdata(t, "eight.wav")
	copy(b[40:], "junk")
	pcm, _, err := decodeWAV(b)
	if err != nil {
		t.Fatal(err)
	}
	want := readS16(t, "eight.sox.s16")
	if !slices.Equal(pcm, want) {
		t.Fatalf("%d samples differ from sox's %d", len(pcm), len(want))
	}
}

func FuzzDecodeWAV(f *testing.F) {
	// Seeds are the test files cut to their first 4 KiB (header and a few
	// blocks): whole files made each run so slow that a 2 s fuzz pass in
	// make test ran out of time in the middle of one.
	for _, name := range []string{"eight.wav", "chirp.wav", "square.wav"} {
		b := readTestdata(f, name)
		f.Add(b[:min(len(b), 4096)])
	}
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVE"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 {
			return
		}
		pcm, rate, err := decodeWAV(b)
		if err != nil {
			return
		}
		if rate < 1000 || rate > 48000 {
			t.Fatalf("accepted rate %d", rate)
		}
		// Two samples per byte at most, plus one per block header.
		if len(pcm) > 2*len(b) {
			t.Fatalf("%d samples from %d bytes", len(pcm), len(b))
		}
	})
}
