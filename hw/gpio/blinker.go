package gpio

import (
	"time"

	"github.com/padlock-phone/padlock/hw"
	"periph.io/x/conn/v3/gpio"
)

// blink is the one goroutine that drives every lamp pin from its pattern
// (Pattern.Level). It writes a pin only when its level changes, sleeps
// until the next edge of a blinking lamp (Pattern.Until), and without a
// timer while no lamp blinks: an idle phone's blinking STATUS costs two
// wake-ups a period, not one every 25 ms.
func (b *Board) blink() {
	defer b.wg.Done()
	lit := make(map[hw.Lamp]bool, len(b.lamps)) // levels written so far: all off
	type want struct {
		l     hw.Lamp
		pin   gpio.PinOut
		level bool
	}
	var wants []want
	for {
		now := b.clock.Now()
		var next time.Duration // until the nearest edge of a blinking lamp
		wants = wants[:0]
		b.mu.Lock()
		for l, lp := range b.lamps {
			at := now.Sub(lp.since)
			wants = append(wants, want{l, lp.pin, lp.pattern.Level(at)})
			if d := lp.pattern.Until(at); d > 0 && (next == 0 || d < next) {
				next = d
			}
		}
		b.mu.Unlock()
		for _, w := range wants {
			if lit[w.l] != w.level {
				// A failed write is retried on the next change; there is
				// nobody to report it to.
				if w.pin.Out(gpio.Level(w.level)) == nil {
					lit[w.l] = w.level
				}
			}
		}

		var tick <-chan time.Time
		var stop func() bool
		if next > 0 {
			t := b.clock.NewTimer(next)
			tick, stop = t.Chan(), t.Stop
		}
		select {
		case <-b.done:
			if stop != nil {
				stop()
			}
			return
		case <-b.wake:
			if stop != nil {
				stop()
			}
		case <-tick:
		}
	}
}
