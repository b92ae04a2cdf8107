package rtp

import (
	"errors"
	"fmt"
	"time"

	pionrtp "github.com/pion/rtp"

	"github.com/padlock-phone/padlock/media/codec"
)

// comfortNoisePT is RFC 3389 comfort noise: played as silence.
const comfortNoisePT = 13

// ErrPayloadType is returned for an RTP packet of a payload type the
// stream did not negotiate.
var ErrPayloadType = errors.New("rtp: payload type not negotiated")

// pcmCap bounds decoded audio waiting to be played: the largest payload
// decoded at G.722's two samples per byte, plus a frame.
const pcmCap = 2*maxPayload + 2*960

// Receiver turns RTP packets from one remote source into 20 ms PCM
// frames: RFC 3550 statistics, the jitter buffer, decoding, loss
// concealment and telephone-events. It is sans-I/O: the caller passes
// packets with their arrival time and pulls frames at playout time.
type Receiver struct {
	format  codec.Format
	dec     codec.Codec
	eventPT uint8
	samples int

	stats sourceStats
	jb    JitterBuffer
	dtmf  dtmfReceiver
	hdr   pionrtp.Header

	pcm  [pcmCap]int16 // decoded, not yet pulled
	pcmN int
	plc  concealer

	// OnDTMF, if set, is called for each received digit.
	OnDTMF func(DTMF)

	rejected uint64 // packets with a wrong payload type or malformed
}

// NewReceiver returns a Receiver for format f decoded by dec, taking
// telephone-events on eventPT.
func NewReceiver(f codec.Format, dec codec.Codec, eventPT uint8) *Receiver {
	r := &Receiver{format: f, dec: dec, eventPT: eventPT, samples: f.Samples(FrameDuration)}
	r.stats.clockRate = f.ClockRate
	r.dtmf.clockHz = f.ClockRate
	r.jb.init(FrameDuration, f.ClockRate)
	r.plc = newConcealer(f.SampleRate)
	return r
}

// FrameSamples is how many samples Pull appends.
func (r *Receiver) FrameSamples() int { return r.samples }

// Packet takes one clear RTP packet that arrived at now.
func (r *Receiver) Packet(pkt []byte, now time.Time) error {
	n, err := r.hdr.Unmarshal(pkt)
	if err != nil {
		r.rejected++
		return fmt.Errorf("rtp: bad RTP header: %w", err)
	}
	payload := pkt[n:]
	if r.hdr.Padding {
		if len(payload) == 0 || int(payload[len(payload)-1]) > len(payload) {
			r.rejected++
			return errors.New("rtp: bad RTP padding")
		}
		payload = payload[:len(payload)-int(payload[len(payload)-1])]
	}
	pt := r.hdr.PayloadType
	audio := pt == r.format.PayloadType
	if !audio && pt != r.eventPT && pt != comfortNoisePT {
		r.rejected++
		return ErrPayloadType
	}
	if r.stats.valid && r.hdr.SSRC != r.stats.ssrc && !audio {
		// Some senders put events under an SSRC of their own: take the
		// digit, but keep the audio source and its buffer.
		if pt == r.eventPT {
			r.dtmf.packet(r.hdr.Timestamp, payload, r.OnDTMF)
		}
		return nil
	}
	if r.stats.valid && r.hdr.SSRC != r.stats.ssrc {
		// A new source: what was buffered belongs to the old one.
		r.jb.Reset()
		r.dec.Reset()
		r.dtmf = dtmfReceiver{clockHz: r.format.ClockRate}
		r.pcmN = 0
		r.plc = newConcealer(r.format.SampleRate)
	}
	r.stats.update(r.hdr.SSRC, r.hdr.SequenceNumber)
	if audio {
		// Jitter from audio only: an event's packets all carry its start
		// time, which would read as jitter.
		r.stats.arrival(r.hdr.Timestamp, now)
		// Audio after a digit whose end packets were all lost ends it.
		r.dtmf.audio(r.hdr.Timestamp, r.OnDTMF)
		r.jb.SetJitter(time.Duration(r.stats.jitterTicks()) * time.Second / time.Duration(r.format.ClockRate))
		r.jb.Insert(r.hdr.SequenceNumber, r.hdr.Timestamp, payload, false, now)
		return nil
	}
	// Events and comfort noise hold their place in the sequence so that
	// the jitter buffer plays silence for them instead of concealing.
	r.jb.Insert(r.hdr.SequenceNumber, r.hdr.Timestamp, nil, true, now)
	if pt == r.eventPT {
		r.dtmf.packet(r.hdr.Timestamp, payload, r.OnDTMF)
	}
	return nil
}

// Pull appends the next 20 ms of audio (FrameSamples samples) to dst:
// decoded packets, concealment for lost ones, silence when there is
// nothing to play.
func (r *Receiver) Pull(dst []int16, now time.Time) []int16 {
	for r.pcmN < r.samples {
		discarded := r.jb.stats.Discarded
		payload, st := r.jb.Next(now)
		switch st {
		case Play:
			if d := r.jb.stats.Discarded; d != discarded {
				// The buffer skipped a packet to cut delay: smooth the
				// jump like the end of a loss.
				r.plc.gap()
			}
			out := r.dec.Decode(r.pcm[r.pcmN:r.pcmN], payload)
			r.plc.good(out)
			r.pcmN += len(out)
		case Lost:
			r.conceal(r.packetSamples())
		case Silent:
			n := min(r.packetSamples(), pcmCap-r.pcmN)
			clear(r.pcm[r.pcmN : r.pcmN+n])
			r.plc.good(r.pcm[r.pcmN : r.pcmN+n])
			r.pcmN += n
		case Wait:
			r.conceal(r.samples - r.pcmN)
		}
		if st == Wait {
			break
		}
	}
	dst = append(dst, r.pcm[:r.samples]...)
	r.pcmN = copy(r.pcm[:], r.pcm[r.samples:r.pcmN])
	return dst
}

// packetSamples is how many samples a missing or silent packet stands
// for: the measured audio per packet.
func (r *Receiver) packetSamples() int {
	n := int(r.jb.PacketDuration() * time.Duration(r.format.SampleRate) / time.Second)
	return max(n, 1)
}

// conceal appends n samples standing in for missing audio (plc.go).
func (r *Receiver) conceal(n int) {
	n = min(n, pcmCap-r.pcmN)
	r.plc.conceal(r.pcm[r.pcmN : r.pcmN+n])
	r.pcmN += n
}

// ReceiverStats is what the receiving side counted.
type ReceiverStats struct {
	SSRC uint32
	// Received, Lost and ExtendedHighestSeq follow RFC 3550 appendix A.3.
	Received           uint32
	Lost               int32
	ExtendedHighestSeq uint32
	// Jitter is the RFC 3550 interarrival jitter.
	Jitter time.Duration
	// Rejected counts packets of a wrong payload type or malformed.
	Rejected uint64
	Buffer   JitterStats
}

// Stats returns the receive statistics.
func (r *Receiver) Stats() ReceiverStats {
	st := ReceiverStats{Rejected: r.rejected, Buffer: r.jb.Stats()}
	if r.stats.valid {
		st.SSRC = r.stats.ssrc
		st.Received = r.stats.received
		st.Lost = r.stats.lost()
		st.ExtendedHighestSeq = r.stats.extendedMax()
		st.Jitter = time.Duration(r.stats.jitterTicks()) * time.Second / time.Duration(r.format.ClockRate)
	}
	return st
}
