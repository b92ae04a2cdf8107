package hil

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/hw"
	"github.com/padlock-phone/padlock/hw/rig"
)

// TestQEMURig boots the QEMU rig once: the phone's hw/gpio board on a real
// kernel's GPIO character device (Debian arm64, lines of gpio-sim), then
// the brain on it for the panel part of the desk scenario.
func TestQEMURig(t *testing.T) {
	g := BootGuest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if !t.Run("board", func(t *testing.T) { boardOnKernelGPIO(ctx, t, g) }) {
		return
	}
	t.Run("panel scenario", func(t *testing.T) {
		q := QEMURig{G: g}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		s := &rig.Scenario{Rig: q, Admin: q, Far: q, Window: rig.MinWindow, Wait: time.Minute,
			Log: slog.New(slog.NewTextHandler(t.Output(), nil))}
		steps, err := s.RunPanel(ctx)
		for _, st := range steps {
			t.Logf("%-40s %v", st.Name, st.Took.Round(time.Millisecond))
		}
		if err != nil {
			t.Fatal(err)
		}
	})
}

// boardOnKernelGPIO: buttons pulled down from outside are decoded into
// short and long presses, and every lamp pattern the blinker drives reads
// back, from the lines' levels, as itself within rig.EmulatedTolerance.
func boardOnKernelGPIO(ctx context.Context, t *testing.T, g *Guest) {
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
		// Up to three windows: an emulated guest on a loaded host can
		// stall its timers for longer than any tolerance (every miss is
		// logged, so a drift shows; three in a row fail).
		var misses []string
		for len(misses) < 3 {
			got, err := g.Lamps(ctx, rig.MinWindow)
			if err == nil && got[c.lamp].Pattern == c.p {
				t.Logf("%s %s: %v", c.lamp, c.p, got[c.lamp])
				break
			}
			miss := fmt.Sprint(err)
			if err == nil {
				miss = got[c.lamp].String()
			}
			misses = append(misses, miss)
			t.Logf("%s set to %s: window %d read %s", c.lamp, c.p, len(misses), miss)
		}
		if len(misses) == 3 {
			t.Errorf("%s set to %s never read back as it in 3 windows: %q", c.lamp, c.p, misses)
		}
	}
}
