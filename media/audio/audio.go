package audio

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
)

// FrameDuration is the length of every frame a Stream reads or writes.
const FrameDuration = 20 * time.Millisecond

// Device is a source and sink of call audio. It opens one Stream per call.
type Device interface {
	// Open starts capture and playback at rate (8000 or 16000 Hz), mono
	// int16, in frames of FrameDuration. A device has at most one open
	// stream: a second Open before the first stream's Close fails with
	// ErrBusy.
	Open(rate int) (Stream, error)
	// Name says which device this is, for logs and the web admin.
	Name() string
	// Close closes any open stream and releases the device.
	Close() error
}

// Stream is one call's audio.
type Stream interface {
	// Read blocks until a frame of capture is ready and copies it into
	// frame, whose length must be FrameLen(rate). After Close it returns
	// ErrClosed.
	Read(frame []int16) error
	// Write queues a frame for playback. The queue is bounded: a full
	// queue drops its oldest frame and counts it in Stats.
	Write(frame []int16) error
	// Stats returns the stream's counters so far.
	Stats() Stats
	// Close stops the stream; a Read blocked in it returns ErrClosed.
	Close() error
}

// Stats counts what a stream moved, lost or made up, in samples at the
// call's rate. Only the malgo device counts; null and file streams, which
// lose nothing, report zeros.
type Stats struct {
	// Captured is samples the device recorded; Played, samples it took
	// to play (written ones and silence alike).
	Captured, Played int
	// PlaybackDropped is samples dropped because playback was full (the
	// writer ran ahead of the device).
	PlaybackDropped int
	// PlaybackUnderrun is samples of silence the device played because
	// nothing had been written.
	PlaybackUnderrun int
	// CaptureDropped is samples of capture dropped because nobody read.
	CaptureDropped int
	// Reopens is how often the device was lost and opened again, or
	// switched back to the headset.
	Reopens int
	// DeviceRate is the card's rate (malgo only; the call's rate unless
	// the card refused it), and Period the longest callback seen.
	DeviceRate int
	Period     time.Duration
}

var (
	// ErrClosed is returned by a Stream or Device used after Close.
	ErrClosed = errors.New("audio: closed")
	// ErrBusy is returned by Open while the device's stream is open.
	ErrBusy = errors.New("audio: device already has an open stream; close it first")
)

// FrameLen is the number of samples in one frame at rate.
func FrameLen(rate int) int { return rate * int(FrameDuration/time.Millisecond) / 1000 }

func checkRate(rate int) error {
	if rate != 8000 && rate != 16000 {
		return fmt.Errorf("audio: rate %d Hz: want 8000 or 16000", rate)
	}
	return nil
}

func checkFrame(frame []int16, rate int) error {
	if len(frame) != FrameLen(rate) {
		return fmt.Errorf("audio: frame of %d samples, want %d (20 ms at %d Hz)", len(frame), FrameLen(rate), rate)
	}
	return nil
}

// Options are the settings of Open beyond the spec string.
type Options struct {
	// Headset is the name of the preferred headset (malgo only): a device
	// whose name equals it, or else contains it ignoring case, is used
	// whenever it is plugged in; otherwise the system default device.
	Headset string
	// Clock paces the null and file devices and times the malgo device's
	// reopening; nil means the real clock.
	Clock clockwork.Clock
	// Log receives the malgo device's events (lost, reopened, switched);
	// nil means slog.Default().
	Log *slog.Logger
}

func (o Options) clock() clockwork.Clock {
	if o.Clock == nil {
		return clockwork.NewRealClock()
	}
	return o.Clock
}

func (o Options) log() *slog.Logger {
	if o.Log == nil {
		return slog.Default()
	}
	return o.Log
}

// Open returns the device that spec names, the appliance's -audio flag:
//
//	malgo          the default sound device through miniaudio (ALSA)
//	malgo:NAME     the headset called NAME when plugged in, else the default
//	null           clock-paced silence; playback is discarded
//	file:DIR       capture from DIR/in.wav (silence after its end),
//	               playback to DIR/out.wav
//	file:DIR,loop  the same, with in.wav played in a loop
func Open(spec string) (Device, error) { return OpenWith(spec, Options{}) }

// OpenWith is Open with options.
func OpenWith(spec string, o Options) (Device, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "null":
		if arg != "" {
			break
		}
		return NewNull(o.clock()), nil
	case "file":
		if arg == "" {
			break
		}
		dir, loop := arg, false
		if d, ok := strings.CutSuffix(arg, ",loop"); ok {
			dir, loop = d, true
		}
		return NewFile(dir, FileOptions{Loop: loop, Clock: o.clock()})
	case "malgo":
		if arg != "" {
			o.Headset = arg
		}
		return NewMalgo(MalgoOptions{Headset: o.Headset, Clock: o.clock(), Log: o.log()})
	}
	return nil, fmt.Errorf("audio: device %q: want malgo, malgo:HEADSET, null, file:DIR or file:DIR,loop", spec)
}
