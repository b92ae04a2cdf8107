package rtp

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/media/codec"
)

// fakeHeadset captures a tone (or silence) every 20 ms and records what it
// is given to play.
type fakeHeadset struct {
	tick   *time.Ticker
	src    *toneSource // nil: silence
	mu     sync.Mutex
	played []int16
	stop   chan struct{}
}

func newFakeHeadset(src *toneSource) *fakeHeadset {
	return &fakeHeadset{tick: time.NewTicker(FrameDuration), src: src, stop: make(chan struct{})}
}

var errUnplugged = errors.New("headset unplugged")

func (h *fakeHeadset) Read(frame []int16) error {
	select {
	case <-h.stop:
		return errUnplugged
	case <-h.tick.C:
	}
	if h.src != nil {
		h.src.frame(frame[:0], len(frame))
	} else {
		clear(frame)
	}
	return nil
}

func (h *fakeHeadset) Write(frame []int16) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.played = append(h.played, frame...)
	return nil
}

func TestStreamRun(t *testing.T) {
	t.Parallel()
	l := newLegs(t, codec.G722, false, 0, 0)
	ha := newFakeHeadset(&toneSource{freq: 1000, rate: 16000, amp: 8000})
	hb := newFakeHeadset(nil)
	errs := make(chan error, 2)
	go func() { errs <- l.a.Run(ha) }()
	go func() { errs <- l.b.Run(hb) }()
	eventually(t, "a second of call at B", func() bool {
		hb.mu.Lock()
		defer hb.mu.Unlock()
		return len(hb.played) >= 16000
	})
	close(hb.stop) // B's headset goes away
	if err := <-errs; !errors.Is(err, errUnplugged) {
		t.Errorf("Run with an unplugged headset returned %v", err)
	}
	l.a.Close()
	if err := <-errs; !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close returned %v", err)
	}
	ha.tick.Stop()
	hb.tick.Stop()
	hb.mu.Lock()
	defer hb.mu.Unlock()
	checkToneLive(t, hb.played, 16000*300/1000, 1000, 16000, 8000, 1)
}
