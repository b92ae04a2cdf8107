package rig

import (
	"fmt"
	"slices"
	"time"

	"github.com/padlock-phone/padlock/hw"
)

// Edge is one change of a lamp's line, at a time since the window opened.
type Edge struct {
	At   time.Duration
	High bool // the level after the edge
}

// Tolerance is how far a measured blink may stray from hw.Pattern.Level's
// timing and still count as that pattern: the median of the periods and of
// the lit times seen in a window, each within this fraction of the nominal. The blinker
// steps on a 25 ms grid, and under QEMU's emulation a step can come late by a
// tick or two; 20% of the fastest blink's 125 ms is 25 ms. docs/HARDWARE.md
// states the same figure.
const Tolerance = 0.20

// MinWindow is the shortest window that tells every pattern apart from any
// starting phase: it always holds three edges of a 1 Hz blink, and a whole
// flash or a whole gap of a slow blink (200 ms lit every 2 s).
const MinWindow = 2500 * time.Millisecond

// blink is one pattern's nominal timing.
type blink struct {
	p           hw.Pattern
	period, lit time.Duration
}

var blinks = []blink{
	{hw.FastBlink, 250 * time.Millisecond, 125 * time.Millisecond},
	{hw.Blink, time.Second, 500 * time.Millisecond},
	{hw.SlowBlink, 2 * time.Second, 200 * time.Millisecond},
}

// Classify names the pattern a lamp showed in a window from its level when
// the window opened and the edges seen in it (in time order). No edge is a
// steady lamp, on or off; edges must repeat with one pattern's period and
// lit time (medians) within Tolerance. A window that saw a pattern change, or too
// short a part of a blink, is an error that says what was seen.
func Classify(initial bool, edges []Edge, window time.Duration) (Reading, error) {
	return ClassifyWithin(initial, edges, window, Tolerance)
}

// EmulatedTolerance is Tolerance for a guest under QEMU's software
// emulation on a busy host, where the guest's timers are seen late by up
// to ~50 ms (a slow blink's 200 ms flash measured as 155 ms). 35% still
// keeps every pattern's period apart from every other's.
const EmulatedTolerance = 0.35

// ClassifyWithin is Classify with another tolerance.
func ClassifyWithin(initial bool, edges []Edge, window time.Duration, tol float64) (Reading, error) {
	r := Reading{Measured: true, Edges: len(edges)}
	near := func(got, want time.Duration) bool { return nearWithin(got, want, tol) }
	if len(edges) == 0 {
		r.Pattern = hw.Off
		if initial {
			r.Pattern = hw.On
		}
		return r, nil
	}
	// Full periods: from each edge to the next edge of the same direction;
	// lit times: from each rise to the fall after it.
	var periods, lits []time.Duration
	for i := range edges {
		if i+2 < len(edges) {
			periods = append(periods, edges[i+2].At-edges[i].At)
		}
		if edges[i].High && i+1 < len(edges) {
			lits = append(lits, edges[i+1].At-edges[i].At)
		}
	}
	for i := 1; i < len(edges); i++ {
		if edges[i].High == edges[i-1].High {
			return r, fmt.Errorf("lamp line: two %s edges in a row at %v and %v (edges lost?)", level(edges[i].High), edges[i-1].At, edges[i].At)
		}
	}
	if len(periods) == 0 {
		// One flash, or one gap, in the window: only the slow blink is
		// that sparse, and its 200 ms flash and 1.8 s gap are unlike any
		// other pattern's.
		slow := blinks[len(blinks)-1]
		switch {
		case edges[0].High && len(edges) == 2 && near(edges[1].At-edges[0].At, slow.lit):
			r.Pattern, r.Lit = slow.p, edges[1].At-edges[0].At
			return r, nil
		case !edges[0].High && len(edges) == 2 && near(edges[1].At-edges[0].At, slow.period-slow.lit):
			r.Pattern = slow.p
			return r, nil
		}
		return r, fmt.Errorf("lamp line: %d edges in %v (%v), too few to tell a blink (a pattern change, or a window shorter than %v)", len(edges), window, edges, MinWindow)
	}
	if len(lits) == 0 {
		return r, fmt.Errorf("lamp line: edges %v in %v show no lit time", edges, window)
	}
	r.Period, r.Lit = median(periods), median(lits)
	for _, b := range blinks {
		if near(r.Period, b.period) && near(r.Lit, b.lit) {
			r.Pattern = b.p
			return r, nil
		}
	}
	return r, fmt.Errorf("lamp line: blinks with period %v and lit %v (periods %v, lit %v), which is no pattern within %.0f%%", r.Period, r.Lit, periods, lits, tol*100)
}

func level(high bool) string {
	if high {
		return "rising"
	}
	return "falling"
}

func nearWithin(got, want time.Duration, tol float64) bool {
	d := got - want
	if d < 0 {
		d = -d
	}
	return float64(d) <= tol*float64(want)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
