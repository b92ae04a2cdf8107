package vault

import (
	"fmt"
	"testing"
)

// BenchmarkUnlock measures one unlock (argon2id plus unwrap) with the
// parameters that ship, and with single-lane variants used to extrapolate to
// a Raspberry Pi 3 (docs/BENCHMARKS.md). Run with -tags purego to time the
// portable argon2 code that arm64 runs (x/crypto has assembly only for amd64
// and loong64).
func BenchmarkUnlock(b *testing.B) {
	for _, p := range []Params{
		DefaultParams,
		{Time: DefaultParams.Time, MemoryKiB: DefaultParams.MemoryKiB, Threads: 1},
		{Time: 1, MemoryKiB: 64 * 1024, Threads: 2},
		{Time: 2, MemoryKiB: 64 * 1024, Threads: 2},
	} {
		b.Run(fmt.Sprintf("t=%d/m=%dMiB/p=%d", p.Time, p.MemoryKiB/1024, p.Threads), func(b *testing.B) {
			v, err := Create([]byte("correct horse battery staple"), p)
			if err != nil {
				b.Fatal(err)
			}
			v.Lock()
			b.ResetTimer()
			for b.Loop() {
				if err := v.Unlock([]byte("correct horse battery staple")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSeal(b *testing.B) {
	v, err := Create([]byte("pw"), TestParams)
	if err != nil {
		b.Fatal(err)
	}
	ad := []byte("history/123456/body")
	for _, n := range []int{64, 4096} {
		pt := make([]byte, n)
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := v.Seal(ad, pt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	v, err := Create([]byte("pw"), TestParams)
	if err != nil {
		b.Fatal(err)
	}
	ad := []byte("history/123456/body")
	for _, n := range []int{64, 4096} {
		sealed, err := v.Seal(ad, make([]byte, n))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := v.Open(ad, sealed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
