package rtp

import (
	"errors"
	"net"
)

// AudioIO is the headset side of a call, as media/audio.Stream offers it:
// Read blocks until 20 ms of capture is ready, Write queues 20 ms for
// playback.
type AudioIO interface {
	Read(frame []int16) error
	Write(frame []int16) error
}

// ErrClosed is returned by Run once the Stream is closed.
var ErrClosed = errors.New("rtp: stream closed")

// Run moves a call's audio between the headset and the stream, paced by
// the headset's capture clock: each captured frame is sent, and one frame
// of received audio is played for it. It returns the audio side's error,
// or ErrClosed after Close. The frames must be FrameSamples long, so the
// audio must run at the format's SampleRate.
func (s *Stream) Run(a AudioIO) error {
	in := make([]int16, s.FrameSamples())
	out := make([]int16, 0, s.FrameSamples())
	for {
		if err := a.Read(in); err != nil {
			return err
		}
		select {
		case <-s.done:
			return ErrClosed
		default:
		}
		if err := s.WriteFrame(in); errors.Is(err, net.ErrClosed) {
			return ErrClosed
		}
		// Other send errors (a full socket buffer) lose this packet only;
		// the receiver conceals it.
		out = s.ReadFrame(out[:0])
		if err := a.Write(out); err != nil {
			return err
		}
	}
}
