package rig

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/padlock-phone/padlock/hw"
)

// Audio is a rig's own sound card wired to the phone's headset: its output
// into the headset adapter's microphone input, the headset output into its
// input (docs/HARDWARE.md). cmd/padlock-rig makes one from media/audio.
type Audio interface {
	Say(pcm []int16, rate int) error
	Heard(ctx context.Context) ([]int16, int, error)
}

// BoardPins are the rig's own lines, one wired to each of the phone's
// buttons and lamps.
type BoardPins map[string]string // "answer", "hangup", "sas", "lock", "alert", "status" -> line name

// BoardRig is the rig of a real board: GPIO lines of a second board (or
// spare lines of the phone's own) wired to the phone's buttons and lamps,
// and a USB audio adapter wired to its headset adapter.
type BoardRig struct {
	lines *Lines
	pins  BoardPins
	audio Audio
}

var _ Rig = (*BoardRig)(nil)

// OpenBoard requests the rig's lines (see OpenLines).
func OpenBoard(pins BoardPins, audio Audio) (*BoardRig, error) {
	var buttons, lamps []string
	for _, b := range hw.Buttons {
		n, ok := pins[b.String()]
		if !ok {
			return nil, fmt.Errorf("no rig line for the %s button", b)
		}
		buttons = append(buttons, n)
	}
	for _, l := range hw.Lamps {
		n, ok := pins[l.String()]
		if !ok {
			return nil, fmt.Errorf("no rig line for the %s lamp", l)
		}
		lamps = append(lamps, n)
	}
	lines, err := OpenLines(buttons, lamps)
	if err != nil {
		return nil, err
	}
	return &BoardRig{lines: lines, pins: pins, audio: audio}, nil
}

// Close releases the lines.
func (r *BoardRig) Close() error { return r.lines.Close() }

// Press implements Rig: the button's line is driven low for hold, then let
// go (a clean edge: the phone's debounce is not exercised by the rig).
func (r *BoardRig) Press(ctx context.Context, b hw.Button, hold time.Duration) error {
	n := r.pins[b.String()]
	if err := r.lines.Drive(n, true); err != nil {
		return err
	}
	t := time.NewTimer(hold)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	if err := r.lines.Drive(n, false); err != nil {
		return err
	}
	return ctx.Err()
}

// Lamps implements Rig: every lamp line's kernel-timestamped edges over the
// window, read at once, classified by Classify.
func (r *BoardRig) Lamps(ctx context.Context, window time.Duration) (map[hw.Lamp]Reading, error) {
	end := time.Now().Add(window)
	var mu sync.Mutex
	var wg sync.WaitGroup
	out := map[hw.Lamp]Reading{}
	var firstErr error
	for _, l := range hw.Lamps {
		wg.Go(func() {
			initial, edges, err := r.lines.Watch(r.pins[l.String()], end)
			var rd Reading
			if err == nil {
				rd, err = Classify(initial, edges, window)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", l, err)
			}
			out[l] = rd
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// Say implements Rig through the rig's sound card.
func (r *BoardRig) Say(pcm []int16, rate int) error { return r.audio.Say(pcm, rate) }

// Heard implements Rig through the rig's sound card.
func (r *BoardRig) Heard(ctx context.Context) ([]int16, int, error) { return r.audio.Heard(ctx) }
