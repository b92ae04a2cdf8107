package sim

import (
	"slices"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/hw"
	"github.com/padlock-phone/padlock/hw/rig"
	"go.uber.org/goleak"
	"periph.io/x/conn/v3/gpio"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// These tests run the real hw/gpio code on the real clock. They wait for
// events, never assert how long something took; holds are far from the
// 20 ms and 1 s thresholds so a loaded machine cannot turn one into the other.

const patience = 10 * time.Second // how long to wait for an event that must come

const (
	lo = gpio.Low
	hi = gpio.High
)

func newBoard(t *testing.T) *Board {
	t.Helper()
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func nextPress(t *testing.T, s *Board) hw.Press {
	t.Helper()
	select {
	case p, ok := <-s.Presses():
		if !ok {
			t.Fatal("Presses closed")
		}
		return p
	case <-time.After(patience):
		t.Fatal("no press came")
	}
	panic("unreachable")
}

// settled waits until no Press is running and every queued edge of b has
// been taken by the board.
func (s *Board) settled(t *testing.T, b hw.Button) {
	t.Helper()
	s.mu.Lock()
	last := s.lastPress[b]
	s.mu.Unlock()
	if last != nil {
		<-last
	}
	deadline := time.Now().Add(patience)
	for len(s.buttons[b].EdgesChan) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s edges never consumed", b)
		}
		time.Sleep(time.Millisecond)
	}
}

func short(b hw.Button) hw.Press { return hw.Press{Button: b} }
func long(b hw.Button) hw.Press  { return hw.Press{Button: b, Long: true} }

func TestPresses(t *testing.T) {
	tests := []struct {
		name string
		// act performs the scenario and returns the presses it must give,
		// in order for one button, as a set for several.
		act      func(t *testing.T, s *Board) []hw.Press
		sentinel hw.Button // a button the scenario leaves alone
	}{
		{"5 bouncing edges at once then a bouncing release", func(t *testing.T, s *Board) []hw.Press {
			s.Edges(hw.Answer, lo, hi, lo, hi, lo)
			time.Sleep(300 * time.Millisecond) // the finger holds the button
			s.Edges(hw.Answer, hi, lo, hi, lo, hi)
			return []hw.Press{short(hw.Answer)}
		}, hw.SAS},
		{"300 ms hold is a short press", func(t *testing.T, s *Board) []hw.Press {
			s.Press(hw.Hangup, 300*time.Millisecond)
			return []hw.Press{short(hw.Hangup)}
		}, hw.SAS},
		{"1.2 s hold is one long press", func(t *testing.T, s *Board) []hw.Press {
			s.Press(hw.SAS, 1200*time.Millisecond)
			return []hw.Press{long(hw.SAS)}
		}, hw.Answer},
		{"two buttons at once", func(t *testing.T, s *Board) []hw.Press {
			s.Press(hw.Answer, 300*time.Millisecond)
			s.Press(hw.Hangup, 300*time.Millisecond)
			return []hw.Press{short(hw.Answer), short(hw.Hangup)}
		}, hw.SAS},
		{"two presses of one button in a row", func(t *testing.T, s *Board) []hw.Press {
			s.Press(hw.SAS, 200*time.Millisecond)
			s.Press(hw.SAS, 1100*time.Millisecond)
			return []hw.Press{short(hw.SAS), long(hw.SAS)}
		}, hw.Hangup},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newBoard(t)
			want := tc.act(t, s)
			var got []hw.Press
			for range want {
				got = append(got, nextPress(t, s))
			}
			// A second press from the same contacts would come before
			// the sentinel's, which starts only once everything settled.
			for _, b := range hw.Buttons {
				s.settled(t, b)
			}
			time.Sleep(5 * hw.Debounce)
			s.Press(tc.sentinel, 100*time.Millisecond)
			got = append(got, nextPress(t, s))
			want = append(want, short(tc.sentinel))
			sortByButton := func(ps []hw.Press) {
				slices.SortStableFunc(ps[:len(ps)-1], func(a, b hw.Press) int { return int(a.Button) - int(b.Button) })
			}
			sortByButton(got)
			sortByButton(want)
			if !slices.Equal(got, want) {
				t.Fatalf("presses %v, want %v", got, want)
			}
		})
	}
}

// TestLongPressBeforeRelease holds SAS without ever letting go: the long
// press must come while the button is still down, and the release after it
// must add nothing.
func TestLongPressBeforeRelease(t *testing.T) {
	s := newBoard(t)
	s.Edges(hw.SAS, lo, hi, lo, hi, lo)
	if p := nextPress(t, s); p != long(hw.SAS) {
		t.Fatalf("press %v while held, want long sas", p)
	}
	s.Edges(hw.SAS, hi, lo, hi, lo, hi)
	s.settled(t, hw.SAS)
	time.Sleep(5 * hw.Debounce)
	s.Press(hw.SAS, 100*time.Millisecond)
	if p := nextPress(t, s); p != short(hw.SAS) {
		t.Fatalf("press %v after the release, want the next short sas", p)
	}
}

func TestLamps(t *testing.T) {
	s := newBoard(t)
	waitLit := func(l hw.Lamp, lit bool) {
		t.Helper()
		deadline := time.Now().Add(patience)
		for s.Lit(l) != lit {
			if time.Now().After(deadline) {
				t.Fatalf("%s lamp never became lit=%v (pattern %v)", l, lit, s.Lamp(l))
			}
			time.Sleep(time.Millisecond)
		}
	}
	for _, l := range hw.Lamps {
		if s.Lit(l) || s.Lamp(l) != hw.Off {
			t.Fatalf("%s lamp not off at start", l)
		}
	}
	tests := []struct {
		lamp    hw.Lamp
		pattern hw.Pattern
		toggles bool
	}{
		{hw.Lock, hw.On, false},
		{hw.Lock, hw.Off, false},
		{hw.Alert, hw.Blink, true},
		{hw.Status, hw.FastBlink, true},
		{hw.Status, hw.SlowBlink, true},
		{hw.Alert, hw.On, false},
	}
	for _, tc := range tests {
		s.SetLamp(tc.lamp, tc.pattern)
		if got := s.Lamp(tc.lamp); got != tc.pattern {
			t.Fatalf("Lamp(%s) = %v, want %v", tc.lamp, got, tc.pattern)
		}
		if tc.toggles {
			waitLit(tc.lamp, false)
			waitLit(tc.lamp, true)
			waitLit(tc.lamp, false)
		} else {
			waitLit(tc.lamp, tc.pattern == hw.On)
		}
	}
}

func TestSubscribe(t *testing.T) {
	s := newBoard(t)
	ch, cancel := s.Subscribe()
	other, cancelOther := s.Subscribe()
	defer cancelOther()
	pending := func(c <-chan struct{}) bool {
		select {
		case <-c:
			return true
		default:
			return false
		}
	}
	steps := []struct {
		name   string
		act    func()
		notify bool
	}{
		{"nothing yet", func() {}, false},
		{"a change", func() { s.SetLamp(hw.Lock, hw.Blink) }, true},
		{"the same pattern again", func() { s.SetLamp(hw.Lock, hw.Blink) }, false},
		{"three changes coalesce", func() {
			s.SetLamp(hw.Alert, hw.On)
			s.SetLamp(hw.Alert, hw.Off)
			s.SetLamp(hw.Status, hw.FastBlink)
		}, true},
		{"after cancel", func() { cancel(); cancel(); s.SetLamp(hw.Lock, hw.On) }, false},
	}
	for _, st := range steps {
		st.act()
		if got := pending(ch); got != st.notify {
			t.Errorf("%s: notified=%v, want %v", st.name, got, st.notify)
		}
		if pending(ch) {
			t.Errorf("%s: more than one notification pending", st.name)
		}
	}
	if !pending(other) {
		t.Error("second subscriber was not notified")
	}
}

func TestCloseStopsEverything(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s.SetLamp(hw.Status, hw.FastBlink)
	s.Press(hw.Answer, time.Hour) // still held when Close comes
	s.Press(hw.Answer, time.Hour) // waiting for the first
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-s.Presses(); ok {
		t.Fatal("Presses not closed by Close")
	}
	goleak.VerifyNone(t)
	// After Close nothing blocks or panics.
	s.Press(hw.SAS, time.Second)
	s.Edges(hw.SAS, lo, hi)
	s.SetLamp(hw.Lock, hw.On)
	if s.Lit(hw.Status) || s.Lit(hw.Lock) {
		t.Error("lamp lit after Close")
	}
	if err := s.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

// The phone's Board interface, plus Close: the simulated board must fit it.
var _ interface {
	Presses() <-chan hw.Press
	SetLamp(hw.Lamp, hw.Pattern)
	Close() error
} = (*Board)(nil)

// TestLampEdgesMeasureTheBlink: the edges NewWatched reports are the
// blinker's, timed well enough for hw/rig to read the pattern back.
func TestLampEdgesMeasureTheBlink(t *testing.T) {
	type edge struct {
		l    hw.Lamp
		high bool
		at   time.Time
	}
	edges := make(chan edge, 256)
	s, err := NewWatched(func(l hw.Lamp, high bool, at time.Time) {
		select {
		case edges <- edge{l, high, at}:
		default:
			t.Errorf("edge of %s not taken", l)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetLamp(hw.Status, hw.FastBlink)
	var got []rig.Edge
	var start time.Time
	const window = time.Second
	for len(got) == 0 || got[len(got)-1].At < window {
		select {
		case e := <-edges:
			if e.l != hw.Status {
				t.Fatalf("edge of %s, which was never set", e.l)
			}
			if start.IsZero() {
				start = e.at.Add(-time.Millisecond) // the window opens just before the first rise
			}
			got = append(got, rig.Edge{At: e.at.Sub(start), High: e.high})
		case <-time.After(patience):
			t.Fatalf("edges stopped after %v", got)
		}
	}
	r, err := rig.Classify(false, got[:len(got)-1], window)
	if err != nil || r.Pattern != hw.FastBlink {
		t.Fatalf("read back %v, %v from %v", r, err, got)
	}
}
