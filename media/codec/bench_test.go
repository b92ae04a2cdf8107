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
			dst := make([]byte, 0, 160)
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
			payload := c.Encode(nil, benchSignal(b, f))
			n := f.PayloadBytes(20 * time.Millisecond)
			dst := make([]int16, 0, f.Samples(20*time.Millisecond))
			b.ReportAllocs()
			b.SetBytes(int64(n))
			i := 0
			for b.Loop() {
				dst = c.Decode(dst[:0], payload[i:i+n])
				if i += n; i+n > len(payload) {
					i = 0
				}
			}
		})
	}
}

// benchSignal is the chirp at f's sample rate (every other sample for 8 kHz).
func benchSignal(b *testing.B, f Format) []int16 {
	s := readS16(b, "chirp.s16")
	if f.SampleRate == 8000 {
		for i := range len(s) / 2 {
			s[i] = s[2*i]
		}
		s = s[:len(s)/2]
	}
	return s
}
