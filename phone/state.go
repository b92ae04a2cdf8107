package phone

import (
	"fmt"
	"slices"
	"time"

	"github.com/padlock-phone/padlock/call"
)

// Status is where the current call is in its life.
type Status uint8

const (
	Idle       Status = iota // no call
	Dialing                  // we sent the call out, nothing heard back yet
	RingingIn                // someone is calling us
	RingingOut               // the far end is ringing
	Active                   // talking
	Held                     // we put the call on hold
	Ended                    // the call just ended; back to Idle after EndedLinger
)

var statusNames = [...]string{"idle", "dialing", "ringing-in", "ringing-out", "active", "held", "ended"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// MarshalText lets snapshots render as JSON for the web admin.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Security is the call's encryption sub-state (DESIGN.md "Calls and the
// secure state"): Clear -> Negotiating -> Secured -> Verified, or Failed;
// Encrypted (SDES) sits between Negotiating and Secured.
type Security uint8

const (
	Clear       Security = iota // media not encrypted (yet)
	Negotiating                 // ZRTP running
	Secured                     // encrypted, SAS not yet confirmed by the person
	Verified                    // encrypted and the SAS was confirmed
	Failed                      // key agreement failed: media is NOT encrypted
	Local                       // the call never leaves the device (test line)
	Encrypted                   // encrypted with keys the signalling carried (SDES): not end to end, no SAS
)

var securityNames = [...]string{"clear", "negotiating", "secured", "verified", "failed", "local", "encrypted"}

func (s Security) String() string {
	if int(s) < len(securityNames) {
		return securityNames[s]
	}
	return fmt.Sprintf("security(%d)", uint8(s))
}

// MarshalText lets snapshots render as JSON for the web admin.
func (s Security) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// EndedLinger is how long a finished call stays visible as Ended.
const EndedLinger = 2 * time.Second

// MaxCalls is how many calls the phone keeps at once: one talking, the
// others held or waiting. One more incoming call gets 486 Busy Here.
const MaxCalls = 4

// Call is one call leg. The zero value is "no call".
type Call struct {
	ID          call.ID
	Leg         int // its place while it lasts, 1..MaxCalls: "caller two" stays two
	Status      Status
	Remote      string // who is on the other end, as a person reads it
	Account     string
	Outgoing    bool
	Answering   bool // ANSWER pressed on a ringing call; waiting for the driver
	RemoteHold  bool
	Conference  bool   // a leg of the local conference (mixed while Active)
	Transfer    string // where we are transferring it, while the peer tries
	Security    Security
	SAS         string
	KeyMismatch bool   // the peer's retained secret changed: possible MITM
	Reason      string // why it ended or why security failed, in plain words
	Since       time.Time
	Connected   time.Time // when it was answered; zero before
	// DTLS holds the DTLS-SRTP fingerprints of an "encrypted, not
	// verifiable" call, for the web admin to show; zero otherwise.
	DTLS call.SecuredUnverifiable
}

// busy reports whether a call occupies the phone.
func (c Call) busy() bool { return c.Status != Idle && c.Status != Ended }

// State is everything the brain knows. Snapshots of it are handed to the web
// admin by value; nothing outside the loop ever changes it.
type State struct {
	Calls      []Call  // oldest first; an ended call lingers EndedLinger, then goes
	SASRead    call.ID // the leg whose SAS was read aloud last: a long SAS press confirms it
	LastDialed string
	SpeedDial  SpeedDial // the favourites being read out (a long ANSWER press with no call)
	// DoNotDisturb turns incoming calls away (486) and logs them missed;
	// STATUS blinks. HANGUP held OwnerHold alone with no call, or the web
	// admin, toggles it.
	DoNotDisturb bool
	ForwardTo    string // do-not-disturb sends callers here (SIP 302); empty: busy
	Missed       int
	Registered   map[string]bool // account -> registered with its server
	Unread       int             // chat messages and subscription requests waiting
	VaultLocked  bool

	// When HANGUP and SAS last reported their owner hold (hw.Press.Owner):
	// both within ownerTogether is the owner-present gesture.
	hangupHeld, sasHeld time.Time
	// RequireEncrypted is the require_encrypted_calls setting: a conference
	// leg that is not encrypted is left out of the mix.
	RequireEncrypted bool
	// LastEnded is the call that ended last, kept after it left Calls so a
	// display can still say why it ended (a failed call's reason must not
	// vanish after EndedLinger); the next call that ends replaces it.
	LastEnded Call
}

// registered reports whether any account is up.
func (s State) registered() bool {
	for _, up := range s.Registered {
		if up {
			return true
		}
	}
	return false
}

// clone copies the parts of State that are shared by reference.
func (s State) clone() State {
	s.Calls = slices.Clone(s.Calls)
	if s.Registered != nil {
		m := make(map[string]bool, len(s.Registered))
		for k, v := range s.Registered {
			m[k] = v
		}
		s.Registered = m
	}
	return s
}

// Current is the call the person is dealing with now, for a display that
// shows one: the one talking, dialing or being answered, else one ringing,
// else one on hold, else the one that just ended; the zero Call if none.
func (s State) Current() Call {
	for _, want := range []func(Call) bool{engaging, ringing, held, func(c Call) bool { return c.Status == Ended }} {
		for i := len(s.Calls) - 1; i >= 0; i-- {
			if want(s.Calls[i]) {
				return s.Calls[i]
			}
		}
	}
	return Call{}
}

// engaging: the call has the person's ear (talking, dialing, being answered).
func engaging(c Call) bool {
	return c.Status == Active || c.Status == Dialing || c.Status == RingingOut || (c.Status == RingingIn && c.Answering)
}

// ringing: an incoming call nobody has answered yet.
func ringing(c Call) bool { return c.Status == RingingIn && !c.Answering }

// held: we put the call on hold.
func held(c Call) bool { return c.Status == Held }

// talking: the call is connected, on hold or not.
func talking(c Call) bool { return c.Status == Active || c.Status == Held }

// encrypted: the call's media is encrypted (SAS confirmed or not).
func encrypted(c Call) bool { return c.Security == Secured || c.Security == Verified }

// first is the oldest busy call for which want holds, or nil.
func (s *State) first(want func(Call) bool) *Call {
	for i := range s.Calls {
		if c := &s.Calls[i]; c.busy() && want(*c) {
			return c
		}
	}
	return nil
}

// count is how many busy calls want holds for.
func (s State) count(want func(Call) bool) int {
	n := 0
	for _, c := range s.Calls {
		if c.busy() && want(c) {
			n++
		}
	}
	return n
}

// find is the busy call with that ID, or nil.
func (s *State) find(id call.ID) *Call {
	if id == "" {
		return nil
	}
	return s.first(func(c Call) bool { return c.ID == id })
}

// anyCall is true for every call.
func anyCall(Call) bool { return true }

// freeLeg is the lowest leg number no busy call has.
func (s State) freeLeg() int {
	for n := 1; ; n++ {
		if s.count(func(c Call) bool { return c.Leg == n }) == 0 {
			return n
		}
	}
}

// timed reports whether a Tick can change s: an ended call lingering
// (EndedLinger), the favourites being read out, or a HANGUP owner hold
// waiting to see whether SAS joins it (dndByButton). Only then does the
// loop run its clock.
func (s State) timed() bool {
	return !s.hangupHeld.IsZero() || s.SpeedDial.Reading() || slices.ContainsFunc(s.Calls, func(c Call) bool { return c.Status == Ended })
}
