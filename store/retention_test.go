package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestHistoryRetention: per kind at most the cap, none older than MaxAge,
// the oldest dropped by the insert that goes over, the other kind untouched.
func TestHistoryRetention(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		limits     HistoryLimits
		calls      int           // calls added, one minute apart, the last at now
		wantCalls  int           // calls left
		wantOldest time.Duration // age of the oldest left
	}{
		{"count cap", HistoryLimits{MaxCalls: 5, MaxChats: 100, MaxAge: 0}, 12, 5, 4 * time.Minute},
		{"age cap", HistoryLimits{MaxCalls: 100, MaxChats: 100, MaxAge: 3*time.Minute + time.Second}, 12, 4, 3 * time.Minute},
		{"both, count wins", HistoryLimits{MaxCalls: 2, MaxChats: 100, MaxAge: time.Hour}, 12, 2, time.Minute},
		{"no limit", HistoryLimits{}, 12, 12, 11 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestStore(t)
			tc.limits.Now = func() time.Time { return now }
			s.SetHistoryLimits(tc.limits)
			if err := s.SetBool(ctx, LogChatHistory, true); err != nil {
				t.Fatal(err)
			}
			acc := mustAccount(t, s, alice())
			chat, err := s.AddHistory(ctx, HistoryEntry{AccountID: acc, Contact: "bob", Time: now.Add(-30 * time.Second), Direction: In, Kind: Chat, Body: []byte("hi")})
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.calls {
				at := now.Add(-time.Duration(tc.calls-1-i) * time.Minute)
				if _, err := s.AddHistory(ctx, HistoryEntry{AccountID: acc, Contact: fmt.Sprint("caller", i), Time: at, Direction: In, Kind: Call, Body: []byte("{}")}); err != nil {
					t.Fatal(err)
				}
			}
			calls, err := s.History(ctx, HistoryFilter{Kind: Call})
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) != tc.wantCalls {
				t.Fatalf("%d calls kept, want %d", len(calls), tc.wantCalls)
			}
			if oldest := now.Sub(calls[len(calls)-1].Time); oldest != tc.wantOldest {
				t.Errorf("oldest kept is %v old, want %v", oldest, tc.wantOldest)
			}
			chats, _ := s.History(ctx, HistoryFilter{Kind: Chat})
			if len(chats) != 1 || chats[0].ID != chat {
				t.Errorf("the calls' cap touched the chat history: %d left", len(chats))
			}
		})
	}
}

func TestUpdateHistoryBody(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	acc := mustAccount(t, s, alice())
	id, err := s.AddHistory(ctx, HistoryEntry{AccountID: acc, Contact: "bob", Time: time.Now(), Direction: In, Kind: Call, Body: []byte(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateHistoryBody(ctx, id, Call, []byte(`{"n":2}`)); err != nil {
		t.Fatal(err)
	}
	h, _ := s.History(ctx, HistoryFilter{})
	if len(h) != 1 || string(h[0].Body) != `{"n":2}` {
		t.Fatalf("after update: %+v", h)
	}
	if err := s.UpdateHistoryBody(ctx, id, Chat, []byte("x")); err == nil {
		t.Error("updating a call row as a chat row worked")
	}
}
