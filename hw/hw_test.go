package hw

import (
	"testing"
	"time"
)

// TestUntil: Until is exactly the time to the next change of Level, for
// every pattern, checked at every millisecond of two periods (the shapes
// come from DESIGN.md, independently of Pattern).
func TestUntil(t *testing.T) {
	tests := []struct {
		p           Pattern
		period, lit time.Duration
	}{
		{Off, 0, 0},
		{On, 0, 0},
		{Blink, time.Second, 500 * time.Millisecond},
		{FastBlink, 250 * time.Millisecond, 125 * time.Millisecond},
		{SlowBlink, 2 * time.Second, 200 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.p.String(), func(t *testing.T) {
			for at := time.Duration(0); at < 4*time.Second; at += time.Millisecond {
				d := tc.p.Until(at)
				if tc.period == 0 {
					if d != 0 || tc.p.Level(at) != (tc.p == On) {
						t.Fatalf("at %v: Until %v, Level %v", at, d, tc.p.Level(at))
					}
					continue
				}
				if want := at%tc.period < tc.lit; tc.p.Level(at) != want {
					t.Fatalf("at %v: Level %v, want %v", at, !want, want)
				}
				if d <= 0 || tc.p.Level(at+d-time.Nanosecond) != tc.p.Level(at) || tc.p.Level(at+d) == tc.p.Level(at) {
					t.Fatalf("at %v: Until %v is not the next edge", at, d)
				}
			}
		})
	}
}
