package phone

import (
	"slices"
	"strings"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/hw"
)

// ownerTogether is how close together HANGUP and SAS must reach their
// owner hold (hw.OwnerHold) to count as held together.
const ownerTogether = time.Second

// ownerGesture notes a button held hw.OwnerHold; with HANGUP and SAS both
// held together it is the owner at the phone: the web admin's login
// throttle is cleared (docs/SECURITY.md) and the headset says so. Nothing
// else about a call changes.
func ownerGesture(s State, b hw.Button, now time.Time) (State, []Command) {
	switch b {
	case hw.Hangup:
		s.hangupHeld = now
	case hw.SAS:
		s.sasHeld = now
	default:
		return s, nil
	}
	together := func(a, b time.Time) bool {
		d := a.Sub(b)
		return !a.IsZero() && !b.IsZero() && d < ownerTogether && d > -ownerTogether
	}
	if !together(s.hangupHeld, s.sasHeld) {
		return s, nil
	}
	s.hangupHeld, s.sasHeld = time.Time{}, time.Time{}
	return s, []Command{cmdOwnerPresent{}, cmdAnnounce{What: ThrottleCleared}}
}

// step is the whole call state machine: a pure function from the state and
// one event to the next state and the commands for the drivers. Events that
// make no sense in a state are ignored: the state comes back unchanged and
// no command is issued.
//
// What the headset rings with (the ring tone, the call-waiting tone, or
// nothing) is, like the lamps, a function of the state: step compares it
// before and after and leads with the commands that change it. When a call
// ends and what is left is only held calls, the person is told one waits.
func step(s State, ev Event, now time.Time) (State, []Command) {
	next, cmds := apply(s.clone(), ev, now)
	settle(&next)
	if before, after := mixing(s), mixing(next); !slices.Equal(before, after) {
		cmds = append(cmds, cmdMix{Legs: after})
	}
	if tone := alerting(s); tone != alerting(next) {
		var change []Command
		switch tone {
		case ringTone:
			change = append(change, cmdRing{On: false})
		case waitingTone:
			change = append(change, cmdWaiting{On: false})
		}
		switch alerting(next) {
		case ringTone:
			change = append(change, cmdRing{On: true, Caller: next.first(ringing).Remote})
		case waitingTone:
			change = append(change, cmdWaiting{On: true})
		}
		cmds = append(change, cmds...)
	}
	if s.count(anyCall) > next.count(anyCall) && next.count(engaging) == 0 && next.count(ringing) == 0 && next.count(held) > 0 {
		cmds = append(cmds, cmdAnnounce{What: CallOnHold})
	}
	return next, cmds
}

// settle keeps the conference whole: a conference of one is a plain call.
func settle(s *State) {
	if s.count(Call.busy) > 0 {
		s.SpeedDial = SpeedDial{} // a call came in or was made: no more reading
	}
	if s.count(inConference) == 1 {
		s.first(inConference).Conference = false
	}
}

func inConference(c Call) bool { return c.Conference }

// mixing is what the conference mixer must mix: the conference legs that
// are talking, each left out while it is not encrypted if encryption is
// required. Nil when there is no conference going on.
func mixing(s State) []ConferenceLeg {
	var legs []ConferenceLeg
	for _, c := range s.Calls {
		if c.busy() && c.Conference && c.Status == Active {
			mixed := !s.RequireEncrypted || encrypted(c) || c.Security == Local
			legs = append(legs, ConferenceLeg{ID: c.ID, Mixed: mixed})
		}
	}
	return legs
}

// tone is what the headset rings with.
type tone uint8

const (
	silent      tone = iota
	ringTone         // a call rings and nothing else has the person's ear
	waitingTone      // a call rings while the person is in another
)

func alerting(s State) tone {
	switch {
	case s.count(ringing) == 0:
		return silent
	case s.count(engaging) > 0:
		return waitingTone
	}
	return ringTone
}

// apply is step without the derived commands; s is step's own copy.
func apply(s State, ev Event, now time.Time) (State, []Command) {
	s, read, done := speedDial(s, ev, now)
	if done {
		return s, read
	}
	next, cmds := applyCalls(s, ev, now)
	return next, append(read, cmds...)
}

// applyCalls is apply for everything but the favourites being read.
func applyCalls(s State, ev Event, now time.Time) (State, []Command) {
	switch ev := ev.(type) {

	// Buttons. A long press of ANSWER or HANGUP means the same as a short
	// one, but for ANSWER with no call (speed dial).
	case hw.Press:
		if ev.Owner {
			return ownerGesture(s, ev.Button, now)
		}
		switch ev.Button {
		case hw.Answer:
			// A long press with no call reads the favourites (speed
			// dial); a short one keeps its meaning (redial).
			if ev.Long && !s.VaultLocked && s.count(Call.busy) == 0 {
				return s, []Command{cmdReadFavourites{}}
			}
			return apply(s, Answer{}, now)
		case hw.Hangup:
			return apply(s, HangUp{}, now)
		case hw.SAS:
			if ev.Long {
				return apply(s, ConfirmSAS{Verified: true}, now)
			}
			return apply(s, RepeatSAS{}, now)
		}

	// Commands from the person (buttons or web admin).
	case Answer:
		// A ringing call first: whatever is talking goes on hold.
		if r := s.first(ringing); r != nil {
			id := r.ID
			cmds := holdActive(&s)
			s.find(id).Answering = true
			return s, append(cmds, cmdAnswer{ID: id})
		}
		if s.count(engaging) > 0 {
			return s, nil
		}
		if h := s.first(held); h != nil {
			return resume(s, h.ID)
		}
		if s.count(anyCall) == 0 && s.LastDialed != "" {
			return apply(s, Dial{Target: s.LastDialed}, now)
		}
	case Dial:
		// A new call only while nothing else has the person's ear: the
		// others are on hold.
		if ev.Target == "" || s.count(engaging) > 0 || s.count(ringing) > 0 || s.count(anyCall) >= MaxCalls {
			return s, nil
		}
		s.LastDialed = ev.Target
		s.Calls = append(s.Calls, Call{Leg: s.freeLeg(), Status: Dialing, Remote: ev.Target, Outgoing: true, Since: now})
		return s, []Command{cmdDial(ev)}
	case HangUp:
		if ev.ID != "" {
			if c := s.find(ev.ID); c != nil {
				return s, hangUp(c, now)
			}
			return s, nil
		}
		// HANGUP turns away a ringing call before it ends a talking one
		// (the waiting call is rejected, the current one goes on).
		if c := s.first(func(c Call) bool { return c.Status == RingingIn }); c != nil {
			return s, hangUp(c, now)
		}
		if c := s.first(func(c Call) bool { return c.Status == Dialing || c.Status == RingingOut }); c != nil {
			return s, hangUp(c, now)
		}
		var cmds []Command
		for c := s.first(isActive); c != nil; c = s.first(isActive) {
			cmds = append(cmds, hangUp(c, now)...)
		}
		// A call on hold is ended by HANGUP only when it is the only call;
		// among several, it is resumed (or dropped by ID) first.
		if cmds == nil && s.count(anyCall) == 1 {
			if h := s.first(held); h != nil {
				cmds = hangUp(h, now)
			}
		}
		return s, cmds
	case Hold:
		if ev.On {
			if ev.ID == "" {
				return s, holdActive(&s)
			}
			if c := s.find(ev.ID); c != nil && c.Status == Active {
				c.Status = Held
				return s, []Command{cmdHold{ID: c.ID, On: true}}
			}
			return s, nil
		}
		// Resuming one call holds the one talking: a switch.
		if s.count(func(c Call) bool { return engaging(c) && !isActive(c) }) > 0 {
			return s, nil
		}
		id := ev.ID
		if id == "" {
			if h := s.first(held); h != nil {
				id = h.ID
			}
		}
		if c := s.find(id); c != nil && c.Status == Held {
			return resume(s, id)
		}
	case Merge:
		if s.count(talking) < 2 || s.count(func(c Call) bool { return engaging(c) && !isActive(c) }) > 0 {
			return s, nil
		}
		var cmds []Command
		for i := range s.Calls {
			if c := &s.Calls[i]; c.busy() && talking(*c) {
				if c.Status == Held {
					c.Status = Active
					cmds = append(cmds, cmdHold{ID: c.ID, On: false})
				}
				c.Conference = true
			}
		}
		return s, cmds
	case Split:
		c := s.find(ev.ID)
		if c == nil || !c.Conference || s.count(func(c Call) bool { return engaging(c) && !isActive(c) }) > 0 {
			return s, nil
		}
		c.Conference = false
		id := c.ID
		var cmds []Command
		for i := range s.Calls { // the rest of the conference waits on hold
			if o := &s.Calls[i]; o.busy() && o.ID != id && o.Status == Active {
				o.Status = Held
				cmds = append(cmds, cmdHold{ID: o.ID, On: true})
			}
		}
		if c := s.find(id); c.Status == Held {
			c.Status = Active
			cmds = append(cmds, cmdHold{ID: id, On: false})
		}
		return s, cmds
	case Transfer:
		c := s.find(ev.ID)
		if c == nil || !talking(*c) || c.Conference || c.Transfer != "" || strings.TrimSpace(ev.Target) == "" {
			return s, nil
		}
		c.Transfer = strings.TrimSpace(ev.Target)
		return s, []Command{cmdTransfer{ID: c.ID, Target: c.Transfer}}
	case RequireEncrypted:
		s.RequireEncrypted = ev.On
		return s, nil
	case SendDTMF:
		if s.count(isActive) == 1 && validDTMF(ev.Digits) {
			return s, []Command{cmdDTMF{ID: s.first(isActive).ID, Digits: ev.Digits}}
		}
	case RepeatSAS:
		// The legs' SAS in turn, starting after the one read last.
		var legs []*Call
		from := 0
		for i := range s.Calls {
			if c := &s.Calls[i]; c.busy() && encrypted(*c) {
				if c.ID == s.SASRead {
					from = len(legs) + 1
				}
				legs = append(legs, c)
			}
		}
		if len(legs) == 0 {
			return s, nil
		}
		c := legs[from%len(legs)]
		s.SASRead = c.ID
		return s, []Command{sayLeg(s, *c)}
	case ConfirmSAS:
		from, to := Secured, Verified
		if !ev.Verified {
			from, to = Verified, Secured
		}
		c := s.find(ev.ID)
		if ev.ID == "" {
			c = confirmTarget(&s, from)
		}
		if c == nil || c.Security != from {
			return s, nil
		}
		c.Security = to
		cmds := []Command{cmdVerify{ID: c.ID, Verified: ev.Verified}}
		if ev.Verified {
			cmds = append(cmds, cmdAnnounce{What: SASConfirmed})
		}
		return s, cmds

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
	case SetDoNotDisturb:
		return setDND(s, ev.On)
	case SetForwardTarget:
		s.ForwardTo = ev.To
		return s, nil
	case Tick:
		var dnd []Command
		if s, dnd = dndByButton(s, now); dnd != nil {
			return s, dnd // an ended call goes on the next tick
		}
		gone := func(c Call) bool { return c.Status == Ended && now.Sub(c.Since) >= EndedLinger }
		if !slices.ContainsFunc(s.Calls, gone) {
			return s, nil
		}
		var keep []Call
		for _, c := range s.Calls {
			if !gone(c) {
				keep = append(keep, c)
			} else if !c.Since.Before(s.LastEnded.Since) {
				s.LastEnded = c
			}
		}
		s.Calls = keep
		if s.find(s.SASRead) == nil {
			s.SASRead = ""
		}
		return s, nil
	case dialFailed:
		if c := s.first(dialingWithoutID); c != nil {
			log := record(*c, CallFailed, string(ev), now)
			end(c, string(ev), now)
			return s, []Command{log}
		}
		return s, nil
	case dialed:
		if c := s.first(dialingWithoutID); c != nil {
			c.ID = ev.ID
		}
		return s, nil

	// Reports from the telephony drivers.
	case call.Incoming:
		if ev.ID == "" || s.find(ev.ID) != nil {
			return s, nil // a driver repeating itself
		}
		in := Call{ID: ev.ID, Status: RingingIn, Remote: ev.From, Account: ev.Account, Since: now}
		if s.DoNotDisturb {
			s.Missed++
			return s, turnAway(s, in, now)
		}
		if s.count(anyCall) >= MaxCalls {
			s.Missed++
			return s, []Command{cmdReject{ID: ev.ID, Reason: call.Busy}, record(in, CallMissed, "busy in another call", now)}
		}
		in.Leg = s.freeLeg()
		s.Calls = append(s.Calls, in)
		return s, nil
	case call.Referred:
		// The peer of a call asks us to call someone in its place: only a
		// call's own peer can (its driver took the request inside that
		// call), and the phone says so before it dials.
		c := s.find(ev.ID)
		if c == nil || !talking(*c) || ev.Target == "" || s.count(anyCall) >= MaxCalls ||
			s.count(ringing) > 0 || s.count(func(c Call) bool { return engaging(c) && !isActive(c) }) > 0 {
			return s, nil
		}
		cmds := append(holdActive(&s), cmdAnnounce{What: Transferring})
		s.Calls = append(s.Calls, Call{Leg: s.freeLeg(), Status: Dialing, Remote: ev.Target, Outgoing: true, Since: now})
		return s, append(cmds, cmdDialReferred{Target: ev.Target, By: ev.ID})
	case call.Event:
		c := s.find(ev.CallID())
		if c == nil {
			return s, nil // a late report about a call that is gone
		}
		return s, callEvent(&s, c, ev, now)
	}
	return s, nil
}

func isActive(c Call) bool { return c.Status == Active }

func dialingWithoutID(c Call) bool { return c.Status == Dialing && c.ID == "" }

// holdActive puts every talking call on hold.
func holdActive(s *State) []Command {
	var cmds []Command
	for i := range s.Calls {
		if c := &s.Calls[i]; c.Status == Active {
			c.Status = Held
			cmds = append(cmds, cmdHold{ID: c.ID, On: true})
		}
	}
	return cmds
}

// resume takes the held call id off hold, holding the one talking first.
// A held conference leg rejoins its conference: every held leg of it comes
// back, and only calls outside it are held.
func resume(s State, id call.ID) (State, []Command) {
	if !s.find(id).Conference {
		cmds := holdActive(&s)
		s.find(id).Status = Active
		return s, append(cmds, cmdHold{ID: id, On: false})
	}
	var cmds []Command
	for i := range s.Calls {
		if c := &s.Calls[i]; c.busy() && c.Status == Active && !c.Conference {
			c.Status = Held
			cmds = append(cmds, cmdHold{ID: c.ID, On: true})
		}
	}
	for i := range s.Calls {
		if c := &s.Calls[i]; c.busy() && c.Status == Held && c.Conference {
			c.Status = Active
			cmds = append(cmds, cmdHold{ID: c.ID, On: false})
		}
	}
	return s, cmds
}

// hangUp ends one call from this side: a ringing one is declined, one not
// yet answered is cancelled, a connected one is hung up.
func hangUp(c *Call, now time.Time) []Command {
	id := c.ID
	var log cmdLog
	var cmd Command
	switch c.Status {
	case RingingIn:
		log, cmd = record(*c, CallRejected, "declined", now), cmdReject{ID: id, Reason: call.Decline}
		end(c, "declined", now)
	case Dialing, RingingOut:
		log, cmd = record(*c, CallCancelled, "cancelled", now), cmdHangup{ID: id}
		end(c, "cancelled", now)
	case Active, Held:
		log, cmd = record(*c, CallAnswered, "you hung up", now), cmdHangup{ID: id}
		end(c, "you hung up", now)
	default:
		return nil
	}
	return []Command{cmd, log}
}

// confirmTarget is the leg a long SAS press (or a Confirm without a leg)
// acts on: the one whose SAS was read last, or the only one in that state.
func confirmTarget(s *State, from Security) *Call {
	if c := s.find(s.SASRead); c != nil && c.Security == from {
		return c
	}
	inState := func(c Call) bool { return c.Security == from }
	if s.count(inState) == 1 {
		return s.first(inState)
	}
	return nil
}

// sayLeg reads c's SAS aloud, with its place when there is more than one call.
func sayLeg(s State, c Call) Command {
	leg := 0
	if s.count(anyCall) > 1 {
		leg = c.Leg
	}
	return cmdSaySAS{Leg: leg, SAS: c.SAS}
}

// callEvent applies a driver's report about the busy call c.
func callEvent(s *State, c *Call, ev call.Event, now time.Time) []Command {
	switch ev := ev.(type) {
	case call.Ringing:
		if c.Status == Dialing {
			c.Status = RingingOut
		}
	case call.Answered:
		switch c.Status {
		case Dialing, RingingOut, RingingIn:
			c.Status, c.Answering, c.Connected, c.Since = Active, false, now, now
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
		}
		return []Command{log}
	case call.Held:
		c.RemoteHold = ev.On
	case call.TransferDone:
		if c.Transfer != "" && !ev.OK {
			c.Transfer, c.Reason = "", ev.Reason
			return []Command{cmdAnnounce{What: TransferFailed}}
		}
	case call.SecurityNegotiating:
		if c.Security == Clear {
			c.Security = Negotiating
		}
	case call.Secured:
		if encrypted(*c) {
			return nil // re-keying keeps what the person confirmed
		}
		c.SAS = ev.SAS
		c.Security = Secured
		if ev.Verified && !c.KeyMismatch {
			c.Security = Verified
		}
		s.SASRead = c.ID
		return []Command{sayLeg(*s, *c)}
	case call.EncryptedNotEndToEnd:
		// Only a call without ZRTP keys yet: SDES never outranks them.
		if c.Security == Clear || c.Security == Negotiating {
			c.Security = Encrypted
			return []Command{cmdAnnounce{What: NotEndToEnd}}
		}
	case call.SecuredUnverifiable:
		// DTLS-SRTP (Jingle without ZRTP): the same tier as SDES, encrypted
		// with keys no SAS can check; said in its own words.
		if c.Security == Clear || c.Security == Negotiating {
			c.Security, c.DTLS = Encrypted, ev
			return []Command{cmdAnnounce{What: NotVerifiable}}
		}
	case call.SecurityFailed:
		c.Security, c.Reason = Failed, ev.Reason
		return []Command{cmdAnnounce{What: EncryptionFailed}}
	case call.KeyMismatch:
		c.KeyMismatch = true
		if c.Security == Verified {
			c.Security = Secured // the old confirmation no longer holds
		}
		return []Command{cmdAnnounce{What: KeyChanged}}
	case call.Local:
		// Only a call that never had keys can be local; anything else
		// claiming so would be a silent downgrade.
		if c.Security == Clear || c.Security == Negotiating {
			c.Security = Local
		}
	}
	return nil
}

// end moves the call to Ended, keeping who it was with for the display.
func end(c *Call, reason string, now time.Time) {
	c.Status, c.Reason, c.Answering, c.Conference, c.Since = Ended, reason, false, false, now
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
