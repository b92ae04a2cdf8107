// Package testline is the phone's built-in test lines, the calls that work
// before any account exists and never leave the device: "echo" answers and
// (once media exists) plays back what you say, "ringback" hangs up and rings
// this phone back, to check the headset, the buttons and the lamps.
package testline

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/padlock-phone/padlock/call"
)

// The numbers the test lines answer to.
const (
	Echo     = "echo"
	Ringback = "ringback"
)

// Timing is how long each step of a test call takes.
type Timing struct {
	Ring     time.Duration // from dial to ringing
	Answer   time.Duration // from ringing to answered
	CallBack time.Duration // from the ringback hang-up to the incoming call
}

// DefaultTiming is slow enough for a person to see each state.
var DefaultTiming = Timing{Ring: 300 * time.Millisecond, Answer: time.Second, CallBack: 2 * time.Second}

var instances atomic.Int64

// Lines implements the phone's Telephony for the test lines.
type Lines struct {
	t      Timing
	events chan call.Event

	prefix string // unique per Lines, so call IDs never collide across drivers

	mu     sync.Mutex
	next   int
	calls  map[call.ID]*testCall
	closed bool
}

type testCall struct {
	target   string
	incoming bool
	up       bool
	timer    *time.Timer
}

// New makes the test lines with the given timing.
func New(t Timing) *Lines {
	n := instances.Add(1)
	return &Lines{t: t, prefix: fmt.Sprintf("test%d-", n), events: make(chan call.Event, 16), calls: map[call.ID]*testCall{}}
}

// Handles reports whether target is one of the test lines.
func Handles(target string) bool {
	t := strings.ToLower(strings.TrimSpace(target))
	return t == Echo || t == Ringback
}

// Events is where the test lines report what happened.
func (l *Lines) Events() <-chan call.Event { return l.events }

// Dial starts a test call.
func (l *Lines) Dial(target string) (call.ID, error) {
	if !Handles(target) {
		return "", fmt.Errorf("%q is not a test line (try %q or %q)", target, Echo, Ringback)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return "", fmt.Errorf("test lines are shut down")
	}
	id := l.newID()
	c := &testCall{target: strings.ToLower(strings.TrimSpace(target))}
	l.calls[id] = c
	c.timer = time.AfterFunc(l.t.Ring, func() { l.ringing(id) })
	return id, nil
}

func (l *Lines) newID() call.ID {
	l.next++
	return call.ID(fmt.Sprintf("%s%d", l.prefix, l.next))
}

func (l *Lines) ringing(id call.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.calls[id]
	if !ok {
		return
	}
	l.emit(call.Ringing{ID: id})
	c.timer = time.AfterFunc(l.t.Answer, func() { l.answered(id) })
}

func (l *Lines) answered(id call.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.calls[id]
	if !ok {
		return
	}
	if c.target == Ringback {
		// Hang up and call back: the person then answers an incoming call.
		delete(l.calls, id)
		l.emit(call.Ended{ID: id, Reason: "the test line will ring you back"})
		time.AfterFunc(l.t.CallBack, l.callBack)
		return
	}
	c.up = true
	l.emit(call.Answered{ID: id})
	l.emit(call.Local{ID: id})
}

func (l *Lines) callBack() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	id := l.newID()
	l.calls[id] = &testCall{target: Ringback, incoming: true}
	l.emit(call.Incoming{ID: id, From: "ringback test line", Account: "test"})
}

// emit sends an event without ever blocking a timer goroutine; l.mu held.
func (l *Lines) emit(ev call.Event) {
	if l.closed {
		return
	}
	select {
	case l.events <- ev:
	default: // nobody is listening; a test call is not worth a stuck timer
	}
}

func (l *Lines) take(id call.ID) (*testCall, error) {
	c, ok := l.calls[id]
	if !ok {
		return nil, fmt.Errorf("test call %s is gone", id)
	}
	return c, nil
}

// Answer picks up an incoming test call.
func (l *Lines) Answer(id call.ID) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, err := l.take(id)
	if err != nil {
		return err
	}
	if !c.incoming || c.up {
		return fmt.Errorf("test call %s is not ringing", id)
	}
	c.up = true
	l.emit(call.Answered{ID: id})
	l.emit(call.Local{ID: id})
	return nil
}

// Reject turns an incoming test call away.
func (l *Lines) Reject(id call.ID, _ call.RejectReason) error { return l.Hangup(id) }

// Hangup ends or cancels a test call.
func (l *Lines) Hangup(id call.ID) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, err := l.take(id)
	if err != nil {
		return err
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	delete(l.calls, id)
	return nil
}

// Hold is accepted: there is no media to stop yet.
func (l *Lines) Hold(id call.ID, on bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.take(id)
	return err
}

// SetVerified is refused: a test call has no SAS.
func (l *Lines) SetVerified(id call.ID, _ bool) error {
	return fmt.Errorf("test call %s is not encrypted: there is no SAS to confirm", id)
}

// Close stops every timer; no event is sent afterwards.
func (l *Lines) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for id, c := range l.calls {
		if c.timer != nil {
			c.timer.Stop()
		}
		delete(l.calls, id)
	}
	return nil
}
