package gpio

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/hw"
	"periph.io/x/conn/v3/gpio"
)

const (
	lo = gpio.Low
	hi = gpio.High
)

// at is an edge at a time in milliseconds after the start.
type at struct {
	ms    int
	level gpio.Level
}

// got is a press reported at a time in milliseconds.
type got struct {
	ms   int
	kind pressKind
}

func (g got) String() string {
	return fmt.Sprintf("%v@%dms", map[pressKind]string{shortPress: "short", longPress: "long", ownerHold: "owner"}[g.kind], g.ms)
}

// runDebouncer feeds edges to a debouncer and steps it every millisecond
// up to endMS, the way the watch loop would with an exact clock, and also
// checks that every deadline step returns is in the future.
func runDebouncer(t *testing.T, start gpio.Level, edges []at, endMS int) []got {
	t.Helper()
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	var d debouncer
	d.reset(start, t0)
	var out []got
	i := 0
	for n := 0; n <= endMS; n++ {
		for i < len(edges) && edges[i].ms == n {
			d.edge(edges[i].level, ms(n))
			i++
		}
		kind, next := d.step(ms(n))
		if kind != noPress {
			out = append(out, got{n, kind})
		}
		if !next.IsZero() && !next.After(ms(n)) {
			t.Fatalf("at %dms step returned deadline %v, not after now", n, next.Sub(t0))
		}
	}
	return out
}

func bounce(startMS int, final gpio.Level) []at {
	// five edges within 4 ms ending on final: what a cheap tactile switch does
	return []at{{startMS, final}, {startMS + 1, !final}, {startMS + 2, final}, {startMS + 3, !final}, {startMS + 4, final}}
}

func join(parts ...[]at) []at { return slices.Concat(parts...) }

func TestDebouncer(t *testing.T) {
	tests := []struct {
		name  string
		start gpio.Level
		edges []at
		end   int
		want  []got
	}{
		{"nothing", hi, nil, 3000, nil},
		{"clean short press", hi, []at{{100, lo}, {400, hi}}, 1000, []got{{420, shortPress}}},
		{"bouncing short press: 5 edges each way", hi, join(bounce(100, lo), bounce(400, hi)), 1000,
			[]got{{424, shortPress}}},
		{"5 edges at the same instant", hi, []at{{100, lo}, {100, hi}, {100, lo}, {100, hi}, {100, lo}, {300, hi}}, 1000,
			[]got{{320, shortPress}}},
		{"glitch shorter than debounce", hi, []at{{100, lo}, {119, hi}}, 2000, nil},
		{"low just over debounce", hi, []at{{100, lo}, {121, hi}}, 2000, []got{{141, shortPress}}},
		{"long press at one second, release silent", hi, join(bounce(100, lo), bounce(1300, hi)), 3000,
			[]got{{1104, longPress}}},
		{"long press at exactly one second of hold", hi, []at{{0, lo}, {1001, hi}}, 2000, []got{{1000, longPress}}},
		{"held five seconds: long, then owner", hi, []at{{0, lo}, {5500, hi}}, 7000, []got{{1000, longPress}, {5000, ownerHold}}},
		{"released at 4.9 s: long only", hi, []at{{0, lo}, {4900, hi}}, 7000, []got{{1000, longPress}}},
		{"held at start: no owner hold", lo, []at{{6000, hi}}, 7000, nil},
		{"held 999 ms is short", hi, []at{{0, lo}, {999, hi}}, 2000, []got{{1019, shortPress}}},
		{"release bouncing over the second is short", hi, []at{{0, lo}, {990, hi}, {995, lo}, {998, hi}}, 2000,
			[]got{{1018, shortPress}}},
		{"glitch during a hold past the second still long", hi, []at{{0, lo}, {990, hi}, {1005, lo}}, 2000,
			[]got{{1005, longPress}}},
		{"bounce on release after long gives nothing more", hi, join([]at{{0, lo}}, bounce(1500, hi), []at{{1530, lo}, {1535, hi}}), 3000,
			[]got{{1000, longPress}}},
		{"two presses in a row", hi, join(bounce(0, lo), bounce(200, hi), bounce(400, lo), bounce(600, hi)), 1000,
			[]got{{224, shortPress}, {624, shortPress}}},
		{"held at start must be released first", lo, []at{{500, hi}, {700, lo}, {800, hi}}, 3000,
			[]got{{820, shortPress}}},
		{"held at start for long is silent", lo, nil, 3000, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := runDebouncer(t, tc.start, tc.edges, tc.end)
			if !slices.Equal(out, tc.want) {
				t.Errorf("presses %v, want %v", out, tc.want)
			}
		})
	}
}

// FuzzDebouncer checks the debouncer's invariants on arbitrary edge
// sequences: every press is preceded by a stable low, no two presses come
// from one hold, and a level held shorter than the debounce window never
// makes a press on its own. The owner report is the one second report a
// hold may make: after its long press, still held until hw.OwnerHold.
func FuzzDebouncer(f *testing.F) {
	f.Add([]byte{100, 0, 50, 1, 3, 0, 200, 1})
	f.Add([]byte{0, 0, 1, 1, 1, 0, 1, 1, 255, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		// data: pairs of (gap ms, level); gaps up to 255 ms, plus 1 s holds
		// when the level byte says so.
		var edges []at
		n := 0
		for i := 0; i+1 < len(data) && len(edges) < 200; i += 2 {
			n += int(data[i])
			if data[i+1]&2 != 0 {
				n += 1000
			}
			edges = append(edges, at{n, gpio.Level(data[i+1]&1 == 1)})
		}
		out := runDebouncer(t, hi, edges, n+1500)
		// Replay the edges to find, for each press, the hold it came from.
		for _, p := range out {
			// the level must have been low and edge-free for the debounce
			// window at some point in the 1.5 s before the press
			lastLowStart := -1
			for i, e := range edges {
				if e.ms > p.ms {
					break
				}
				if e.level == lo {
					end := p.ms + 1
					if i+1 < len(edges) {
						end = min(end, edges[i+1].ms)
					}
					if end-e.ms >= 20 {
						lastLowStart = e.ms
					}
				}
			}
			if lastLowStart < 0 {
				t.Fatalf("press %v without a stable low before it; edges %v", p, edges)
			}
		}
		for i := 1; i < len(out); i++ {
			// Between two presses there must be a stable high (a release),
			// except for the one owner report that follows a long press
			// still held (hw.OwnerHold), which must follow it by
			// OwnerHold - LongPress.
			if out[i].kind == ownerHold {
				if out[i-1].kind != longPress || out[i].ms-out[i-1].ms != int((hw.OwnerHold-hw.LongPress)/time.Millisecond) {
					t.Fatalf("owner report %v not %v after a long press (%v); edges %v", out[i], hw.OwnerHold-hw.LongPress, out[i-1], edges)
				}
				continue
			}
			released := false
			for j, e := range edges {
				if e.ms < out[i-1].ms-20 || e.ms > out[i].ms || e.level != hi {
					continue
				}
				end := out[i].ms + 1
				if j+1 < len(edges) {
					end = min(end, edges[j+1].ms)
				}
				if end-e.ms >= 20 {
					released = true
				}
			}
			if !released {
				t.Fatalf("presses %v and %v from one hold; edges %v", out[i-1], out[i], edges)
			}
		}
	})
}
