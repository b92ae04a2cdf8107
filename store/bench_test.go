package store

import (
	"context"
	"testing"
	"time"
)

// BenchmarkAddHistory measures one committed write (insert, seal, update in
// one transaction, fsynced by synchronous=FULL) with a 64-byte body.
func BenchmarkAddHistory(b *testing.B) {
	s, _ := newTestStore(b)
	ctx := context.Background()
	acc := mustAccount(b, s, alice())
	body := make([]byte, 64)
	for b.Loop() {
		if _, err := s.AddHistory(ctx, HistoryEntry{AccountID: acc, Contact: "bob@example.org", Time: time.UnixMilli(1), Direction: In, Kind: Call, Body: body}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHistory100 measures reading and opening the newest 100 entries.
func BenchmarkHistory100(b *testing.B) {
	s, _ := newTestStore(b)
	ctx := context.Background()
	acc := mustAccount(b, s, alice())
	for i := range 100 {
		if _, err := s.AddHistory(ctx, HistoryEntry{AccountID: acc, Contact: "bob@example.org", Time: time.UnixMilli(int64(i)), Direction: In, Kind: Call, Body: make([]byte, 64)}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if h, err := s.History(ctx, HistoryFilter{Limit: 100}); err != nil || len(h) != 100 {
			b.Fatal(len(h), err)
		}
	}
}
