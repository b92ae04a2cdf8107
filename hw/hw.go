// Package hw holds the plain data types shared by the phone brain and the
// board drivers (hw/gpio, hw/sim): which button, which lamp, which pattern.
// It imports nothing of ours, so drivers never need to import phone.
package hw

import (
	"fmt"
	"time"
)

// Button is one of the three physical buttons.
type Button uint8

const (
	Answer Button = iota // answer a ringing call, or redial the last number
	Hangup               // hang up, reject a ringing call, cancel dialing
	SAS                  // short: repeat the SAS aloud; long: confirm it
)

// Buttons lists every button, in panel order.
var Buttons = []Button{Answer, Hangup, SAS}

func (b Button) String() string {
	switch b {
	case Answer:
		return "answer"
	case Hangup:
		return "hangup"
	case SAS:
		return "sas"
	}
	return fmt.Sprintf("button(%d)", uint8(b))
}

// ParseButton is the inverse of Button.String.
func ParseButton(s string) (Button, error) {
	for _, b := range Buttons {
		if b.String() == s {
			return b, nil
		}
	}
	return 0, fmt.Errorf("unknown button %q (want answer, hangup or sas)", s)
}

// LongPress is how long a button must be held to count as a long press.
const LongPress = time.Second

// OwnerHold is how long a button held on and on reports a second, "owner"
// press (Press.Owner): HANGUP and SAS held together this long clear the
// web admin's login throttle (docs/SECURITY.md), which no one on the
// network can do.
const OwnerHold = 5 * time.Second

// Debounce is how long a level must hold still before it counts.
const Debounce = 20 * time.Millisecond

// Press is one debounced button press, short or long.
type Press struct {
	Button Button
	Long   bool
	// Owner: the button has now been held OwnerHold (it already reported
	// its long press at LongPress; this is one more report of that hold).
	Owner bool
}

func (p Press) String() string {
	if p.Owner {
		return p.Button.String() + " (held 5 s)"
	}
	if p.Long {
		return p.Button.String() + " (long)"
	}
	return p.Button.String()
}

// Lamp is one of the LEDs.
type Lamp uint8

const (
	Lock   Lamp = iota // green: call secured (blink) / SAS verified (on)
	Alert              // red: call not encrypted, ZRTP failed, key changed (on); vault locked (blink)
	Status             // ringing (fast), unread (slow), registered (on)
)

// Lamps lists every lamp, in panel order.
var Lamps = []Lamp{Lock, Alert, Status}

func (l Lamp) String() string {
	switch l {
	case Lock:
		return "lock"
	case Alert:
		return "alert"
	case Status:
		return "status"
	}
	return fmt.Sprintf("lamp(%d)", uint8(l))
}

// Pattern is what a lamp does over time.
type Pattern uint8

const (
	Off       Pattern = iota
	On                //
	Blink             // 1 Hz, half on
	FastBlink         // 4 Hz, half on: ringing
	SlowBlink         // a short flash every 2 s: something waits
)

func (p Pattern) String() string {
	switch p {
	case Off:
		return "off"
	case On:
		return "on"
	case Blink:
		return "blink"
	case FastBlink:
		return "fast"
	case SlowBlink:
		return "slow"
	}
	return fmt.Sprintf("pattern(%d)", uint8(p))
}

// Level reports whether a lamp showing p is lit at time t since the pattern
// started. It is the one definition of every pattern's timing; the blinker
// and the web panel's animation both follow it.
func (p Pattern) Level(t time.Duration) bool {
	period, lit := p.shape()
	if period == 0 {
		return p == On
	}
	return t%period < lit
}

// Until is how long after t (since the pattern started) a lamp showing p
// next changes level; zero for Off and On, which never do. The blinker
// sleeps that long instead of polling.
func (p Pattern) Until(t time.Duration) time.Duration {
	period, lit := p.shape()
	if period == 0 {
		return 0
	}
	in := t % period
	if in < lit {
		return lit - in
	}
	return period - in
}

// shape is a blinking pattern's period and the lit part at its start;
// zero for the steady ones.
func (p Pattern) shape() (period, lit time.Duration) {
	switch p {
	case Blink:
		return time.Second, 500 * time.Millisecond
	case FastBlink:
		return 250 * time.Millisecond, 125 * time.Millisecond
	case SlowBlink:
		return 2 * time.Second, 200 * time.Millisecond
	}
	return 0, 0
}

// Pins names the BCM GPIO lines of the board, as the gpio driver looks them up.
type Pins struct {
	Answer, Hangup, SAS string // buttons: active low, internal pull-up
	Lock, Alert, Status string // lamps: active high through a resistor
}

// DefaultPins is the wiring of docs/HARDWARE.md.
func DefaultPins() Pins {
	return Pins{
		Answer: "GPIO17", Hangup: "GPIO27", SAS: "GPIO22",
		Lock: "GPIO5", Alert: "GPIO6", Status: "GPIO13",
	}
}
