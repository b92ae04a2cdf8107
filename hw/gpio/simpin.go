package gpio

import (
	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// SimPin is a button on periph's gpiotest pins (the simulated board and
// tests) whose Halt interrupts a pending WaitForEdge, as the GPIO
// character device's does. With it a button goroutine can wait for the
// next edge as long as it likes and still stop at once on Close.
type SimPin struct{ *gpiotest.Pin }

// NewSimPin is a button named name whose edges queue up to
// buffer deep; clock bounds its WaitForEdge.
func NewSimPin(name string, clock clockwork.Clock, buffer int) SimPin {
	return SimPin{&gpiotest.Pin{N: name, EdgesChan: make(chan gpio.Level, buffer), Clock: clock}}
}

// Halt wakes a WaitForEdge with the level the pin already reads (an edge
// to the same level, which no debouncer takes for a press). Queued, it
// also wakes the next wait, so a Halt between two waits is not lost.
func (p SimPin) Halt() error {
	select {
	case p.EdgesChan <- p.Read():
	default: // a full queue wakes the wait anyway
	}
	return nil
}
