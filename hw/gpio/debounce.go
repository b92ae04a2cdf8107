package gpio

import (
	"time"

	"github.com/padlock-phone/padlock/hw"
	"periph.io/x/conn/v3/gpio"
)

// pressKind is what one step of a debouncer reports.
type pressKind uint8

const (
	noPress pressKind = iota
	shortPress
	longPress
	ownerHold // still held hw.OwnerHold after the long press
)

// debouncer turns the raw edges of one active-low button into presses. It
// never reads a pin or a clock: edges and times come in, presses go out, so
// every timing rule is testable with exact times.
//
// Rules:
//   - a level counts only after it has held, with no edge at all, for
//     hw.Debounce; every edge restarts that window, so contact bounce
//     collapses into one change;
//   - a press starts when low becomes stable; it is long as soon as it has
//     been held hw.LongPress (measured from the last bounce edge) and the
//     release after a long press reports nothing;
//   - held on until hw.OwnerHold, it reports one more press (ownerHold);
//   - a short press is reported when the release becomes stable;
//   - a button already held when watching starts must be released first.
type debouncer struct {
	stable      gpio.Level // debounced level; gpio.High is released
	raw         gpio.Level // level after the latest edge
	rawSince    time.Time  // time of the latest edge
	downAt      time.Time  // when the current press started (stable low)
	longSent    bool       // this press already counted (long, or held at start)
	heldAtStart bool       // held when watching started: no owner hold either
	ownerSent   bool       // this press already reported its owner hold
}

// reset starts watching a button whose pin reads l at now.
func (d *debouncer) reset(l gpio.Level, now time.Time) {
	*d = debouncer{stable: l, raw: l, rawSince: now, downAt: now, longSent: l == gpio.Low, heldAtStart: l == gpio.Low}
}

// edge records an edge after which the pin reads l. An edge to the level
// already seen still restarts the window: the opposite edge between them
// was too short to read back.
func (d *debouncer) edge(l gpio.Level, now time.Time) {
	d.raw = l
	d.rawSince = now
}

// step advances the debouncer to now. It reports at most one press, and the
// next time step must run even if no edge comes (zero when only an edge can
// change anything). A returned deadline is always after now.
func (d *debouncer) step(now time.Time) (pressKind, time.Time) {
	kind := noPress
	if d.raw != d.stable && now.Sub(d.rawSince) >= hw.Debounce {
		d.stable = d.raw
		if d.stable == gpio.Low {
			d.downAt = d.rawSince
			d.longSent, d.ownerSent, d.heldAtStart = false, false, false
		} else {
			if !d.longSent {
				kind = shortPress
			}
			d.longSent = false
		}
	}
	// A long press needs the button held right now: a release that is
	// still bouncing when the second is up is a short press.
	if d.stable == gpio.Low && d.raw == gpio.Low && !d.longSent && now.Sub(d.downAt) >= hw.LongPress {
		d.longSent = true
		kind = longPress
	} else if d.stable == gpio.Low && d.raw == gpio.Low && d.longSent && !d.ownerSent && !d.heldAtStart && now.Sub(d.downAt) >= hw.OwnerHold {
		d.ownerSent = true
		kind = ownerHold
	}

	var next time.Time
	if d.raw != d.stable {
		next = d.rawSince.Add(hw.Debounce)
	}
	if d.stable == gpio.Low && d.raw == gpio.Low && !d.longSent {
		if at := d.downAt.Add(hw.LongPress); next.IsZero() || at.Before(next) {
			next = at
		}
	} else if d.stable == gpio.Low && d.raw == gpio.Low && !d.ownerSent && !d.heldAtStart {
		if at := d.downAt.Add(hw.OwnerHold); at.After(now) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return kind, next
}
