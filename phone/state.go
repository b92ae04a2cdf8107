package phone

import (
	"fmt"
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

// Call is the phone's one current call. The zero value is "no call".
type Call struct {
	ID          call.ID
	Status      Status
	Remote      string // who is on the other end, as a person reads it
	Account     string
	Outgoing    bool
	Answering   bool // ANSWER pressed on a ringing call; waiting for the driver
	RemoteHold  bool
	Security    Security
	SAS         string
	KeyMismatch bool   // the peer's retained secret changed: possible MITM
	Reason      string // why it ended or why security failed, in plain words
	Since       time.Time
	Connected   time.Time // when it was answered; zero before
}

// busy reports whether a call occupies the phone.
func (c Call) busy() bool { return c.Status != Idle && c.Status != Ended }

// State is everything the brain knows. Snapshots of it are handed to the web
// admin by value; nothing outside the loop ever changes it.
type State struct {
	Call        Call
	LastDialed  string
	Missed      int
	Registered  map[string]bool // account -> registered with its server
	Unread      int             // chat messages and subscription requests waiting
	VaultLocked bool
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
	if s.Registered != nil {
		m := make(map[string]bool, len(s.Registered))
		for k, v := range s.Registered {
			m[k] = v
		}
		s.Registered = m
	}
	return s
}
