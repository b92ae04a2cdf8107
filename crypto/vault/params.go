package vault

import (
	"fmt"
	"runtime/debug"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters. They are stored in the header, so
// a vault always unlocks with the parameters it was created with.
type Params struct {
	Time      uint32 // passes over the memory
	MemoryKiB uint32 // memory in KiB
	Threads   uint8  // lanes (argon2 parallelism); Go runs one goroutine per lane
}

// DefaultParams is the set that ships. It is sized to unlock in about 0.5 s on
// a Raspberry Pi 3 (4x Cortex-A53 at 1.2 GHz, 1 GB RAM): 80 MiB leaves most of
// the board's memory to the phone, and 2 lanes leave two of the four cores to
// the audio path while someone logs in during a call. One pass over more
// memory beats more passes over less (RFC 9106, section 4). docs/BENCHMARKS.md
// has the measurement and the extrapolation behind these numbers.
var DefaultParams = Params{Time: 1, MemoryKiB: 80 * 1024, Threads: 2}

// TestParams is a deliberately weak set that derives a key in well under a
// millisecond. It exists so that tests (of this package and of others, such
// as store and webadmin) stay fast; never use it outside tests.
var TestParams = Params{Time: 1, MemoryKiB: 64, Threads: 1}

// Limits on parameters read from a header. They stop a tampered or corrupt
// header from making the device allocate gigabytes or spin for hours before
// the password check can fail.
const (
	maxTime      = 64
	maxMemoryKiB = 256 * 1024 // a quarter of a 1 GB board
	maxThreads   = 16
)

// check reports whether p can be used: argon2 needs at least one pass, one
// lane and 8 KiB of memory per lane; the upper limits are ours.
func (p Params) check() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("argon2id time %d outside 1..%d", p.Time, maxTime)
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("argon2id threads %d outside 1..%d", p.Threads, maxThreads)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxMemoryKiB:
		return fmt.Errorf("argon2id memory %d KiB outside %d..%d", p.MemoryKiB, 8*uint32(p.Threads), maxMemoryKiB)
	}
	return nil
}

func (p Params) String() string {
	return fmt.Sprintf("argon2id t=%d m=%dKiB p=%d", p.Time, p.MemoryKiB, p.Threads)
}

// deriveKEK runs argon2id over the password. The caller zeroes the result.
//
// The work area (80 MiB at DefaultParams) is garbage once argon2id
// returns, but Go's scavenger would hand it back to the kernel only over
// minutes, so a phone just unlocked would sit at three times its working
// memory (issue 19: 110 MB for about four minutes). It is returned at once
// instead; that costs one garbage collection, a few milliseconds beside
// argon2id itself. A small work area (TestParams) is left to the
// scavenger.
func deriveKEK(password, salt []byte, p Params) []byte {
	kek := argon2.IDKey(password, salt, p.Time, p.MemoryKiB, p.Threads, keySize)
	if p.MemoryKiB >= returnAtOnceKiB {
		debug.FreeOSMemory()
	}
	return kek
}

// returnAtOnceKiB is the smallest work area deriveKEK returns to the
// kernel at once.
const returnAtOnceKiB = 4 * 1024
