package gpio

import (
	"time"

	"github.com/padlock-phone/padlock/hw"
	"periph.io/x/conn/v3/gpio"
)

// blinkTick is how often the blinker looks at the lamps while one blinks.
// Every edge of every pattern falls on a multiple of 25 ms from the
// pattern's start, so a lamp is at most one tick late.
const blinkTick = 25 * time.Millisecond

// blink is the one goroutine that drives every lamp pin from its pattern
// (Pattern.Level). It writes a pin only when its level changes, and sleeps
// without a timer while no lamp blinks.
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
		blinking := false
		wants = wants[:0]
		b.mu.Lock()
		for l, lp := range b.lamps {
			wants = append(wants, want{l, lp.pin, lp.pattern.Level(now.Sub(lp.since))})
			blinking = blinking || (lp.pattern != hw.Off && lp.pattern != hw.On)
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
		if blinking {
			t := b.clock.NewTimer(blinkTick)
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
