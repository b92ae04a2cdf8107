package rtp

import (
	"encoding/binary"
	"fmt"
	"time"
)

// DTMF is one digit received as RFC 4733 telephone-events.
type DTMF struct {
	// Digit is one of 0-9, *, #, A-D.
	Digit rune
	// Duration is how long the sender held the key.
	Duration time.Duration
}

const dtmfDigits = "0123456789*#ABCD"

// dtmfEvent maps a digit to its RFC 4733 event code (section 3.2).
func dtmfEvent(d rune) (uint8, bool) {
	if d >= 'a' && d <= 'd' {
		d -= 'a' - 'A'
	}
	for i, c := range dtmfDigits {
		if c == d {
			return uint8(i), true
		}
	}
	return 0, false
}

// dtmfVolume is the power level put in event packets: -10 dBm0, a usual
// DTMF level (RFC 4733 section 2.3.4 carries it as 0..63, negated).
const dtmfVolume = 10

// Limits of one digit: long enough for any receiver to see it, short
// enough that a 16-bit duration never overflows at 8 kHz (8.19 s).
const (
	minDTMF = 40 * time.Millisecond
	maxDTMF = 5 * time.Second
	// dtmfEndCopies is how often the final packet goes out (RFC 4733
	// section 2.5.1.4: three times, at the update interval).
	dtmfEndCopies = 3
	// dtmfGapFrames of audio (or silence) separate two digits after the
	// last end packet.
	dtmfGapFrames = 1
)

// dtmfPayload writes a telephone-event payload (RFC 4733 section 2.3).
func dtmfPayload(dst []byte, event uint8, end bool, duration uint16) []byte {
	b := byte(dtmfVolume)
	if end {
		b |= 0x80
	}
	dst = append(dst, event, b, 0, 0)
	binary.BigEndian.PutUint16(dst[len(dst)-2:], duration)
	return dst
}

// dtmfSender sends queued digits one after another, one packet per frame.
type dtmfSender struct {
	queue    []dtmfTone
	active   bool
	tone     dtmfTone
	startTS  uint32
	frames   int // frames sent of the current tone, end copies included
	gap      int // frames still to wait before the next tone
	clockHz  int
	frameDur time.Duration
}

type dtmfTone struct {
	event  uint8
	frames int // frames the key is held
}

func (d *dtmfSender) enqueue(digits string, each time.Duration) error {
	each = min(max(each, minDTMF), maxDTMF)
	frames := int((each + d.frameDur - 1) / d.frameDur)
	tones := make([]dtmfTone, 0, len(digits))
	for _, r := range digits {
		ev, ok := dtmfEvent(r)
		if !ok {
			return fmt.Errorf("rtp: %q is not a DTMF digit: use 0-9, *, #, A-D", r)
		}
		tones = append(tones, dtmfTone{event: ev, frames: frames})
	}
	d.queue = append(d.queue, tones...)
	return nil
}

// busy reports whether the next frame is a telephone-event packet; it
// starts the next queued tone at timestamp ts when it is time.
func (d *dtmfSender) busy(ts uint32) bool {
	if d.active {
		return true
	}
	if d.gap > 0 {
		d.gap--
		return false
	}
	if len(d.queue) == 0 {
		return false
	}
	d.tone = d.queue[0]
	d.queue = d.queue[1:]
	d.active, d.startTS, d.frames = true, ts, 0
	return true
}

// next writes the payload of the current tone's next packet and tells
// whether it is the first (marker) packet.
func (d *dtmfSender) next(dst []byte, frameTicks uint32) (payload []byte, first bool) {
	d.frames++
	held := min(d.frames, d.tone.frames)
	end := d.frames >= d.tone.frames
	dur := uint16(uint32(held) * frameTicks)
	if d.frames >= d.tone.frames+dtmfEndCopies-1 {
		d.active = false
		d.gap = dtmfGapFrames
	}
	return dtmfPayload(dst, d.tone.event, end, dur), d.frames == 1
}

// dtmfReceiver turns telephone-event packets into digits: an event is
// known by its RTP timestamp, reported once when its end packet comes (the
// repeats are ignored), or when a new event or audio follows an event
// whose end packets were all lost.
type dtmfReceiver struct {
	have    bool
	ts      uint32
	event   uint8
	ended   bool
	dur     uint16
	clockHz int
}

func (d *dtmfReceiver) packet(ts uint32, p []byte, emit func(DTMF)) {
	if len(p) < 4 || p[0] >= uint8(len(dtmfDigits)) {
		return // not a DTMF event (RFC 4733 has others): ignore
	}
	end := p[1]&0x80 != 0
	dur := binary.BigEndian.Uint16(p[2:4])
	if !d.have || ts != d.ts {
		if d.have && !d.ended {
			d.emit(emit)
		}
		*d = dtmfReceiver{have: true, ts: ts, event: p[0], clockHz: d.clockHz}
	}
	if d.ended {
		return
	}
	d.dur = max(d.dur, dur)
	if end {
		d.ended = true
		d.emit(emit)
	}
}

// audio is told the timestamp of each audio packet: audio from well
// after an unfinished event's known duration means its end packets were
// lost. The 60 ms margin lets senders that keep audio flowing during an
// event (RFC 4733 allows it) get their updates in first.
func (d *dtmfReceiver) audio(ts uint32, emit func(DTMF)) {
	margin := int32(d.clockHz * 60 / 1000)
	if d.have && !d.ended && int32(ts-d.ts) > int32(d.dur)+margin {
		d.ended = true
		d.emit(emit)
	}
}

func (d *dtmfReceiver) emit(emit func(DTMF)) {
	if emit == nil || d.clockHz == 0 {
		return
	}
	emit(DTMF{
		Digit:    rune(dtmfDigits[d.event]),
		Duration: time.Duration(d.dur) * time.Second / time.Duration(d.clockHz),
	})
}
