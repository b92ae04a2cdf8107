package phone

import "github.com/padlock-phone/padlock/call"

// Event is anything the brain reacts to: a button press (hw.Press), a
// telephony report (call.Event), or one of the commands below.
// Anything else is ignored.
type Event any

// Dial calls Target (a SIP URI, a number, or a test line name).
type Dial struct{ Target string }

// HangUp ends the call ID (declines it if it rings, cancels it if it has
// not been answered); without an ID it does what the HANGUP button does.
type HangUp struct{ ID call.ID }

// Answer does what the ANSWER button does, from the web admin.
type Answer struct{}

// Hold puts the call ID on hold (On) or resumes it, holding the one
// talking first. Without an ID: holds whatever talks, resumes the oldest
// held call.
type Hold struct {
	ID call.ID
	On bool
}

// ConfirmSAS marks the SAS of the call ID as compared and matching
// (Verified) or takes that back. Without an ID it acts on the call whose
// SAS was read last, or the only one it can apply to.
type ConfirmSAS struct {
	ID       call.ID
	Verified bool
}

// SendDTMF sends keypad digits (0-9, *, #, A-D) into the current call.
type SendDTMF struct{ Digits string }

// Merge joins every connected call (held ones are resumed) into one
// conference that Padlock mixes: everyone hears everyone.
type Merge struct{}

// Split takes the call ID out of the conference into a call of its own;
// the rest of the conference goes on hold (a single leg left falls back to
// a plain call).
type Split struct{ ID call.ID }

// Transfer hands the peer of call ID to Target (blind transfer); the call
// ends when the peer reaches Target.
type Transfer struct {
	ID     call.ID
	Target string
}

// RequireEncrypted reports the require_encrypted_calls setting.
type RequireEncrypted struct{ On bool }

// RepeatSAS reads a SAS aloud again, like a short press of SAS: with
// several secured calls, the next one's in turn.
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
	cmdForward struct {
		ID     call.ID
		Target string
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
	// cmdOwnerPresent: HANGUP and SAS were held together (Config.OwnerPresent).
	cmdOwnerPresent struct{}
	cmdMix          struct{ Legs []ConferenceLeg }
	cmdDialReferred struct {
		Target string
		By     call.ID
	}
	cmdTransfer struct {
		ID     call.ID
		Target string
	}
	cmdRing struct {
		On     bool
		Caller string // with On: the ringing call's Remote, announced between rings
	}
	cmdWaiting struct{ On bool }
	cmdSaySAS  struct {
		Leg int // 0: the only call
		SAS string
	}
	cmdAnnounce struct{ What Announcement }
)
