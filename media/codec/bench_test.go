package codec

import (
	"testing"
	"time"
)

// One 20 ms frame per iteration, encode and decode apart, cycling through
// the 0.5 s chirp of testdata (speech-like: every band gets used), the
// destination reused as an RTP sender or receiver would.
func BenchmarkEncode(b *testing.B) {
	for _, f := range Formats() {
		b.Run(f.Name, func(b *testing.B) {
			c, _ := New(f)
			n := f.Samples(20 * time.Millisecond)
			pcm := benchSignal(b, f)
			dst := make([]byte, 0, 1500)
			b.ReportAllocs()
			b.SetBytes(int64(2 * n))
			i := 0
			for b.Loop() {
				dst = c.Encode(dst[:0], pcm[i:i+n])
				if i += n; i+n > len(pcm) {
					i = 0
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, f := range Formats() {
		b.Run(f.Name, func(b *testing.B) {
			c, _ := New(f)
			// The chirp's payloads, one per 20 ms frame (Opus's vary in size).
			n := f.Samples(20 * time.Millisecond)
			pcm := benchSignal(b, f)
			var payloads [][]byte
			var size int
			for i := 0; i+n <= len(pcm); i += n {
				payloads = append(payloads, c.Encode(nil, pcm[i:i+n]))
				size += len(payloads[len(payloads)-1])
			}
			c.Reset()
			dst := make([]int16, 0, opusMaxFrame)
			b.ReportAllocs()
			b.SetBytes(int64(size / len(payloads)))
			i := 0
			for b.Loop() {
				dst = c.Decode(dst[:0], payloads[i])
				if i++; i == len(payloads) {
					i = 0
				}
			}
		})
	}
}

// benchSignal is the chirp at f's sample rate (every other sample for
// 8 kHz; each sample three times for 48 kHz, as good as Opus needs here).
func benchSignal(b *testing.B, f Format) []int16 {
	s := readS16(b, "chirp.s16")
	switch f.SampleRate {
	case 8000:
		for i := range len(s) / 2 {
			s[i] = s[2*i]
		}
		s = s[:len(s)/2]
	case 48000:
		up := make([]int16, 3*len(s))
		for i := range up {
			up[i] = s[i/3]
		}
		s = up
	}
	return s
}

// BenchmarkCgoCall is the fixed cost of one call into C (Opus pays it twice
// per frame: one encode, one decode).
func BenchmarkCgoCall(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		cgoNop()
	}
}
