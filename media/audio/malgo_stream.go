package audio

import (
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// maxBacklog is the most capture, in frames, that Read leaves queued.
const maxBacklog = 3

// malgoStream is a call's audio on the malgo device. The device callback
// (a miniaudio thread) and Read/Write meet at two rings, both at the
// call's rate, under mu; the supervisor goroutine owns the keeper.
type malgoStream struct {
	dev        *Malgo
	rate, flen int
	clk        clockwork.Clock
	k          *keeper

	mu     sync.Mutex
	capt   ring // capture, at the call's rate
	play   ring // playback, at the call's rate
	stats  Stats
	down   bool
	closed bool

	readMu sync.Mutex // one Read at a time; guards pace and pacing
	pace   pacer      // paces silence while the device is down
	pacing bool

	capReady  chan struct{} // a frame of capture may be ready, or down changed
	lostCh    chan runner
	done      chan struct{}
	exited    chan struct{}
	closeOnce sync.Once
	stepped   func()
}

// lost is the backend's report that r stopped by itself.
func (s *malgoStream) lost(r runner) {
	select {
	case s.lostCh <- r:
	default: // reports pending already; if this one was the live runner, the watchdog catches it
	}
}

func (s *malgoStream) supervise() {
	defer close(s.exited)
	for {
		var timer clockwork.Timer
		var tc <-chan time.Time
		if at := s.k.next(); !at.IsZero() {
			timer = s.clk.NewTimer(max(0, at.Sub(s.clk.Now())))
			tc = timer.Chan()
		}
		select {
		case r := <-s.lostCh:
			if s.k.lost(s.clk.Now(), r) {
				s.setDown(true)
			}
		case <-tc:
			if s.k.tick(s.clk.Now(), s.lost) {
				s.setDown(s.k.down())
			}
		case <-s.done:
			if timer != nil {
				timer.Stop()
			}
			s.k.close()
			return
		}
		if timer != nil {
			timer.Stop()
		}
		if s.stepped != nil {
			s.stepped()
		}
	}
}

func (s *malgoStream) setDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.stats.Reopens = s.k.reopens
	if !down {
		s.play.reset() // stale by now
	}
	s.mu.Unlock()
	select {
	case s.capReady <- struct{}{}:
	default:
	}
}

// Read implements Stream. While the device is down it returns silence,
// paced by the clock, so the call keeps its rhythm.
func (s *malgoStream) Read(frame []int16) error {
	if err := checkFrame(frame, s.rate); err != nil {
		return err
	}
	s.readMu.Lock()
	defer s.readMu.Unlock()
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return ErrClosed
		}
		if s.capt.len() >= len(frame) {
			// A reader that fell behind (a late first Read, a stall)
			// would keep the lag as latency for the rest of the call:
			// drop what is older than maxBacklog instead.
			if excess := s.capt.len() - maxBacklog*len(frame); excess > 0 {
				s.capt.discard(excess)
				s.stats.CaptureDropped += excess
			}
			s.capt.pop(frame)
			s.mu.Unlock()
			s.pacing = false
			return nil
		}
		down := s.down
		s.mu.Unlock()
		if down {
			if !s.pacing {
				s.pace = newPacer(s.clk)
				s.pacing = true
			}
			if !s.pace.wait(s.done) {
				return ErrClosed
			}
			clear(frame)
			return nil
		}
		select {
		case <-s.capReady:
		case <-s.done:
			return ErrClosed
		}
	}
}

// Write implements Stream.
func (s *malgoStream) Write(frame []int16) error {
	if err := checkFrame(frame, s.rate); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.stats.PlaybackDropped += s.play.push(frame)
	return nil
}

// Stats implements Stream.
func (s *malgoStream) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Close implements Stream: it stops the device and waits for the
// supervisor, so no callback runs after it returns.
func (s *malgoStream) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.done)
		<-s.exited
		s.dev.mu.Lock()
		if s.dev.open == s {
			s.dev.open = nil
		}
		s.dev.mu.Unlock()
	})
	return nil
}

// noteCallback records the card's rate and the largest callback seen.
func (s *malgoStream) noteCallback(rate, frames int) {
	period := time.Duration(frames) * time.Second / time.Duration(rate)
	s.mu.Lock()
	s.stats.DeviceRate = rate
	s.stats.Period = max(s.stats.Period, period)
	s.mu.Unlock()
}

// pushCapture takes call-rate capture from the device callback.
func (s *malgoStream) pushCapture(pcm []int16) {
	s.mu.Lock()
	s.stats.Captured += len(pcm)
	s.stats.CaptureDropped += s.capt.push(pcm)
	ready := s.capt.len() >= s.flen
	s.mu.Unlock()
	if ready {
		select {
		case s.capReady <- struct{}{}:
		default:
		}
	}
}

// popPlayback fills dst with call-rate playback for the device callback,
// silence where nothing was written.
func (s *malgoStream) popPlayback(dst []int16) {
	s.mu.Lock()
	n := s.play.pop(dst)
	s.stats.Played += len(dst)
	if n < len(dst) {
		s.stats.PlaybackUnderrun += len(dst) - n
	}
	s.mu.Unlock()
	clear(dst[n:])
}
