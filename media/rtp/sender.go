package rtp

import (
	"fmt"
	"time"

	pionrtp "github.com/pion/rtp"

	"github.com/padlock-phone/padlock/media/codec"
)

// FrameDuration is the audio carried by one RTP packet (ptime 20).
const FrameDuration = 20 * time.Millisecond

// DefaultEventPT is the dynamic payload type Padlock offers for
// telephone-event/8000 when SDP has not said another.
const DefaultEventPT = 101

// Sender turns 20 ms PCM frames and DTMF digits into RTP packets for one
// SSRC. It is sans-I/O: the caller sends the bytes.
type Sender struct {
	format     codec.Format
	enc        codec.Codec
	eventPT    uint8
	frameTicks uint32
	samples    int

	ssrc    uint32
	seq     uint16
	ts      uint32
	talking bool // the last frame was sent: no marker on the next

	dtmf dtmfSender
	hdr  pionrtp.Header

	// For RTCP sender reports (RFC 3550 section 6.4.1).
	packets, octets uint32
	lastTS          uint32
	lastTime        time.Time
	sentAny         bool
}

// NewSender returns a Sender of format f encoded by enc, with the given
// SSRC and initial sequence number and timestamp (RFC 3550 wants the
// three random). eventPT is the telephone-event payload type.
func NewSender(f codec.Format, enc codec.Codec, eventPT uint8, ssrc uint32, seq uint16, ts uint32) *Sender {
	s := &Sender{
		format:     f,
		enc:        enc,
		eventPT:    eventPT,
		frameTicks: f.ClockTicks(FrameDuration),
		samples:    f.Samples(FrameDuration),
		ssrc:       ssrc,
		seq:        seq,
		ts:         ts,
	}
	s.dtmf.clockHz = f.ClockRate
	s.dtmf.frameDur = FrameDuration
	s.hdr.Version = 2
	s.hdr.SSRC = ssrc
	return s
}

// SSRC is the sender's synchronization source.
func (s *Sender) SSRC() uint32 { return s.ssrc }

// FrameSamples is how many PCM samples Frame takes (160 for PCMU, 320
// for G.722).
func (s *Sender) FrameSamples() int { return s.samples }

// SendDTMF queues digits (0-9, *, #, A-D), each held for the given
// duration (clamped to 40 ms..5 s); they replace the audio of the next
// frames.
func (s *Sender) SendDTMF(digits string, each time.Duration) error {
	return s.dtmf.enqueue(digits, each)
}

// Frame appends to dst the RTP packet for the next 20 ms: the encoded pcm
// (FrameSamples samples), or a telephone-event packet while a digit is
// being sent. A nil pcm means nothing to send (muted, or clear audio not
// allowed): the timestamp advances, nothing is appended, and the next
// audio packet starts a talkspurt with the marker bit.
func (s *Sender) Frame(dst []byte, pcm []int16, now time.Time) ([]byte, error) {
	ts := s.ts
	s.ts += s.frameTicks
	if s.dtmf.busy(ts) {
		return s.event(dst, now), nil
	}
	if pcm == nil {
		s.talking = false
		return dst, nil
	}
	if len(pcm) != s.samples {
		return dst, fmt.Errorf("rtp: frame of %d samples, %s needs %d per 20 ms", len(pcm), s.format.Name, s.samples)
	}
	s.hdr.PayloadType = s.format.PayloadType
	s.hdr.Marker = !s.talking
	s.hdr.Timestamp = ts
	s.talking = true
	start := len(dst)
	dst = s.header(dst)
	hl := len(dst) - start
	dst = s.enc.Encode(dst, pcm)
	s.count(len(dst)-start-hl, ts, now)
	return dst, nil
}

// Skip lets 20 ms pass without sending anything, not even a queued
// digit: used while policy forbids clear media. The next audio packet
// starts a talkspurt.
func (s *Sender) Skip() {
	s.ts += s.frameTicks
	s.talking = false
}

// event writes the current digit's next telephone-event packet. Its
// timestamp is the tone's start for every packet (RFC 4733 section
// 2.5.1.2); the first has the marker.
func (s *Sender) event(dst []byte, now time.Time) []byte {
	start := len(dst)
	s.hdr.PayloadType = s.eventPT
	s.hdr.Timestamp = s.dtmf.startTS
	s.hdr.Marker = s.dtmf.frames == 0
	dst = s.header(dst)
	hl := len(dst) - start
	dst, _ = s.dtmf.next(dst, s.frameTicks)
	s.count(len(dst)-start-hl, s.ts-s.frameTicks, now)
	// Audio after a digit resumes within the talkspurt: no marker.
	return dst
}

// header appends the 12-byte fixed header and advances the sequence number.
func (s *Sender) header(dst []byte) []byte {
	s.hdr.SequenceNumber = s.seq
	s.seq++
	m := byte(0)
	if s.hdr.Marker {
		m = 0x80
	}
	return append(dst,
		0x80, m|s.hdr.PayloadType&0x7f,
		byte(s.hdr.SequenceNumber>>8), byte(s.hdr.SequenceNumber),
		byte(s.hdr.Timestamp>>24), byte(s.hdr.Timestamp>>16), byte(s.hdr.Timestamp>>8), byte(s.hdr.Timestamp),
		byte(s.ssrc>>24), byte(s.ssrc>>16), byte(s.ssrc>>8), byte(s.ssrc))
}

func (s *Sender) count(payload int, ts uint32, now time.Time) {
	s.packets++
	s.octets += uint32(payload)
	s.lastTS, s.lastTime, s.sentAny = ts, now, true
}

// rtpTimeAt extrapolates the RTP timestamp at now from the last packet,
// for the sender report.
func (s *Sender) rtpTimeAt(now time.Time) uint32 {
	return s.lastTS + uint32(ticks(now, s.format.ClockRate)-ticks(s.lastTime, s.format.ClockRate))
}
