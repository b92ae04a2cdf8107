package keyring

import (
	"errors"
	"runtime"
)

// ErrBusy says the device is already deriving keys for as many requests as
// it lets wait; the caller should answer "try again in a moment" (HTTP 429).
var ErrBusy = errors.New("keyring: the phone is busy checking other passwords; try again in a few seconds")

// KDFQueue is how many password checks may wait behind the one running.
// argon2id takes 80 MiB and about half a second on the board (issue 12:
// forty at once reached the OOM killer), so only one runs at a time on the
// whole device and only a few wait; the rest are refused at once.
const KDFQueue = 3

// kdfGate lets one argon2id run at a time, with a short bounded queue.
type kdfGate struct {
	admitted chan struct{} // running + waiting; cap 1+KDFQueue
	running  chan struct{} // cap 1
}

func newKDFGate(queue int) *kdfGate {
	return &kdfGate{admitted: make(chan struct{}, 1+queue), running: make(chan struct{}, 1)}
}

// do runs f when no other KDF runs, or returns ErrBusy at once when the
// queue is full. It never waits for anything but the KDFs ahead of it.
func (g *kdfGate) do(f func() error) error {
	select {
	case g.admitted <- struct{}{}:
	default:
		return ErrBusy
	}
	defer func() { <-g.admitted }()
	g.running <- struct{}{}
	defer func() { <-g.running }()
	err := f()
	// The 80 MiB argon2id just used is garbage now; collect it before the
	// next KDF allocates its own, or the heap holds two (or, with the
	// default GOGC, more) and the peak RSS doubles (measured: 362 MB
	// without this under the LAN attack of issue 12).
	runtime.GC()
	return err
}
