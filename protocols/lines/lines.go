// Package lines puts the phone's telephony drivers (the SIP accounts, the
// test lines) behind the one Telephony the phone brain talks to: a dial goes
// to the first line that takes the target, every later command to the line
// that owns the call, and all their events come out of one channel.
package lines

import (
	"fmt"
	"sync"

	"github.com/padlock-phone/padlock/call"
)

// Line is one telephony driver; it has the phone's Telephony methods.
type Line interface {
	Dial(target string) (call.ID, error)
	Answer(id call.ID) error
	Reject(id call.ID, why call.RejectReason) error
	Hangup(id call.ID) error
	Hold(id call.ID, on bool) error
	SetVerified(id call.ID, verified bool) error
	Events() <-chan call.Event
}

// Route is a line and the targets it takes; a nil Takes takes everything.
type Route struct {
	Name  string
	Line  Line
	Takes func(target string) bool
}

// Mux is a Line made of lines. Create it with New; Close stops it.
type Mux struct {
	routes []Route
	events chan call.Event
	stop   chan struct{}
	wg     sync.WaitGroup

	mu    sync.Mutex
	owner map[call.ID]Line
}

// New starts forwarding the events of every route's line.
func New(routes ...Route) *Mux {
	m := &Mux{routes: routes, events: make(chan call.Event, 16), stop: make(chan struct{}), owner: map[call.ID]Line{}}
	for _, r := range routes {
		m.wg.Add(1)
		go m.forward(r.Line)
	}
	return m
}

// forward passes a line's events on, learning which calls it owns.
func (m *Mux) forward(l Line) {
	defer m.wg.Done()
	for {
		select {
		case <-m.stop:
			return
		case ev, ok := <-l.Events():
			if !ok {
				return
			}
			m.mu.Lock()
			switch ev.(type) {
			case call.Incoming:
				m.owner[ev.CallID()] = l
			case call.Ended:
				delete(m.owner, ev.CallID())
			}
			m.mu.Unlock()
			select {
			case m.events <- ev:
			case <-m.stop:
				return
			}
		}
	}
}

// Events is every line's events.
func (m *Mux) Events() <-chan call.Event { return m.events }

// Dial hands target to the first route that takes it.
func (m *Mux) Dial(target string) (call.ID, error) {
	for _, r := range m.routes {
		if r.Takes != nil && !r.Takes(target) {
			continue
		}
		id, err := r.Line.Dial(target)
		if err != nil {
			return "", err
		}
		m.mu.Lock()
		m.owner[id] = r.Line
		m.mu.Unlock()
		return id, nil
	}
	return "", fmt.Errorf("no line can call %q: add a SIP account in the web admin", target)
}

func (m *Mux) line(id call.ID) (Line, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.owner[id]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("call %s is gone", id)
}

func (m *Mux) with(id call.ID, f func(Line) error) error {
	l, err := m.line(id)
	if err != nil {
		return err
	}
	return f(l)
}

// Answer, Reject, Hangup, Hold and SetVerified go to the call's own line.
func (m *Mux) Answer(id call.ID) error {
	return m.with(id, func(l Line) error { return l.Answer(id) })
}

func (m *Mux) Reject(id call.ID, why call.RejectReason) error {
	defer m.forget(id)
	return m.with(id, func(l Line) error { return l.Reject(id, why) })
}

func (m *Mux) Hangup(id call.ID) error {
	defer m.forget(id)
	return m.with(id, func(l Line) error { return l.Hangup(id) })
}

// Forward goes to the call's own line, if it can forward calls
// (phone.Forwarder); the brain turns the call away busy otherwise.
func (m *Mux) Forward(id call.ID, target string) error {
	err := m.with(id, func(l Line) error {
		f, ok := l.(interface {
			Forward(id call.ID, target string) error
		})
		if !ok {
			return fmt.Errorf("this line cannot forward calls")
		}
		return f.Forward(id, target)
	})
	if err == nil {
		m.forget(id)
	}
	return err
}

// forget drops a call the phone ended itself (no Ended event follows).
func (m *Mux) forget(id call.ID) {
	m.mu.Lock()
	delete(m.owner, id)
	m.mu.Unlock()
}

func (m *Mux) Hold(id call.ID, on bool) error {
	return m.with(id, func(l Line) error { return l.Hold(id, on) })
}

func (m *Mux) SetVerified(id call.ID, v bool) error {
	return m.with(id, func(l Line) error { return l.SetVerified(id, v) })
}

// SendDTMF goes to the call's own line, if it can send digits.
func (m *Mux) SendDTMF(id call.ID, digits string) error {
	return m.with(id, func(l Line) error {
		d, ok := l.(interface {
			SendDTMF(id call.ID, digits string) error
		})
		if !ok {
			return fmt.Errorf("this line cannot send keypad digits")
		}
		return d.SendDTMF(id, digits)
	})
}

// Close stops forwarding; the lines themselves are closed by their owners.
func (m *Mux) Close() error {
	close(m.stop)
	m.wg.Wait()
	return nil
}
