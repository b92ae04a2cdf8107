package gpio

import (
	"fmt"
	"strings"

	"github.com/padlock-phone/padlock/hw"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"
)

// Open starts periph.io's host drivers (on Linux the GPIO character device,
// /dev/gpiochip*, through gpioioctl), looks up every pin of pins by name
// (BCM names such as "GPIO17", as the kernel labels the lines of a
// Raspberry Pi) and returns the board New builds on them. Close releases
// the lines. A pin that no GPIO chip offers is an error naming it.
func Open(pins hw.Pins) (*Board, error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("gpio: starting periph.io host drivers: %w", err)
	}
	type want struct {
		what, name string
	}
	buttonNames := map[hw.Button]want{
		hw.Answer: {"ANSWER button", pins.Answer},
		hw.Hangup: {"HANGUP button", pins.Hangup},
		hw.SAS:    {"SAS button", pins.SAS},
	}
	lampNames := map[hw.Lamp]want{
		hw.Lock:   {"LOCK lamp", pins.Lock},
		hw.Alert:  {"ALERT lamp", pins.Alert},
		hw.Status: {"STATUS lamp", pins.Status},
	}
	var missing []string
	lookup := func(w want) gpio.PinIO {
		if w.name == "" {
			missing = append(missing, w.what+" has no pin name")
			return nil
		}
		p := gpioreg.ByName(w.name)
		if p == nil {
			missing = append(missing, fmt.Sprintf("%s pin %q not found", w.what, w.name))
		}
		return p
	}
	buttons := make(map[hw.Button]gpio.PinIn)
	lamps := make(map[hw.Lamp]gpio.PinOut)
	var all []gpio.PinIO
	for _, btn := range hw.Buttons {
		if p := lookup(buttonNames[btn]); p != nil {
			buttons[btn] = p
			all = append(all, p)
		}
	}
	for _, l := range hw.Lamps {
		if p := lookup(lampNames[l]); p != nil {
			lamps[l] = p
			all = append(all, p)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("gpio: %s (%d GPIO lines known; does /dev/gpiochip0 exist and is it readable? "+
			"pins are the kernel's line names, BCM numbering: GPIO17, ...)",
			strings.Join(missing, "; "), len(gpioreg.All()))
	}
	b, err := New(buttons, lamps)
	if err != nil {
		releasePins(all)
		return nil, err
	}
	b.release = func() { releasePins(all) }
	return b, nil
}

// releasePins gives GPIO lines back to the kernel (gpioioctl lines have a
// Close method; other drivers need nothing).
func releasePins(pins []gpio.PinIO) {
	for _, p := range pins {
		if c, ok := p.(interface{ Close() }); ok {
			c.Close()
		}
	}
}
