// Package sim is the simulated phone board: the real hw/gpio button and
// lamp code running on periph.io's gpiotest pins, driven by the web panel
// (`make run` on a laptop) and by tests instead of fingers and eyes.
package sim

import (
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/padlock-phone/padlock/hw"
	hwgpio "github.com/padlock-phone/padlock/hw/gpio"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// bounceGap is the time between the contact-bounce edges Press makes.
const bounceGap = time.Millisecond

// pause is how long a finger stays off a button after a Press before the
// next Press of it starts: longer than hw.Debounce, or the two presses
// would merge into one hold, as they would on the real board.
const pause = 3 * hw.Debounce

// edgeBuffer is how many raw edges a button pin queues before Edges waits.
const edgeBuffer = 64

// Board is a simulated board. It satisfies the phone's Board interface
// (Presses, SetLamp) and adds what a panel or a test needs to push buttons
// and look at lamps. Its methods are safe from any goroutine.
type Board struct {
	board   *hwgpio.Board
	clock   clockwork.Clock
	buttons map[hw.Button]*gpiotest.Pin
	lamps   map[hw.Lamp]*gpiotest.Pin

	mu sync.Mutex // serialises SetLamp's compare-and-set; guards the fields below
	// lastPress is closed when the latest Press of a button is over: each
	// Press waits for the one before, so a button's presses happen in call
	// order, like a finger's.
	lastPress map[hw.Button]chan struct{}
	subs      map[int]chan struct{}
	nextSub   int
	closed    bool

	done      chan struct{}
	wg        sync.WaitGroup // Press goroutines
	closeOnce sync.Once
	closeErr  error
}

// LampEdge is told every change of a lamp line the blinker makes, as it
// makes it: the hook a hardware-in-the-loop rig measures blinks with, the
// way it reads a real line's edges from the kernel.
type LampEdge func(l hw.Lamp, high bool, at time.Time)

// New builds a simulated board with every button and lamp of
// hw.DefaultPins, running on the real clock.
func New() (*Board, error) { return NewWatched(nil) }

// NewWatched is New with edge called (if not nil) on every lamp edge.
func NewWatched(edge LampEdge) (*Board, error) {
	clock := clockwork.NewRealClock()
	pins := hw.DefaultPins()
	s := &Board{
		clock:     clock,
		buttons:   make(map[hw.Button]*gpiotest.Pin),
		lamps:     make(map[hw.Lamp]*gpiotest.Pin),
		lastPress: make(map[hw.Button]chan struct{}),
		subs:      make(map[int]chan struct{}),
		done:      make(chan struct{}),
	}
	buttons := make(map[hw.Button]gpio.PinIn)
	for btn, name := range map[hw.Button]string{hw.Answer: pins.Answer, hw.Hangup: pins.Hangup, hw.SAS: pins.SAS} {
		// The pin's own clock only bounds WaitForEdge; it must be set
		// before the board's goroutines read it.
		p := hwgpio.NewSimPin(name, clock, edgeBuffer)
		s.buttons[btn] = p.Pin
		buttons[btn] = p
	}
	lamps := make(map[hw.Lamp]gpio.PinOut)
	for l, name := range map[hw.Lamp]string{hw.Lock: pins.Lock, hw.Alert: pins.Alert, hw.Status: pins.Status} {
		p := &gpiotest.Pin{N: name, Clock: clock}
		s.lamps[l] = p
		lamps[l] = p
		if edge != nil {
			lamps[l] = &watchedPin{Pin: p, lamp: l, edge: edge, clock: clock}
		}
	}
	b, err := hwgpio.New(buttons, lamps, hwgpio.WithClock(clock))
	if err != nil {
		return nil, err
	}
	s.board = b
	return s, nil
}

// Presses delivers debounced presses; it is closed by Close.
func (s *Board) Presses() <-chan hw.Press { return s.board.Presses() }

// Dropped reports presses lost because nobody read Presses.
func (s *Board) Dropped() uint64 { return s.board.Dropped() }

// SetLamp sets lamp l's pattern, and notifies subscribers if it changed.
func (s *Board) SetLamp(l hw.Lamp, p hw.Pattern) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.board.Pattern(l)
	s.board.SetLamp(l, p)
	if old == p || s.board.Pattern(l) != p {
		return // no change, unknown lamp, or closed
	}
	for _, ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default: // a notification is pending already
		}
	}
}

// Lamp reports the pattern last set for lamp l.
func (s *Board) Lamp(l hw.Lamp) hw.Pattern { return s.board.Pattern(l) }

// Lit reports whether lamp l's pin is high right now, as the blinker drove it.
func (s *Board) Lit(l hw.Lamp) bool {
	p, ok := s.lamps[l]
	return ok && p.Read() == gpio.High
}

// Subscribe returns a channel that receives a value whenever a lamp
// pattern changes (not on every blink), and a func that ends the
// subscription. The channel holds one value: several changes before the
// reader wakes coalesce into one, so a reader re-reads every Lamp. The
// channel is never closed.
func (s *Board) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	id := s.nextSub
	s.nextSub++
	s.subs[id] = ch
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.subs, id)
		s.mu.Unlock()
	}
}

// Press simulates a finger on button b: the contacts bounce (five edges a
// millisecond apart), the button is held for hold, then released with
// bounce again. It returns at once; the press runs in a goroutine that
// Close stops. Presses of one button run one after the other, with a
// short pause between them.
func (s *Board) Press(b hw.Button, hold time.Duration) {
	pin, ok := s.buttons[b]
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	prev, mine := s.lastPress[b], make(chan struct{})
	s.lastPress[b] = mine
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(mine)
		if prev != nil {
			select {
			case <-prev:
			case <-s.done:
				return
			}
		}
		_ = s.bounce(pin, gpio.Low) && s.sleep(hold) && s.bounce(pin, gpio.High) && s.sleep(pause)
	}()
}

// Edges pushes raw edges into button b's pin, each leaving the pin at the
// given level, as if the contacts had moved that way. It returns once they
// are queued (or at Close).
func (s *Board) Edges(b hw.Button, levels ...gpio.Level) {
	pin, ok := s.buttons[b]
	if !ok {
		return
	}
	for _, l := range levels {
		if !s.push(pin, l) {
			return
		}
	}
}

// Close stops every Press in flight and the board's goroutines, and closes
// Presses.
func (s *Board) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.done)
		s.wg.Wait()
		s.closeErr = s.board.Close()
	})
	return s.closeErr
}

// bounce makes the contact bounce of a switch settling on final.
func (s *Board) bounce(pin *gpiotest.Pin, final gpio.Level) bool {
	for i, l := range []gpio.Level{final, !final, final, !final, final} {
		if i > 0 && !s.sleep(bounceGap) {
			return false
		}
		if !s.push(pin, l) {
			return false
		}
	}
	return true
}

// push queues one edge; false once the board is closing.
func (s *Board) push(pin *gpiotest.Pin, l gpio.Level) bool {
	select {
	case pin.EdgesChan <- l:
		return true
	case <-s.done:
		return false
	}
}

// sleep waits d on the board's clock; false if Close came first.
func (s *Board) sleep(d time.Duration) bool {
	t := s.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.Chan():
		return true
	case <-s.done:
		return false
	}
}

// watchedPin is a lamp pin that reports its edges.
type watchedPin struct {
	*gpiotest.Pin
	lamp  hw.Lamp
	edge  LampEdge
	clock clockwork.Clock
}

// Out implements gpio.PinOut: the level is set, then reported if it moved.
func (w *watchedPin) Out(l gpio.Level) error {
	was := w.Pin.Read()
	if err := w.Pin.Out(l); err != nil {
		return err
	}
	if l != was {
		w.edge(w.lamp, l == gpio.High, w.clock.Now())
	}
	return nil
}
