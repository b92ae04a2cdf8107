package phone

import "github.com/padlock-phone/padlock/call"

// Event is anything the brain reacts to: a button press (hw.Press), a
// telephony report (call.Event), or one of the commands below.
// Anything else is ignored.
type Event any

// Dial calls Target (a SIP URI, a number, or a test line name).
type Dial struct{ Target string }

// HangUp does what the HANGUP button does, from the web admin.
type HangUp struct{}

// Answer does what the ANSWER button does, from the web admin.
type Answer struct{}

// Hold puts the current call on hold (On) or resumes it.
type Hold struct{ On bool }

// ConfirmSAS marks the current call's SAS as compared and matching
// (Verified) or takes that back.
type ConfirmSAS struct{ Verified bool }

// SendDTMF sends keypad digits (0-9, *, #, A-D) into the current call.
type SendDTMF struct{ Digits string }

// RepeatSAS reads the SAS aloud again, like a short press of SAS.
type RepeatSAS struct{}

// AccountStatus reports whether an account is registered/signed in.
type AccountStatus struct {
	Account    string
	Registered bool
}

// Unread reports how many messages and requests wait for the person.
type Unread struct{ N int }

// VaultLocked reports whether the master-password vault is locked.
type VaultLocked struct{ Locked bool }

// Tick moves time-driven state (Ended -> Idle). The loop sends it.
type Tick struct{}

// dialFailed is fed back by the loop when the driver refused a Dial.
type dialFailed string

// dialed is fed back by the loop once the driver accepted a Dial.
type dialed struct{ ID call.ID }

// Command is what the brain asks the drivers to do.
type Command any

type (
	cmdDial   struct{ Target string }
	cmdAnswer struct{ ID call.ID }
	cmdReject struct {
		ID     call.ID
		Reason call.RejectReason
	}
	cmdHangup struct{ ID call.ID }
	cmdHold   struct {
		ID call.ID
		On bool
	}
	cmdVerify struct {
		ID       call.ID
		Verified bool
	}
	cmdDTMF struct {
		ID     call.ID
		Digits string
	}
	cmdRing struct{ On bool }
	// cmdOwnerPresent: HANGUP and SAS were held together (Config.OwnerPresent).
	cmdOwnerPresent struct{}
	cmdSaySAS       struct{ SAS string }
	cmdAnnounce     struct{ What Announcement }
)
