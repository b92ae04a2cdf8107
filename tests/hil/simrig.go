package hil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/padlock-phone/padlock/hw"
	"github.com/padlock-phone/padlock/hw/rig"
	"github.com/padlock-phone/padlock/media/audio"
)

// SimRig is the rig of an appliance with -board sim and a file headset: it
// presses buttons through the web admin's simulated panel, measures the
// lamps from the edges the simulated pins log (-sim-lamp-edges), plays into
// the headset by writing its in.wav and listens by reading its out.wav.
type SimRig struct {
	App   *Appliance
	Admin *rig.Admin // logged in: the panel is behind the master password
}

var _ rig.Rig = (*SimRig)(nil)

// Press implements rig.Rig: the panel's press runs on the appliance's
// simulated pins; it returns once the hold is over.
func (r *SimRig) Press(ctx context.Context, b hw.Button, hold time.Duration) error {
	if err := r.Admin.Press(ctx, b.String(), hold); err != nil {
		return err
	}
	select {
	case <-time.After(hold):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Lamps implements rig.Rig: the lamps' edges over the window, as the
// appliance's simulated pins made them (-sim-lamp-edges), classified by
// rig.Classify like a kernel line's.
func (r *SimRig) Lamps(ctx context.Context, window time.Duration) (map[hw.Lamp]rig.Reading, error) {
	start := time.Now()
	select {
	case <-time.After(window):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	b, err := os.ReadFile(r.App.Edges)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	initial := map[hw.Lamp]bool{}
	edges := map[hw.Lamp][]rig.Edge{}
	for line := range strings.Lines(string(b)) {
		var name string
		var level int
		var ns int64
		if _, err := fmt.Sscanf(line, "%s %d %d", &name, &level, &ns); err != nil {
			continue // a line being written as we read
		}
		l, ok := lampNamed(name)
		if !ok {
			return nil, fmt.Errorf("lamp edge log: unknown lamp %q", name)
		}
		at := time.Unix(0, ns).Sub(start)
		switch {
		case at < 0:
			initial[l] = level == 1
		case at < window:
			edges[l] = append(edges[l], rig.Edge{At: at, High: level == 1})
		}
	}
	out := map[hw.Lamp]rig.Reading{}
	for _, l := range hw.Lamps {
		rd, err := rig.Classify(initial[l], edges[l], window)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l, err)
		}
		out[l] = rd
	}
	return out, nil
}

func lampNamed(s string) (hw.Lamp, bool) {
	for _, l := range hw.Lamps {
		if l.String() == s {
			return l, true
		}
	}
	return 0, false
}

// Say implements rig.Rig: the file headset reads in.wav (looped) when its
// stream next opens, so Say must come before the call it is for.
func (r *SimRig) Say(pcm []int16, rate int) error {
	tmp := filepath.Join(r.App.Ear, "in.wav.tmp")
	w, err := audio.CreateWAV(tmp, rate)
	if err != nil {
		return err
	}
	if err := w.Write(pcm); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(r.App.Ear, "in.wav"))
}

// Heard implements rig.Rig: out.wav as the file headset has written it so
// far (it starts afresh whenever the headset's stream opens).
func (r *SimRig) Heard(ctx context.Context) ([]int16, int, error) {
	return audio.ReadWAV(filepath.Join(r.App.Ear, "out.wav"))
}
