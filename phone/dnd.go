package phone

import "time"

// SetDoNotDisturb turns do-not-disturb on or off (the web admin). While it
// is on, incoming calls are turned away with 486 Busy Here and logged as
// missed, and STATUS blinks.
type SetDoNotDisturb struct{ On bool }

// dndByButton toggles do-not-disturb once HANGUP alone has been held
// OwnerHold with no call: held with SAS it is the owner-present gesture
// instead, which is known ownerTogether after the HANGUP report at the
// latest, so the toggle waits that long (see ownerGesture). A shorter
// hold could not be told from the start of the owner gesture: both
// buttons report their long press at hw.LongPress on the way.
func dndByButton(s State, now time.Time) (State, []Command) {
	if s.hangupHeld.IsZero() || now.Sub(s.hangupHeld) < ownerTogether {
		return s, nil
	}
	s.hangupHeld = time.Time{}
	if s.count(Call.busy) > 0 {
		return s, nil
	}
	return setDND(s, !s.DoNotDisturb)
}

func setDND(s State, on bool) (State, []Command) {
	if s.DoNotDisturb == on {
		return s, nil
	}
	s.DoNotDisturb = on
	what := DoNotDisturbOff
	if on {
		what = DoNotDisturbOn
	}
	return s, []Command{cmdAnnounce{What: what}}
}
