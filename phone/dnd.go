package phone

import (
	"time"

	"github.com/padlock-phone/padlock/call"
)

// SetDoNotDisturb turns do-not-disturb on or off (the web admin). While it
// is on, incoming calls are turned away with 486 Busy Here (or sent to the
// forward target) and logged as missed, and STATUS blinks.
type SetDoNotDisturb struct{ On bool }

// SetForwardTarget sets where do-not-disturb sends callers (a SIP 302 to
// To); empty turns them away busy. The buttons' toggle keeps it.
type SetForwardTarget struct{ To string }

// Forwarder is a Telephony that can send a ringing call elsewhere (SIP
// 302 Moved Temporarily). A line without it turns the call away busy.
type Forwarder interface {
	Forward(id call.ID, target string) error
}

// turnAway is how do-not-disturb answers an incoming call: forwarded when
// a target is set, else busy; logged missed either way.
func turnAway(s State, in Call, now time.Time) []Command {
	if s.ForwardTo != "" {
		return []Command{cmdForward{ID: in.ID, Target: s.ForwardTo}, record(in, CallMissed, "do not disturb: forwarded", now)}
	}
	return []Command{cmdReject{ID: in.ID, Reason: call.Busy}, record(in, CallMissed, "do not disturb", now)}
}

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
