package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/store"
)

func historyStore(t *testing.T, limits store.HistoryLimits) (*store.Store, int64) {
	t.Helper()
	ctx := context.Background()
	v, err := vault.Create([]byte("pw"), vault.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "padlock.db"), v)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.SetHistoryLimits(limits)
	id, err := st.CreateAccount(ctx, store.Account{Kind: store.SIP, User: "alice", Server: "127.0.0.1", Transport: store.UDP, Enabled: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st, id
}

// TestMissedCallFloods: 2,000 missed calls from one caller are one row
// whose count says 2,000; from 300 callers the rows stay within the cap.
// (The SIP side's rate limit keeps most of a flood from getting this far;
// protocols/sip's TestInviteFloodIsRateLimited sends the 20,000.)
func TestMissedCallFloods(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	missed := func(from string, at time.Time) phone.CallRecord {
		return phone.CallRecord{Remote: from, Account: "alice@127.0.0.1", Start: at, Outcome: phone.CallMissed, Reason: "busy"}
	}
	for _, tc := range []struct {
		name     string
		calls    int
		callers  int
		cap      int
		wantRows int
		wantMax  int // the count of the newest row
	}{
		{"one caller", 2000, 1, 1000, 1, 2000},
		{"many callers", 300, 300, 50, 50, 1},
		{"two bursts", 100, 1, 1000, 2, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := historyStore(t, store.HistoryLimits{MaxCalls: tc.cap, MaxChats: 10, MaxAge: 0})
			h := newCallHistory(st, slog.New(slog.DiscardHandler))
			at := t0
			for i := range tc.calls {
				at = at.Add(time.Millisecond)
				if tc.name == "two bursts" && i == tc.calls/2 {
					at = at.Add(burstWindow + time.Second)
				}
				h.CallLog(missed(fmt.Sprintf("caller%d@127.0.0.1", i%tc.callers), at))
			}
			// An answered call from the caller closes the burst and writes its count.
			h.CallLog(phone.CallRecord{Remote: "caller0@127.0.0.1", Account: "alice@127.0.0.1", Start: at.Add(time.Second), Outcome: phone.CallAnswered})
			rows, err := st.History(context.Background(), store.HistoryFilter{Kind: store.Call})
			if err != nil {
				t.Fatal(err)
			}
			var missedRows []store.HistoryEntry
			for _, r := range rows {
				var s struct{ Outcome string }
				json.Unmarshal(r.Body, &s)
				if s.Outcome == phone.CallMissed.String() {
					missedRows = append(missedRows, r)
				}
			}
			if len(rows) > tc.cap {
				t.Errorf("%d rows, cap %d", len(rows), tc.cap)
			}
			if want := min(tc.wantRows, tc.cap-1); len(missedRows) != want {
				t.Fatalf("%d missed-call rows, want %d", len(missedRows), want)
			}
			var newest callSummary
			json.Unmarshal(missedRows[0].Body, &newest)
			if newest.Count != tc.wantMax {
				t.Errorf("the newest missed-call row counts %d, want %d", newest.Count, tc.wantMax)
			}
		})
	}
}
