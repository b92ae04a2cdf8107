package phone

import (
	"strings"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/hw"
)

// step is the whole call state machine: a pure function from the state and
// one event to the next state and the commands for the drivers. Events that
// make no sense in a state are ignored: the state comes back unchanged and
// no command is issued.
func step(s State, ev Event, now time.Time) (State, []Command) {
	s = s.clone()
	c := &s.Call
	switch ev := ev.(type) {

	// Buttons. A long press of ANSWER or HANGUP means the same as a short one.
	case hw.Press:
		switch ev.Button {
		case hw.Answer:
			return step(s, Answer{}, now)
		case hw.Hangup:
			return step(s, HangUp{}, now)
		case hw.SAS:
			if ev.Long {
				if c.busy() && c.Security == Secured {
					return step(s, ConfirmSAS{Verified: true}, now)
				}
				return s, nil
			}
			return step(s, RepeatSAS{}, now)
		}

	// Commands from the person (buttons or web admin).
	case Answer:
		switch c.Status {
		case Idle, Ended:
			if s.LastDialed != "" {
				return step(s, Dial{Target: s.LastDialed}, now)
			}
		case RingingIn:
			if !c.Answering {
				c.Answering = true
				return s, []Command{cmdRing{On: false}, cmdAnswer{ID: c.ID}}
			}
		}
	case Dial:
		if ev.Target == "" || c.busy() {
			return s, nil
		}
		s.LastDialed = ev.Target
		s.Call = Call{Status: Dialing, Remote: ev.Target, Outgoing: true, Since: now}
		return s, []Command{cmdDial(ev)}
	case HangUp:
		switch c.Status {
		case RingingIn:
			id, log := c.ID, record(*c, CallRejected, "declined", now)
			end(c, "declined", now)
			return s, []Command{cmdRing{On: false}, cmdReject{ID: id, Reason: call.Decline}, log}
		case Dialing, RingingOut:
			id, log := c.ID, record(*c, CallCancelled, "cancelled", now)
			end(c, "cancelled", now)
			return s, []Command{cmdHangup{ID: id}, log}
		case Active, Held:
			id, log := c.ID, record(*c, CallAnswered, "you hung up", now)
			end(c, "you hung up", now)
			return s, []Command{cmdHangup{ID: id}, log}
		}
	case Hold:
		if c.Status == Active && ev.On {
			c.Status = Held
			return s, []Command{cmdHold{ID: c.ID, On: true}}
		}
		if c.Status == Held && !ev.On {
			c.Status = Active
			return s, []Command{cmdHold{ID: c.ID, On: false}}
		}
	case SendDTMF:
		if c.Status == Active && validDTMF(ev.Digits) {
			return s, []Command{cmdDTMF{ID: c.ID, Digits: ev.Digits}}
		}
	case RepeatSAS:
		if c.busy() && (c.Security == Secured || c.Security == Verified) {
			return s, []Command{cmdSaySAS{SAS: c.SAS}}
		}
	case ConfirmSAS:
		if !c.busy() {
			return s, nil
		}
		if ev.Verified && c.Security == Secured {
			c.Security = Verified
			return s, []Command{cmdVerify{ID: c.ID, Verified: true}, cmdAnnounce{What: SASConfirmed}}
		}
		if !ev.Verified && c.Security == Verified {
			c.Security = Secured
			return s, []Command{cmdVerify{ID: c.ID, Verified: false}}
		}

	// Phone-wide state.
	case AccountStatus:
		if s.Registered == nil {
			s.Registered = map[string]bool{}
		}
		s.Registered[ev.Account] = ev.Registered
		return s, nil
	case Unread:
		s.Unread = max(ev.N, 0)
		return s, nil
	case VaultLocked:
		s.VaultLocked = ev.Locked
		return s, nil
	case Tick:
		if c.Status == Ended && now.Sub(c.Since) >= EndedLinger {
			s.Call = Call{}
		}
		return s, nil
	case dialFailed:
		if c.Status == Dialing && c.ID == "" {
			log := record(*c, CallFailed, string(ev), now)
			end(c, string(ev), now)
			return s, []Command{log}
		}
		return s, nil
	case dialed:
		if c.Status == Dialing && c.ID == "" {
			c.ID = ev.ID
		}
		return s, nil

	// Reports from the telephony drivers.
	case call.Incoming:
		if c.busy() {
			s.Missed++
			second := Call{Remote: ev.From, Account: ev.Account, Since: now}
			return s, []Command{cmdReject{ID: ev.ID, Reason: call.Busy}, record(second, CallMissed, "busy in another call", now)}
		}
		s.Call = Call{ID: ev.ID, Status: RingingIn, Remote: ev.From, Account: ev.Account, Since: now}
		return s, []Command{cmdRing{On: true}}
	case call.Event:
		if !c.busy() || ev.CallID() != c.ID || c.ID == "" {
			return s, nil // a late report about a call that is gone
		}
		return callEvent(s, ev, now)
	}
	return s, nil
}

// callEvent applies a driver's report about the current call.
func callEvent(s State, ev call.Event, now time.Time) (State, []Command) {
	c := &s.Call
	switch ev := ev.(type) {
	case call.Ringing:
		if c.Status == Dialing {
			c.Status = RingingOut
		}
	case call.Answered:
		switch c.Status {
		case Dialing, RingingOut, RingingIn:
			var cmds []Command
			if c.Status == RingingIn && !c.Answering {
				cmds = append(cmds, cmdRing{On: false}) // answered elsewhere
			}
			c.Status, c.Answering, c.Connected, c.Since = Active, false, now, now
			return s, cmds
		}
	case call.Ended:
		wasRinging := c.Status == RingingIn
		reason := ev.Reason
		if reason == "" {
			reason = "the other side hung up"
		}
		o := unansweredOutcome(*c)
		if !c.Connected.IsZero() {
			o = CallAnswered
		}
		log := record(*c, o, reason, now)
		end(c, reason, now)
		if wasRinging {
			s.Missed++
			return s, []Command{cmdRing{On: false}, log}
		}
		return s, []Command{log}
	case call.Held:
		c.RemoteHold = ev.On
	case call.SecurityNegotiating:
		if c.Security == Clear {
			c.Security = Negotiating
		}
	case call.Secured:
		if c.Security == Secured || c.Security == Verified {
			return s, nil // re-keying keeps what the person confirmed
		}
		c.SAS = ev.SAS
		c.Security = Secured
		if ev.Verified && !c.KeyMismatch {
			c.Security = Verified
		}
		return s, []Command{cmdSaySAS{SAS: ev.SAS}}
	case call.EncryptedNotEndToEnd:
		// Only a call without ZRTP keys yet: SDES never outranks them.
		if c.Security == Clear || c.Security == Negotiating {
			c.Security = Encrypted
			return s, []Command{cmdAnnounce{What: NotEndToEnd}}
		}
	case call.SecurityFailed:
		c.Security, c.Reason = Failed, ev.Reason
		return s, []Command{cmdAnnounce{What: EncryptionFailed}}
	case call.KeyMismatch:
		c.KeyMismatch = true
		if c.Security == Verified {
			c.Security = Secured // the old confirmation no longer holds
		}
		return s, []Command{cmdAnnounce{What: KeyChanged}}
	case call.Local:
		// Only a call that never had keys can be local; anything else
		// claiming so would be a silent downgrade.
		if c.Security == Clear || c.Security == Negotiating {
			c.Security = Local
		}
	}
	return s, nil
}

// end moves the call to Ended, keeping who it was with for the display.
func end(c *Call, reason string, now time.Time) {
	c.Status, c.Reason, c.Answering, c.Since = Ended, reason, false, now
}

// validDTMF reports whether digits are all keypad keys (RFC 4733 events 0-15).
func validDTMF(digits string) bool {
	if digits == "" || len(digits) > 32 {
		return false
	}
	for _, r := range digits {
		if !strings.ContainsRune("0123456789*#ABCD", r) {
			return false
		}
	}
	return true
}
