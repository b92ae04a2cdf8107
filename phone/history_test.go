package phone

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/call"
)

// fakeHistory keeps what the loop logged.
type fakeHistory struct {
	mu   sync.Mutex
	rows []CallRecord
}

func (h *fakeHistory) CallLog(r CallRecord) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rows = append(h.rows, r)
}

func (h *fakeHistory) all() []CallRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]CallRecord(nil), h.rows...)
}

// TestLoopLogsCalls: the loop hands the History one row per finished call,
// with the outcome and the connected time, and none while a call goes on.
func TestLoopLogsCalls(t *testing.T) {
	line, hist := newFakeLine(), &fakeHistory{}
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	p := New(Config{Telephony: line, History: hist, Now: clock, TickEvery: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()

	line.events <- call.Incoming{ID: "in1", From: "alice@example.org", Account: "bob@example.org"}
	eventually(t, "ringing", func() bool { return p.State().Current().Status == RingingIn })
	p.Post(ctx, Answer{})
	advance(time.Second)
	line.events <- call.Answered{ID: "in1"}
	eventually(t, "active", func() bool { return p.State().Current().Status == Active })
	line.events <- call.Incoming{ID: "in2", From: "carol@example.org", Account: "bob@example.org"}
	line.events <- call.Ended{ID: "in2"} // carol gives up waiting
	eventually(t, "missed", func() bool { return p.State().Missed == 1 })
	advance(90 * time.Second)
	p.Post(ctx, HangUp{})
	eventually(t, "ended", func() bool { return p.State().Current().Status == Ended })
	eventually(t, "two rows", func() bool { return len(hist.all()) == 2 })

	want := []CallRecord{
		{Remote: "carol@example.org", Account: "bob@example.org", Start: t0.Add(time.Second), Outcome: CallMissed, Reason: "the other side hung up"},
		{Remote: "alice@example.org", Account: "bob@example.org", Start: t0.Add(time.Second), Duration: 90 * time.Second, Outcome: CallAnswered, Reason: "you hung up"},
	}
	if got := hist.all(); !reflect.DeepEqual(got, want) {
		t.Errorf("history:\n got  %+v\n want %+v", got, want)
	}
}

func TestOutcomeNames(t *testing.T) {
	for o, want := range map[Outcome]string{CallAnswered: "answered", CallMissed: "missed", CallRejected: "rejected",
		CallCancelled: "cancelled", CallFailed: "failed", 0: "outcome(0)", 9: "outcome(9)"} {
		if got, _ := o.MarshalText(); string(got) != want {
			t.Errorf("%d: %q, want %q", o, got, want)
		}
	}
}
