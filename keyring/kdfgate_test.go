package keyring

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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

// TestDeriveOtherSharesTheGate: a backup's argon2id waits in the same one
// queue as the master password's, so while backups fill it a login is
// refused at once (ErrBusy) instead of running beside them.
func TestDeriveOtherSharesTheGate(t *testing.T) {
	k, _, _, err := open(t, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Setup([]byte("correct pony staple battery")); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	started := make(chan struct{}, 1+KDFQueue)
	done := make(chan error, 1+KDFQueue)
	for range 1 + KDFQueue {
		go func() {
			done <- k.DeriveOther(func() error { started <- struct{}{}; <-release; return nil })
		}()
	}
	<-started // one runs; the others wait behind it
	for deadline := time.Now().Add(10 * time.Second); len(k.kdf.admitted) < cap(k.kdf.admitted); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the queue never filled: %d of %d", len(k.kdf.admitted), cap(k.kdf.admitted))
		}
	}
	if err := k.DeriveOther(func() error { return nil }); !errors.Is(err, ErrBusy) {
		t.Errorf("another backup while the queue is full: %v, want ErrBusy", err)
	}
	if err := k.Unlock([]byte("correct pony staple battery")); !errors.Is(err, ErrBusy) {
		t.Errorf("a login while backups fill the queue: %v, want ErrBusy", err)
	}
	close(release)
	for range 1 + KDFQueue {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	if err := k.Unlock([]byte("correct pony staple battery")); err != nil {
		t.Errorf("a login once the backups are done: %v", err)
	}
}
