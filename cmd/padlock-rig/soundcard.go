package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/padlock-phone/padlock/media/audio"
)

// cardRate is the rig's sound card rate: the phone's own prompt rate.
const cardRate = 16000

// keepHeard is how much of what the rig hears it keeps: a minute.
const keepHeard = 60 * cardRate

// soundcard is rig.Audio on a media/audio device: what it captures is what
// the phone's headset played; what it plays goes into the headset's mic.
type soundcard struct {
	dev audio.Device
	st  audio.Stream

	mu    sync.Mutex
	say   []int16
	pos   int
	heard []int16
	err   error
	done  chan struct{}
}

func openSoundcard(spec string, log *slog.Logger) (*soundcard, error) {
	dev, err := audio.OpenWith(spec, audio.Options{Log: log.With("part", "rig audio")})
	if err != nil {
		return nil, fmt.Errorf("-audio %q: %w", spec, err)
	}
	st, err := dev.Open(cardRate)
	if err != nil {
		dev.Close()
		return nil, fmt.Errorf("-audio %q: %w", spec, err)
	}
	c := &soundcard{dev: dev, st: st, done: make(chan struct{})}
	go c.pump()
	return c, nil
}

func (c *soundcard) pump() {
	defer close(c.done)
	n := audio.FrameLen(cardRate)
	in, out := make([]int16, n), make([]int16, n)
	for {
		if err := c.st.Read(in); err != nil {
			if !errors.Is(err, audio.ErrClosed) {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
			}
			return
		}
		c.mu.Lock()
		c.heard = append(c.heard, in...)
		if len(c.heard) > keepHeard {
			c.heard = append(c.heard[:0], c.heard[len(c.heard)-keepHeard:]...)
		}
		clear(out)
		for i := range out {
			if len(c.say) == 0 {
				break
			}
			out[i] = c.say[c.pos]
			c.pos = (c.pos + 1) % len(c.say)
		}
		c.mu.Unlock()
		if err := c.st.Write(out); err != nil {
			return
		}
	}
}

// Say implements rig.Audio: pcm, looped, from the next frame on.
func (c *soundcard) Say(pcm []int16, rate int) error {
	if rate != cardRate {
		return fmt.Errorf("rig audio: %d Hz, want %d", rate, cardRate)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.say, c.pos = append([]int16(nil), pcm...), 0
	return nil
}

// Heard implements rig.Audio: the last minute the card captured.
func (c *soundcard) Heard(ctx context.Context) ([]int16, int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int16(nil), c.heard...), cardRate, c.err
}

func (c *soundcard) Close() error {
	c.st.Close()
	<-c.done
	return c.dev.Close()
}
