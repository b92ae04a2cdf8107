package audio

import (
	"encoding/binary"
	"slices"
	"testing"
)

// wavBytes builds a WAV file with a fmt chunk and a data chunk; extra
// chunks go between them.
func wavBytes(rate, channels, bits int, data []byte, extra ...[]byte) []byte {
	var b []byte
	b = append(b, "RIFF\x00\x00\x00\x00WAVE"...)
	b = append(b, "fmt \x10\x00\x00\x00"...)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, uint16(channels))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate*channels*bits/8))
	b = binary.LittleEndian.AppendUint16(b, uint16(channels*bits/8))
	b = binary.LittleEndian.AppendUint16(b, uint16(bits))
	for _, e := range extra {
		b = append(b, e...)
	}
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

func TestParseWAV(t *testing.T) {
	pcm := []byte{1, 0, 0xff, 0xff, 0, 0x80}
	want := []int16{1, -1, -32768}
	good := wavBytes(8000, 1, 16, pcm)
	extensible := wavBytes(16000, 1, 16, pcm)
	{
		// Rewrite as WAVE_FORMAT_EXTENSIBLE with the PCM sub-format.
		fmtBody := append(slices.Clone(extensible[20:36]), make([]byte, 24)...)
		binary.LittleEndian.PutUint16(fmtBody[0:], 0xFFFE)
		binary.LittleEndian.PutUint16(fmtBody[16:], 22)
		binary.LittleEndian.PutUint16(fmtBody[24:], 1)
		var b []byte
		b = append(b, extensible[:12]...)
		b = append(b, "fmt \x28\x00\x00\x00"...)
		b = append(b, fmtBody...)
		b = append(b, extensible[36:]...)
		extensible = b
	}
	truncated := good[:len(good)-2]
	streaming := slices.Clone(good)
	binary.LittleEndian.PutUint32(streaming[40:], streamingSize)
	for _, tc := range []struct {
		name string
		b    []byte
		rate int
		want []int16
		ok   bool
	}{
		{"plain", good, 8000, want, true},
		{"odd LIST chunk before data", wavBytes(8000, 1, 16, pcm, []byte("LIST\x03\x00\x00\x00abc\x00")), 8000, want, true},
		{"extensible PCM", extensible, 16000, want, true},
		{"data cut short", truncated, 8000, want[:2], true},
		{"streaming header", streaming, 8000, want, true},
		{"stereo", wavBytes(8000, 2, 16, pcm), 0, nil, false},
		{"8-bit", wavBytes(8000, 1, 8, pcm), 0, nil, false},
		{"absurd rate", wavBytes(7, 1, 16, pcm), 0, nil, false},
		{"not RIFF", []byte("RIFX\x00\x00\x00\x00WAVE"), 0, nil, false},
		{"empty", nil, 0, nil, false},
		{"no data", good[:36], 0, nil, false},
		{"data before fmt", append([]byte("RIFF\x00\x00\x00\x00WAVEdata\x02\x00\x00\x00\x01\x00"), good[12:36]...), 0, nil, false},
		{"short fmt", []byte("RIFF\x00\x00\x00\x00WAVEfmt \x04\x00\x00\x00\x01\x00\x01\x00"), 0, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rate, err := ParseWAV(tc.b)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if rate != tc.rate || !slices.Equal(got, tc.want) {
				t.Errorf("got %v at %d Hz, want %v at %d Hz", got, rate, tc.want, tc.rate)
			}
		})
	}
}

// ParseWAV never panics, and what it accepts survives a write and a
// second parse unchanged.
func FuzzParseWAV(f *testing.F) {
	f.Add(wavBytes(8000, 1, 16, []byte{1, 0, 2, 0}))
	f.Add(wavBytes(16000, 1, 16, []byte{1, 0, 2}, []byte("LIST\x01\x00\x00\x00x\x00")))
	f.Add(wavBytes(8000, 2, 16, nil))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEfmt \xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pcm, rate, err := ParseWAV(b)
		if err != nil {
			return
		}
		var data []byte
		for _, s := range pcm {
			data = binary.LittleEndian.AppendUint16(data, uint16(s))
		}
		again, rate2, err := ParseWAV(wavBytes(rate, 1, 16, data))
		if err != nil || rate2 != rate || !slices.Equal(again, pcm) {
			t.Fatalf("re-parse: %v, rate %d vs %d, %d vs %d samples", err, rate2, rate, len(again), len(pcm))
		}
	})
}
