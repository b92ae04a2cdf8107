package keyring

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// TestKDFGateOneAtATime: however many ask at once, one KDF runs, KDFQueue
// wait, and every other caller is refused at once with ErrBusy.
func TestKDFGateOneAtATime(t *testing.T) {
	g := newKDFGate(KDFQueue)
	var active, maxActive atomic.Int32
	release := make(chan struct{})
	entered := make(chan struct{}, 100)
	f := func() error {
		n := active.Add(1)
		for {
			m := maxActive.Load()
			if n <= m || maxActive.CompareAndSwap(m, n) {
				break
			}
		}
		entered <- struct{}{}
		<-release
		active.Add(-1)
		return nil
	}
	const callers = 40
	var wg sync.WaitGroup
	var busy, ran atomic.Int32
	errs := make(chan error, callers)
	// The first caller takes the KDF; wait for it so the queue fills in order.
	wg.Go(func() { errs <- g.do(f) })
	<-entered
	for range callers - 1 {
		wg.Go(func() { errs <- g.do(f) })
	}
	// The refused ones return without waiting for release.
	for range callers - 1 - KDFQueue {
		if err := <-errs; !errors.Is(err, ErrBusy) {
			t.Fatalf("a caller beyond the queue got %v, want ErrBusy", err)
		}
		busy.Add(1)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("an admitted caller got %v", err)
		}
		ran.Add(1)
	}
	if maxActive.Load() != 1 {
		t.Errorf("%d KDFs ran at once, want 1", maxActive.Load())
	}
	if ran.Load() != 1+KDFQueue || busy.Load() != callers-1-KDFQueue {
		t.Errorf("ran %d, refused %d; want %d and %d", ran.Load(), busy.Load(), 1+KDFQueue, callers-1-KDFQueue)
	}
}
