package phone

import (
	"fmt"
	"time"
)

// History is where finished calls are logged (the call history). The loop
// calls CallLog once per call, when the call ends, and waits for it: an
// implementation must return quickly. Whether calls are logged at all is
// the implementation's business (the log_call_history setting).
type History interface {
	CallLog(r CallRecord)
}

// Outcome is how a call ended, as the call history shows it.
type Outcome uint8

const (
	CallAnswered  Outcome = iota + 1 // someone talked: the call was connected
	CallMissed                       // incoming, never answered (caller gave up, or we were busy)
	CallRejected                     // incoming, declined with HANGUP
	CallCancelled                    // outgoing, we hung up before the far end answered
	CallFailed                       // outgoing, never connected (busy, declined, no route)
)

var outcomeNames = [...]string{"", "answered", "missed", "rejected", "cancelled", "failed"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) && o != 0 {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// MarshalText renders outcomes as words in JSON.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// CallRecord is one call in the history.
type CallRecord struct {
	Remote   string // who, as a person reads it
	Account  string // the account it was on ("" when not known yet)
	Outgoing bool
	Start    time.Time     // when it was answered; for calls never answered, when it began
	Duration time.Duration // how long it was connected; 0 when never answered
	Outcome  Outcome
	Security Security // the security the call had when it ended
	Reason   string   // why it ended, in plain words
}

// cmdLog asks the History to log a finished call.
type cmdLog struct{ Record CallRecord }

// record is the history row of c, which is ending now with outcome o. It
// is taken before end() changes the call.
func record(c Call, o Outcome, reason string, now time.Time) cmdLog {
	r := CallRecord{Remote: c.Remote, Account: c.Account, Outgoing: c.Outgoing, Start: c.Since,
		Outcome: o, Security: c.Security, Reason: reason}
	if !c.Connected.IsZero() {
		r.Start, r.Duration = c.Connected, now.Sub(c.Connected)
	}
	return cmdLog{Record: r}
}

// unansweredOutcome is the outcome of a call that ends before it connected.
func unansweredOutcome(c Call) Outcome {
	if c.Outgoing {
		return CallFailed
	}
	return CallMissed
}
