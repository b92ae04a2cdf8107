package phone

import "github.com/padlock-phone/padlock/hw"

// Lamps is the pattern of every lamp, indexed by hw.Lamp.
type Lamps [3]hw.Pattern

// lamps is the one place that decides what the LEDs show (DESIGN.md
// "Buttons and lamps"). It is a pure function of the state.
func lamps(s State) Lamps {
	var l Lamps
	c := s.Call
	inCall := c.busy()
	talking := c.Status == Active || c.Status == Held

	switch {
	case inCall && c.Security == Verified && !c.KeyMismatch:
		l[hw.Lock] = hw.On
	case inCall && (c.Security == Secured || c.Security == Verified):
		l[hw.Lock] = hw.Blink
	case inCall && c.Security == Encrypted:
		// Encrypted, not end to end: slower than an unverified SAS.
		l[hw.Lock] = hw.SlowBlink
	}

	// A call that is not encrypted outranks the locked vault: it is the
	// thing the person must know right now.
	switch {
	case inCall && (c.KeyMismatch || c.Security == Failed):
		l[hw.Alert] = hw.On
	case talking && c.Security == Clear:
		l[hw.Alert] = hw.On
	case s.VaultLocked:
		l[hw.Alert] = hw.Blink
	}

	switch {
	case c.Status == RingingIn && !c.Answering:
		l[hw.Status] = hw.FastBlink
	case s.Unread > 0:
		l[hw.Status] = hw.SlowBlink
	case s.registered():
		l[hw.Status] = hw.On
	}
	return l
}
