package codec

import (
	"testing"
	"time"
)

// One 20 ms frame per iteration, encode and decode apart, destination
// reused as an RTP sender or receiver would.
func BenchmarkEncode(b *testing.B) {
	for _, f := range Formats() {
		b.Run(f.Name, func(b *testing.B) {
			c, _ := New(f)
			pcm := readS16(b, "chirp.s16")[:f.Samples(20*time.Millisecond)]
			dst := make([]byte, 0, 160)
			b.ReportAllocs()
			b.SetBytes(int64(2 * len(pcm)))
			for b.Loop() {
				dst = c.Encode(dst[:0], pcm)
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, f := range Formats() {
		b.Run(f.Name, func(b *testing.B) {
			c, _ := New(f)
			pcm := readS16(b, "chirp.s16")[:f.Samples(20*time.Millisecond)]
			payload := c.Encode(nil, pcm)
			dst := make([]int16, 0, len(pcm))
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				dst = c.Decode(dst[:0], payload)
			}
		})
	}
}
