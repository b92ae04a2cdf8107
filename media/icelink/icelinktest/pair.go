// Package icelinktest connects two ICE links on loopback for tests of the
// packages that run media over them.
package icelinktest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/media/icelink"
)

// Pair connects two links on loopback, trickling candidates both ways as
// Jingle transport-info would; a is the controlling side. Both are closed
// at the end of the test.
func Pair(t testing.TB) (a, b *icelink.Conn) {
	t.Helper()
	var la, lb *icelink.Link
	var mu sync.Mutex
	var pendingA, pendingB []icelink.Candidate
	mk := func(controlling bool, to **icelink.Link, pending *[]icelink.Candidate) *icelink.Link {
		l, err := icelink.New(icelink.Config{Controlling: controlling, Loopback: true, FailedTimeout: 5 * time.Second, OnCandidate: func(c icelink.Candidate) {
			mu.Lock()
			defer mu.Unlock()
			if *to == nil {
				*pending = append(*pending, c)
				return
			}
			if err := (*to).AddRemote(c); err != nil {
				t.Errorf("AddRemote: %v", err)
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l
	}
	mu.Lock()
	la = mk(true, &lb, &pendingA)
	lb = mk(false, &la, &pendingB)
	mu.Unlock()
	for _, l := range []*icelink.Link{la, lb} {
		if err := l.Gather(); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Flush what was gathered before the other side existed.
	go func() {
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			for _, c := range pendingA {
				lb.AddRemote(c)
			}
			for _, c := range pendingB {
				la.AddRemote(c)
			}
			pendingA, pendingB = nil, nil
			mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	ua, pa, _ := la.Credentials()
	ub, pb, _ := lb.Credentials()
	type res struct {
		c   *icelink.Conn
		err error
	}
	ch := make(chan res, 2)
	go func() { c, err := la.Connect(ctx, ub, pb); ch <- res{c, err} }()
	cb, err := lb.Connect(ctx, ua, pa)
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.c, cb
}
