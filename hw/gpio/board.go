// Package gpio drives the phone's buttons and lamps through periph.io GPIO
// pins: debounced presses out, lamp patterns in.
//
// New is the core, shared by the real board (Open, GPIO character device)
// and the simulated one (hw/sim, periph's gpiotest pins), so both run the
// same debounce, long-press and blink code.
package gpio

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/padlock-phone/padlock/hw"
	"periph.io/x/conn/v3/gpio"
)

// idleWait bounds a button's WaitForEdge while nothing but an edge can
// change it. Close interrupts the wait (Halt, on the character device and
// SimPin), so this only matters should a Halt fall just before a wait
// begins; an idle phone wakes each button once per idleWait, not 20 times a
// second (issue 19).
const idleWait = 2 * time.Second

// DefaultPressBuffer is how many presses wait for a slow consumer before
// further ones are dropped.
const DefaultPressBuffer = 16

// Board is a set of buttons and lamps on GPIO pins. Its methods are safe
// from any goroutine.
type Board struct {
	clock   clockwork.Clock
	buttons map[hw.Button]gpio.PinIn
	presses chan hw.Press
	dropped atomic.Uint64

	mu     sync.Mutex
	lamps  map[hw.Lamp]*lamp // pattern and since guarded by mu
	closed bool
	wake   chan struct{} // buffer 1: a lamp pattern changed

	done      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
	release   func() // frees the pins after Close (Open only)
}

// lamp is one lamp pin and what it should show.
type lamp struct {
	pin     gpio.PinOut
	pattern hw.Pattern
	since   time.Time // when pattern was set: the origin of Pattern.Level
}

// Option changes a default of New.
type Option func(*options)

type options struct {
	clock  clockwork.Clock
	buffer int
}

// WithClock sets the clock that times debounce, long presses and blinking
// (default: the real clock). A pin's own WaitForEdge timeout is not taken
// from it: that only bounds how long a button goroutine sleeps.
func WithClock(c clockwork.Clock) Option {
	return func(o *options) { o.clock = c }
}

// WithPressBuffer sets the capacity of the Presses channel (default
// DefaultPressBuffer, at least 1).
func WithPressBuffer(n int) Option {
	return func(o *options) { o.buffer = max(n, 1) }
}

// New configures the given pins and starts watching them: one goroutine per
// button and one blinker for all lamps. Buttons are active low with the
// internal pull-up (In(PullUp, BothEdges)); lamps are active high and start
// off. Any button or lamp may be absent from the maps; a nil pin is an
// error. Close stops everything New started.
func New(buttons map[hw.Button]gpio.PinIn, lamps map[hw.Lamp]gpio.PinOut, opts ...Option) (*Board, error) {
	o := options{clock: clockwork.NewRealClock(), buffer: DefaultPressBuffer}
	for _, opt := range opts {
		opt(&o)
	}
	b := &Board{
		clock:   o.clock,
		buttons: make(map[hw.Button]gpio.PinIn, len(buttons)),
		presses: make(chan hw.Press, o.buffer),
		lamps:   make(map[hw.Lamp]*lamp, len(lamps)),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	for btn, pin := range buttons {
		if pin == nil {
			return nil, fmt.Errorf("gpio: %s button has no pin", btn)
		}
		if err := pin.In(gpio.PullUp, gpio.BothEdges); err != nil {
			return nil, fmt.Errorf("gpio: %s button on %s: input with pull-up and edge detection: %w", btn, pin.Name(), err)
		}
		b.buttons[btn] = pin
	}
	now := b.clock.Now()
	for l, pin := range lamps {
		if pin == nil {
			return nil, fmt.Errorf("gpio: %s lamp has no pin", l)
		}
		if err := pin.Out(gpio.Low); err != nil {
			return nil, fmt.Errorf("gpio: %s lamp on %s: output low: %w", l, pin.Name(), err)
		}
		b.lamps[l] = &lamp{pin: pin, pattern: hw.Off, since: now}
	}

	// Each button's starting level is read here, not in its goroutine:
	// once New returns, every later edge is the kernel's to queue, so a
	// press that starts before the goroutine first runs (a busy or
	// emulated CPU) is still seen as a press, not as a button held at
	// start.
	for btn, pin := range b.buttons {
		b.wg.Add(1)
		go b.watch(btn, pin, pin.Read(), now)
	}
	b.wg.Add(1)
	go b.blink()
	return b, nil
}

// Presses delivers debounced presses, and is closed once Close has stopped
// the button goroutines. It is buffered (WithPressBuffer); when the buffer
// is full a press is dropped and counted (Dropped) rather than blocking the
// button goroutine, so a stalled consumer cannot freeze the buttons.
func (b *Board) Presses() <-chan hw.Press { return b.presses }

// Dropped reports how many presses were lost to a full Presses buffer.
func (b *Board) Dropped() uint64 { return b.dropped.Load() }

// SetLamp makes lamp l show pattern p from now on. It never blocks. Setting
// the pattern a lamp already shows changes nothing (a blink keeps its
// phase). A lamp with no pin, and any call after Close, are ignored.
func (b *Board) SetLamp(l hw.Lamp, p hw.Pattern) {
	b.mu.Lock()
	lp, ok := b.lamps[l]
	if !ok || b.closed || lp.pattern == p {
		b.mu.Unlock()
		return
	}
	lp.pattern = p
	lp.since = b.clock.Now()
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default: // the blinker has a wake-up pending already
	}
}

// Pattern reports the pattern last set for lamp l (Off for a lamp with no pin).
func (b *Board) Pattern(l hw.Lamp) hw.Pattern {
	b.mu.Lock()
	defer b.mu.Unlock()
	if lp, ok := b.lamps[l]; ok {
		return lp.pattern
	}
	return hw.Off
}

// Close stops the button and blinker goroutines, turns every lamp off,
// closes Presses and, for a board from Open, releases the GPIO lines. It
// returns as soon as the goroutines stop (at most about idleWait, for a
// pin whose Halt does not interrupt its wait) and is safe to call more
// than once.
func (b *Board) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closed = true
		b.mu.Unlock()
		close(b.done)
		for _, pin := range b.buttons {
			// Interrupts a pending WaitForEdge on pins that support it
			// (the GPIO character device); others wake at their timeout.
			_ = pin.Halt()
		}
		b.wg.Wait()
		close(b.presses)
		var errs []error
		for l, lp := range b.lamps {
			if err := lp.pin.Out(gpio.Low); err != nil {
				errs = append(errs, fmt.Errorf("gpio: turning %s lamp off: %w", l, err))
			}
		}
		if b.release != nil {
			b.release()
		}
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}

// watch turns the edges of one button into presses until Close.
// start is the level read at the time since, before any edge was waited for.
func (b *Board) watch(btn hw.Button, pin gpio.PinIn, start gpio.Level, since time.Time) {
	defer b.wg.Done()
	var d debouncer
	d.reset(start, since)
	for {
		now := b.clock.Now()
		kind, next := d.step(now)
		if kind != noPress {
			b.emit(hw.Press{Button: btn, Long: kind != shortPress, Owner: kind == ownerHold})
		}
		wait := idleWait
		if !next.IsZero() {
			wait = min(wait, next.Sub(now))
		}
		select {
		case <-b.done:
			return
		default:
		}
		// The timeout must stay finite and positive: gpiotest waits
		// forever on -1 and the character device driver on 0.
		if pin.WaitForEdge(wait) {
			d.edge(pin.Read(), b.clock.Now())
		}
	}
}

// emit hands a press to the consumer, or drops and counts it when the
// buffer is full.
func (b *Board) emit(p hw.Press) {
	select {
	case b.presses <- p:
	default:
		b.dropped.Add(1)
	}
}
