package audio

import (
	"sync"

	"github.com/jonboulle/clockwork"
)

// Null is a device without sound: capture is silence, paced by a clock as
// a sound card would be, and playback is discarded. make run uses it.
type Null struct {
	clk clockwork.Clock
}

// NewNull returns a null device paced by clk.
func NewNull(clk clockwork.Clock) *Null { return &Null{clk: clk} }

// Name implements Device.
func (*Null) Name() string { return "null" }

// Close implements Device. Streams of a null device hold nothing, so they
// stay usable until their own Close.
func (*Null) Close() error { return nil }

// Open implements Device. A null device may have any number of streams.
func (n *Null) Open(rate int) (Stream, error) {
	if err := checkRate(rate); err != nil {
		return nil, err
	}
	return &nullStream{rate: rate, pace: newPacer(n.clk), done: make(chan struct{})}, nil
}

type nullStream struct {
	rate      int
	readMu    sync.Mutex // one Read at a time: it owns pace
	pace      pacer
	done      chan struct{}
	closeOnce sync.Once
}

func (s *nullStream) Read(frame []int16) error {
	if err := checkFrame(frame, s.rate); err != nil {
		return err
	}
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if !s.pace.wait(s.done) {
		return ErrClosed
	}
	clear(frame)
	return nil
}

func (s *nullStream) Write(frame []int16) error {
	if err := checkFrame(frame, s.rate); err != nil {
		return err
	}
	select {
	case <-s.done:
		return ErrClosed
	default:
		return nil
	}
}

func (s *nullStream) Stats() Stats { return Stats{} }

func (s *nullStream) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	return nil
}
