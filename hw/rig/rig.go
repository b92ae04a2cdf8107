// Package rig is the hardware-in-the-loop harness: a Rig presses the phone's
// buttons, reads its lamps and plays into and listens to its headset the way
// a person at the desk would, and Scenario is the desk scenario written once
// against it. The same scenario runs on the simulated board (tests/hil), on
// the image under QEMU and on a real Pi wired to a second set of GPIO lines
// (cmd/padlock-rig, docs/HARDWARE.md).
package rig

import (
	"context"
	"time"

	"github.com/padlock-phone/padlock/hw"
)

// Rig is the phone's panel and headset seen from outside.
type Rig interface {
	// Press holds button b down for hold, then lets go. It returns once
	// the button is released.
	Press(ctx context.Context, b hw.Button, hold time.Duration) error
	// Lamps watches every lamp for window and says what each showed.
	Lamps(ctx context.Context, window time.Duration) (map[hw.Lamp]Reading, error)
	// Say plays pcm (at rate, mono) into the headset's microphone, in a
	// loop, until the next Say.
	Say(pcm []int16, rate int) error
	// Heard returns what the headset played in the current call (or, on
	// a rig that listens all the time, since the rig started).
	Heard(ctx context.Context) (pcm []int16, rate int, err error)
}

// Reading is what a lamp showed over a window.
type Reading struct {
	Pattern hw.Pattern
	// Measured is true when the pattern was read back from the line's
	// edges (GPIO rigs); false when the rig could only ask what pattern
	// the lamp was given (the simulated board seen through the web admin).
	Measured bool
	Edges    int           // edges seen in the window
	Period   time.Duration // median blink period; 0 when steady
	Lit      time.Duration // median time lit per period; 0 when steady
}

func (r Reading) String() string {
	if r.Period == 0 {
		return r.Pattern.String()
	}
	return r.Pattern.String() + " (period " + r.Period.Round(time.Millisecond).String() + ", lit " + r.Lit.Round(time.Millisecond).String() + ")"
}
