package lines

import (
	"fmt"

	"github.com/padlock-phone/padlock/call"
)

// Transfer hands the call's peer to target (blind transfer), on the call's
// own line if it can.
func (m *Mux) Transfer(id call.ID, target string) error {
	return m.with(id, func(l Line) error {
		t, ok := l.(interface {
			Transfer(id call.ID, target string) error
		})
		if !ok {
			return fmt.Errorf("this line cannot transfer calls")
		}
		return t.Transfer(id, target)
	})
}

// DialReferred calls target on the line of call by, whose peer asked for
// it (a transfer); a line that cannot tell its peer just dials.
func (m *Mux) DialReferred(target string, by call.ID) (call.ID, error) {
	l, err := m.line(by)
	if err != nil {
		return "", err
	}
	r, ok := l.(interface {
		DialReferred(target string, by call.ID) (call.ID, error)
	})
	if !ok {
		return m.Dial(target)
	}
	id, err := r.DialReferred(target, by)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	m.owner[id] = l
	m.mu.Unlock()
	return id, nil
}
