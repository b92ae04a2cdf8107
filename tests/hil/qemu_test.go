package hil

import (
	"context"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/hw"
	"github.com/padlock-phone/padlock/hw/rig"
)

// TestBoardOnKernelGPIO: the phone's hw/gpio board on a real kernel's GPIO
// character device (Debian arm64 under QEMU, lines of gpio-sim): buttons
// pulled down from outside are decoded into short and long presses, and
// every lamp pattern the blinker drives reads back, from the lines' levels,
// as itself within rig.Tolerance.
func TestBoardOnKernelGPIO(t *testing.T) {
	g := BootGuest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	for _, c := range []struct {
		b    hw.Button
		hold time.Duration
		want string
	}{
		{hw.Answer, 150 * time.Millisecond, "rig pressed answer short"},
		{hw.Hangup, 150 * time.Millisecond, "rig pressed hangup short"},
		{hw.SAS, 1500 * time.Millisecond, "rig pressed sas long"},
	} {
		mark := g.Mark()
		g.Press(c.b, c.hold)
		if _, err := g.WaitLine(ctx, mark, "rig pressed", 30*time.Second); err != nil {
			t.Fatal(err)
		}
		if l, _ := g.WaitLine(ctx, mark, "rig pressed", 0); l != c.want {
			t.Errorf("held %s for %v: guest saw %q, want %q", c.b, c.hold, l, c.want)
		}
	}

	for _, c := range []struct {
		lamp hw.Lamp
		p    hw.Pattern
	}{
		{hw.Lock, hw.On}, {hw.Alert, hw.Blink}, {hw.Status, hw.FastBlink}, {hw.Lock, hw.SlowBlink},
	} {
		if err := g.SetLamp(ctx, c.lamp, c.p); err != nil {
			t.Fatal(err)
		}
		got, err := g.Lamps(ctx, rig.MinWindow)
		if err != nil {
			t.Fatalf("after setting %s to %s: %v", c.lamp, c.p, err)
		}
		if got[c.lamp].Pattern != c.p {
			t.Errorf("%s set to %s reads back as %v", c.lamp, c.p, got[c.lamp])
		}
		t.Logf("%s %s: %v", c.lamp, c.p, got[c.lamp])
	}
}
