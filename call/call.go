// Package call holds the plain data types that telephony drivers (SIP, the
// local test line) use to tell the phone brain what happened to a call. It
// imports nothing of ours, so drivers never import phone.
package call

import "fmt"

// ID names one call leg for as long as it exists. Drivers choose it.
type ID string

// Event is something that happened to a call, reported by a driver.
type Event interface{ CallID() ID }

// Incoming: a new call is ringing on this phone.
type Incoming struct {
	ID      ID
	From    string // the caller, as a person would read it ("alice@example.org")
	Account string // which account it came in on
}

// Ringing: the far end is alerting (SIP 180/183).
type Ringing struct{ ID ID }

// Answered: the call is established (200 OK sent or received, ACKed).
type Answered struct{ ID ID }

// Ended: the call is over, for any reason; Reason is in plain words.
type Ended struct {
	ID     ID
	Reason string
}

// Held: the remote side put the call on hold or resumed it.
type Held struct {
	ID ID
	On bool
}

// SecurityNegotiating: key agreement (ZRTP) started on the media path.
type SecurityNegotiating struct{ ID ID }

// Secured: media is encrypted; SAS is the short authentication string the two
// people compare, Verified says the cache already holds a confirmed SAS.
type Secured struct {
	ID       ID
	SAS      string
	Verified bool
}

// EncryptedNotEndToEnd: media is encrypted with keys the signalling
// carried (SDES over SIP-TLS), so every proxy on the way could read them:
// no SAS to compare. A later Secured (ZRTP on top) replaces it.
type EncryptedNotEndToEnd struct{ ID ID }

// SecurityFailed: key agreement failed or was refused; media is not encrypted.
type SecurityFailed struct {
	ID     ID
	Reason string
}

// KeyMismatch: the peer's retained secret did not match (possible
// man-in-the-middle). Always an alert, never a silent downgrade.
type KeyMismatch struct{ ID ID }

// Local: the call never leaves this device (the test line), so there is
// nothing to encrypt and nothing to warn about.
type Local struct{ ID ID }

// Referred: the peer of call ID asks Padlock to call Target in its place
// (a blind transfer, RFC 3515 REFER inside the call: only the call's own
// peer can ask). By is who says they referred it, when they said.
type Referred struct {
	ID     ID
	Target string
	By     string
}

// TransferDone: Padlock's transfer of call ID ended. OK: the far end
// reached the target, and the call ends (reported as Ended); otherwise
// Reason says why and the call goes on.
type TransferDone struct {
	ID     ID
	OK     bool
	Reason string
}

func (e Incoming) CallID() ID             { return e.ID }
func (e Referred) CallID() ID             { return e.ID }
func (e TransferDone) CallID() ID         { return e.ID }
func (e Ringing) CallID() ID              { return e.ID }
func (e Answered) CallID() ID             { return e.ID }
func (e Ended) CallID() ID                { return e.ID }
func (e Held) CallID() ID                 { return e.ID }
func (e SecurityNegotiating) CallID() ID  { return e.ID }
func (e Secured) CallID() ID              { return e.ID }
func (e SecurityFailed) CallID() ID       { return e.ID }
func (e KeyMismatch) CallID() ID          { return e.ID }
func (e Local) CallID() ID                { return e.ID }
func (e EncryptedNotEndToEnd) CallID() ID { return e.ID }

// RejectReason says why an incoming call is turned away.
type RejectReason int

const (
	Busy    RejectReason = iota // 486 Busy Here: already in a call
	Decline                     // 603 Decline: the person pressed HANGUP
)

func (r RejectReason) String() string {
	switch r {
	case Busy:
		return "busy"
	case Decline:
		return "declined"
	}
	return fmt.Sprintf("reject(%d)", int(r))
}
