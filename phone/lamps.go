package phone

import "github.com/padlock-phone/padlock/hw"

// Lamps is the pattern of every lamp, indexed by hw.Lamp.
type Lamps [3]hw.Pattern

// lamps is the one place that decides what the LEDs show (DESIGN.md
// "Buttons and lamps"). It is a pure function of the state.
//
// With several calls LOCK shows the weakest leg that is connected (or, when
// none is yet, of every call): on only when every one is verified,
// blinking while any is encrypted but not verified, blinking slowly while
// any is encrypted only hop by hop (SDES). A call that rings while
// another talks does not dim the lock of the conversation going on.
func lamps(s State) Lamps {
	var l Lamps
	legs := talking
	if s.count(talking) == 0 {
		legs = anyCall
	}
	lock, seen := hw.On, false
	for _, c := range s.Calls {
		if !c.busy() || !legs(c) || c.Security == Local {
			continue
		}
		seen = true
		switch {
		case c.Security == Verified && !c.KeyMismatch:
		case encrypted(c):
			if lock == hw.On {
				lock = hw.Blink
			}
		case c.Security == Encrypted:
			// Encrypted, not end to end (SDES): weaker than an
			// unverified SAS, so it shows the slower blink.
			if lock == hw.On || lock == hw.Blink {
				lock = hw.SlowBlink
			}
		default:
			lock = hw.Off
		}
	}
	if seen {
		l[hw.Lock] = lock
	}

	// A call that is not encrypted outranks the locked vault: it is the
	// thing the person must know right now.
	switch {
	case s.count(func(c Call) bool { return c.KeyMismatch || c.Security == Failed }) > 0:
		l[hw.Alert] = hw.On
	case s.count(func(c Call) bool { return talking(c) && c.Security == Clear }) > 0:
		l[hw.Alert] = hw.On
	case s.VaultLocked:
		l[hw.Alert] = hw.Blink
	}

	switch {
	case s.count(ringing) > 0:
		l[hw.Status] = hw.FastBlink
	case s.DoNotDisturb:
		// Before unread messages: a phone that will not ring is the
		// thing to see at a glance (they are in the web admin).
		l[hw.Status] = hw.Blink
	case s.Unread > 0:
		l[hw.Status] = hw.SlowBlink
	case s.registered():
		l[hw.Status] = hw.On
	}
	return l
}
