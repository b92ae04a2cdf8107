// Package headset shares the phone's one headset between the things that
// need it: the current call's audio, and the prompts and tones the phone
// plays on top (ring tone, the SAS read aloud, warnings). It opens the
// audio stream only while something needs it, at the rate of the call
// (or 16 kHz for prompts alone), and runs one pump goroutine that moves
// 20 ms frames between the headset and the call and mixes prompts in.
package headset

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/padlock-phone/padlock/media/audio"
)

// CallAudio is a call's media as the headset sees it: microphone frames go
// in, frames for the ear come out, FrameSamples at Rate.
type CallAudio interface {
	Rate() int
	WriteFrame(pcm []int16) error
	ReadFrame(dst []int16) []int16
}

// Sound renders a prompt or tone at a rate (8000 or 16000 Hz).
type Sound func(rate int) []int16

// promptRate is the rate used when no call is attached.
const promptRate = 16000

// Headset is safe for concurrent use.
type Headset struct {
	dev audio.Device
	log *slog.Logger

	mu      sync.Mutex
	call    CallAudio
	ring    Sound // looped while set
	ringPCM []int16
	ringPos int
	queue   []Sound // prompts waiting, the first one playing
	playing []int16
	playPos int
	rate    int
	stream  audio.Stream
	wg      sync.WaitGroup
	closed  bool

	volume, mic atomic.Int32 // Level.q12 of the ear and of the microphone (SetLevels)
}

// New wraps an audio device. Nothing is opened until needed.
func New(dev audio.Device, log *slog.Logger) *Headset {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Headset{dev: dev, log: log}
	h.SetLevels(Unity, Unity)
	return h
}

// Attach makes c the call the headset talks to, replacing any other; the
// returned function detaches it (if it is still the attached one).
func (h *Headset) Attach(c CallAudio) (detach func()) {
	h.mu.Lock()
	h.call = c
	h.update()
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		if h.call == c {
			h.call = nil
			h.update()
		}
		h.mu.Unlock()
	}
}

// Ring starts (with a tone) or stops (nil) the ring tone, looped.
func (h *Headset) Ring(tone Sound) {
	h.mu.Lock()
	h.ring, h.ringPCM, h.ringPos = tone, nil, 0
	h.update()
	h.mu.Unlock()
}

// Play queues a prompt; prompts play one after the other, over the call.
func (h *Headset) Play(s Sound) {
	h.mu.Lock()
	h.queue = append(h.queue, s)
	h.update()
	h.mu.Unlock()
}

// Busy reports whether the headset stream is open.
func (h *Headset) Busy() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stream != nil
}

// Close stops the pump and closes the stream (not the device).
func (h *Headset) Close() error {
	h.mu.Lock()
	h.closed = true
	h.call, h.ring, h.queue = nil, nil, nil
	h.update()
	h.mu.Unlock()
	h.wg.Wait()
	return nil
}

// wanted is the rate the stream should run at, 0 for closed; h.mu held.
func (h *Headset) wanted() int {
	switch {
	case h.closed:
		return 0
	case h.call != nil:
		return h.call.Rate()
	case h.ring != nil || len(h.queue) > 0 || h.playing != nil:
		return promptRate
	}
	return 0
}

// update opens, reopens or closes the stream to match what is wanted;
// h.mu held. The pump owns a stream once started and closes it itself when
// it sees it is no longer wanted.
func (h *Headset) update() {
	want := h.wanted()
	if h.stream != nil {
		if want == h.rate {
			return
		}
		// Rate change or nothing left to do: the pump notices on its next
		// frame (within 20 ms) and exits; Close unblocks its Read.
		h.stream.Close()
		h.stream = nil
	}
	if want == 0 {
		return
	}
	st, err := h.dev.Open(want)
	if errors.Is(err, audio.ErrBusy) {
		// The old pump has not closed its stream yet: wait for it.
		h.mu.Unlock()
		h.wg.Wait()
		h.mu.Lock()
		if h.stream != nil || h.wanted() != want {
			return
		}
		st, err = h.dev.Open(want)
	}
	if err != nil {
		h.log.Warn("headset could not be opened", "rate", want, "err", err)
		return
	}
	h.stream, h.rate = st, want
	h.playing, h.playPos, h.ringPCM, h.ringPos = nil, 0, nil, 0
	h.wg.Add(1)
	go h.pump(st, want)
}

// pump moves frames until its stream is closed or replaced.
func (h *Headset) pump(st audio.Stream, rate int) {
	defer h.wg.Done()
	defer st.Close()
	n := audio.FrameLen(rate)
	mic := make([]int16, n)
	ear := make([]int16, 0, n)
	for {
		if err := st.Read(mic); err != nil {
			return
		}
		h.mu.Lock()
		if h.stream != st {
			h.mu.Unlock()
			return
		}
		c := h.call
		h.mu.Unlock()

		ear = ear[:0]
		if c != nil {
			scale(mic, h.mic.Load())
			if err := c.WriteFrame(mic); err != nil {
				h.log.Debug("call refused a frame", "err", err)
			}
			ear = c.ReadFrame(ear)
		}
		for len(ear) < n {
			ear = append(ear, 0)
		}
		h.mu.Lock()
		done := h.mix(ear[:n], rate)
		scale(ear[:n], h.volume.Load())
		if done && h.stream == st && h.wanted() == 0 {
			// Nothing left to play or hear: let the device rest.
			h.stream = nil
			h.mu.Unlock()
			st.Write(ear[:n])
			return
		}
		h.mu.Unlock()
		if err := st.Write(ear[:n]); err != nil {
			return
		}
	}
}

// mix adds the ring tone and the current prompt into frame; it reports
// whether no sound is left to play. h.mu held.
func (h *Headset) mix(frame []int16, rate int) bool {
	if h.ring != nil {
		if h.ringPCM == nil {
			h.ringPCM = h.ring(rate)
		}
		if len(h.ringPCM) > 0 {
			for i := range frame {
				frame[i] = add(frame[i], h.ringPCM[h.ringPos])
				h.ringPos = (h.ringPos + 1) % len(h.ringPCM)
			}
		}
	}
	for i := 0; i < len(frame); {
		if h.playing == nil {
			if len(h.queue) == 0 {
				break
			}
			h.playing, h.playPos = h.queue[0](rate), 0
			h.queue = h.queue[1:]
		}
		for ; i < len(frame) && h.playPos < len(h.playing); i, h.playPos = i+1, h.playPos+1 {
			frame[i] = add(frame[i], h.playing[h.playPos])
		}
		if h.playPos >= len(h.playing) {
			h.playing = nil
		}
	}
	return h.ring == nil && h.playing == nil && len(h.queue) == 0
}

// add mixes two samples, saturating instead of wrapping.
func add(a, b int16) int16 {
	s := int32(a) + int32(b)
	return int16(max(min(s, 32767), -32768))
}
