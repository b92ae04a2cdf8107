package gpio

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/padlock-phone/padlock/hw"
	"go.uber.org/goleak"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// countingPin is a gpiotest pin that counts Out calls.
type countingPin struct {
	*gpiotest.Pin
	outs atomic.Int32
}

func (p *countingPin) Out(l gpio.Level) error {
	p.outs.Add(1)
	return p.Pin.Out(l)
}

func buttonPin(name string) SimPin { return NewSimPin(name, clockwork.NewRealClock(), 64) }

// eventually polls cond until it holds or a generous deadline passes. It
// only waits for something to happen; it never asserts how long it took.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// square is a lamp that is lit for the first `on` of every `period`.
func square(period, on time.Duration) func(time.Duration) bool {
	return func(t time.Duration) bool { return t%period < on }
}

// step is how far the blinker tests move the fake clock at a time: every
// edge of every pattern falls on a multiple of it.
const step = 25 * time.Millisecond

func TestBlinker(t *testing.T) {
	// The expected shapes come from DESIGN.md, independently of Pattern.Level.
	tests := []struct {
		pattern hw.Pattern
		lit     func(time.Duration) bool
	}{
		{hw.Blink, square(time.Second, 500*time.Millisecond)},
		{hw.FastBlink, square(250*time.Millisecond, 125*time.Millisecond)},
		{hw.SlowBlink, square(2*time.Second, 200*time.Millisecond)},
	}
	for _, tc := range tests {
		t.Run(tc.pattern.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			fc := clockwork.NewFakeClock()
			pin := &countingPin{Pin: &gpiotest.Pin{N: "LAMP"}}
			b, err := New(nil, map[hw.Lamp]gpio.PinOut{hw.Status: pin}, WithClock(fc))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()

			b.SetLamp(hw.Status, tc.pattern)
			if err := fc.BlockUntilContext(ctx, 1); err != nil {
				t.Fatal("blinker never armed its timer:", err)
			}
			changes := 0
			prev := false
			for at := time.Duration(0); at <= 4500*time.Millisecond; at += step {
				if got, want := pin.Read() == gpio.High, tc.lit(at); got != want {
					t.Fatalf("at %v lamp lit=%v, want %v", at, got, want)
				}
				if tc.lit(at) != prev {
					changes++
					prev = tc.lit(at)
				}
				fc.Advance(step)
				if err := fc.BlockUntilContext(ctx, 1); err != nil {
					t.Fatal("blinker stopped ticking:", err)
				}
			}
			// One write at New (off), then one per change of level.
			if got := int(pin.outs.Load()); got != 1+changes {
				t.Errorf("%d pin writes for %d level changes, want only writes on change", got, changes)
			}
		})
	}
}

func TestBlinkerOnOffAndPhase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fc := clockwork.NewFakeClock()
	pins := map[hw.Lamp]*countingPin{}
	lamps := map[hw.Lamp]gpio.PinOut{}
	for _, l := range hw.Lamps {
		pins[l] = &countingPin{Pin: &gpiotest.Pin{N: l.String()}}
		lamps[l] = pins[l]
	}
	b, err := New(nil, lamps, WithClock(fc))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	lit := func(l hw.Lamp) func() bool { return func() bool { return pins[l].Read() == gpio.High } }
	dark := func(l hw.Lamp) func() bool { return func() bool { return pins[l].Read() == gpio.Low } }

	b.SetLamp(hw.Lock, hw.On)
	eventually(t, "lock lamp on", lit(hw.Lock))
	b.SetLamp(hw.Lock, hw.Off)
	eventually(t, "lock lamp off", dark(hw.Lock))
	if b.Pattern(hw.Lock) != hw.Off || b.Pattern(hw.Alert) != hw.Off {
		t.Fatalf("patterns %v %v, want off off", b.Pattern(hw.Lock), b.Pattern(hw.Alert))
	}

	// A blink keeps its phase when the same pattern is set again.
	b.SetLamp(hw.Alert, hw.Blink)
	if err := fc.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	for range 20 { // 500 ms
		fc.Advance(step)
		if err := fc.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	b.SetLamp(hw.Alert, hw.Blink)
	if err := fc.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if pins[hw.Alert].Read() != gpio.Low {
		t.Fatal("alert lamp lit at 500 ms of a blink, or the blink restarted when set again")
	}
	b.SetLamp(hw.Alert, hw.On)
	eventually(t, "alert lamp on", lit(hw.Alert))
	b.SetLamp(hw.Status, hw.Off) // already off: nothing to do
	if pins[hw.Status].outs.Load() != 1 {
		t.Errorf("status lamp written %d times, want once (at New)", pins[hw.Status].outs.Load())
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for _, l := range hw.Lamps {
		if pins[l].Read() != gpio.Low {
			t.Errorf("%s lamp lit after Close", l)
		}
	}
	b.SetLamp(hw.Alert, hw.On) // after Close: ignored, no panic
}

func TestPressesAndClose(t *testing.T) {
	pins := map[hw.Button]SimPin{}
	buttons := map[hw.Button]gpio.PinIn{}
	for _, btn := range hw.Buttons {
		pins[btn] = buttonPin(btn.String())
		buttons[btn] = pins[btn]
	}
	b, err := New(buttons, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, btn := range hw.Buttons {
		if pins[btn].Pull() != gpio.PullUp || pins[btn].Read() != gpio.High {
			t.Fatalf("%s: pull %v level %v, want pull-up and high", btn, pins[btn].Pull(), pins[btn].Read())
		}
	}
	pins[hw.Hangup].EdgesChan <- gpio.Low
	// The release waits until the button goroutine has taken the edge.
	eventually(t, "edge consumed", func() bool { return len(pins[hw.Hangup].EdgesChan) == 0 })
	time.Sleep(300 * time.Millisecond) // a human's short press, far above hw.Debounce
	pins[hw.Hangup].EdgesChan <- gpio.High
	select {
	case p := <-b.Presses():
		if p != (hw.Press{Button: hw.Hangup}) {
			t.Fatalf("press %v, want hangup", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no press")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-b.Presses(); ok {
		t.Fatal("Presses still open after Close")
	}
	if err := b.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	goleak.VerifyNone(t)
}

func TestDroppedWhenConsumerIsSlow(t *testing.T) {
	b, err := New(nil, nil, WithPressBuffer(2))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for range 5 {
		b.emit(hw.Press{Button: hw.SAS})
	}
	if b.Dropped() != 3 {
		t.Fatalf("dropped %d, want 3", b.Dropped())
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name    string
		buttons map[hw.Button]gpio.PinIn
		lamps   map[hw.Lamp]gpio.PinOut
		want    string
	}{
		{"nil button pin", map[hw.Button]gpio.PinIn{hw.SAS: nil}, nil, "sas button has no pin"},
		{"nil lamp pin", nil, map[hw.Lamp]gpio.PinOut{hw.Lock: nil}, "lock lamp has no pin"},
		{"pin without edge detection", map[hw.Button]gpio.PinIn{hw.Answer: &gpiotest.Pin{N: "GPIO17"}}, nil,
			"answer button on GPIO17"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(tc.buttons, tc.lamps)
			if err == nil {
				b.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

// The phone's Board interface, plus Close: the real board must fit it.
var _ interface {
	Presses() <-chan hw.Press
	SetLamp(hw.Lamp, hw.Pattern)
	Close() error
} = (*Board)(nil)

// pressedAfterNew is a button pin that reads low once pressed is set and
// until the board first waits for an edge: a press that began after New
// returned, before the button goroutine got to run.
type pressedAfterNew struct {
	SimPin
	pressed, waited atomic.Bool
}

func (p *pressedAfterNew) Read() gpio.Level {
	if p.pressed.Load() && !p.waited.Load() {
		return gpio.Low
	}
	return p.Pin.Read()
}

func (p *pressedAfterNew) WaitForEdge(d time.Duration) bool {
	p.waited.Store(true)
	return p.Pin.WaitForEdge(d)
}

// TestPressRightAfterNew: a press that starts the moment New returns is a
// press, not a button held since start (the QEMU rig's first press, on a
// busy emulated CPU, once went missing this way). The kernel queues the
// edges from the line request on, so the starting level must be read in
// New, not whenever the goroutine first runs.
func TestPressRightAfterNew(t *testing.T) {
	pin := &pressedAfterNew{SimPin: buttonPin("SAS")}
	b, err := New(map[hw.Button]gpio.PinIn{hw.SAS: pin}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pin.pressed.Store(true)
	pin.EdgesChan <- gpio.Low
	eventually(t, "edge consumed", func() bool { return len(pin.EdgesChan) == 0 })
	time.Sleep(300 * time.Millisecond) // a human's short press, far above hw.Debounce
	pin.EdgesChan <- gpio.High
	select {
	case p := <-b.Presses():
		if p != (hw.Press{Button: hw.SAS}) {
			t.Fatalf("press %v, want a short SAS press", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the press right after New was lost")
	}
}
