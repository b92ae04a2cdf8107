package prompts

import (
	"fmt"
	"testing"
)

// BenchmarkSAS measures reading a SAS: decoding four stored words and, at
// 8 kHz, low-pass resampling them (or two 8 kHz PGP words, upsampled at
// 16 kHz). It runs once per secured call and per press of SAS-confirm.
func BenchmarkSAS(b *testing.B) {
	for _, sas := range []string{"ybe8", "aardvark adroitness"} {
		for _, rate := range []int{Narrowband, Wideband} {
			b.Run(fmt.Sprintf("%s/%d", sas, rate), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := SAS(sas, rate); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkPhrase measures the longest phrase (5.6 s).
func BenchmarkPhrase(b *testing.B) {
	for _, rate := range []int{Narrowband, Wideband} {
		b.Run(fmt.Sprint(rate), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Phrase(KeyChanged, rate); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRing measures synthesizing one 3 s ring period.
func BenchmarkRing(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Ring(Wideband)
	}
}
