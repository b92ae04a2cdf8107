package audio

import (
	"time"

	"github.com/jonboulle/clockwork"
)

// maxLag is how far a paced stream lets its reader fall behind before it
// stops catching up: past it, the frames the reader missed are skipped,
// as a sound card would overrun.
const maxLag = 200 * time.Millisecond

// pacer keeps a sample clock for devices without hardware: frame n of a
// stream is ready FrameDuration after frame n-1, the first one
// FrameDuration after the stream opened, as from a sound card that needs
// a frame's time to record it.
type pacer struct {
	clk clockwork.Clock
	due time.Time // when the next frame is ready
}

func newPacer(clk clockwork.Clock) pacer {
	return pacer{clk: clk, due: clk.Now().Add(FrameDuration)}
}

// wait blocks until the next frame is due; it returns false if done
// closes first.
func (p *pacer) wait(done <-chan struct{}) bool {
	now := p.clk.Now()
	if d := p.due.Sub(now); d > 0 {
		select {
		case <-p.clk.After(d):
		case <-done:
			return false
		}
	} else {
		select {
		case <-done:
			return false
		default:
		}
		if -d > maxLag {
			p.due = now
		}
	}
	p.due = p.due.Add(FrameDuration)
	return true
}
