package rtp

import "time"

// ringSize is how many packets the jitter buffer can hold: 64 packets of
// 20 ms are 1.28 s, far beyond the 60 ms target ceiling, so only a sender
// restart or a wild jump overflows it.
const ringSize = 64

// maxPayload bounds one stored payload: 60 ms of any of the 64 kbit/s
// codecs is 480 bytes; a full Ethernet datagram minus headers fits.
const maxPayload = 1460

// Status is what JitterBuffer.Next has for the caller.
type Status uint8

// The outcomes of JitterBuffer.Next.
const (
	// Wait: nothing to play yet (buffering to the target) or the buffer
	// ran dry; the caller conceals without consuming a packet.
	Wait Status = iota
	// Play: the returned payload is the next packet's.
	Play
	// Lost: the next packet is missing while later ones are here; the
	// caller conceals one packet's worth.
	Lost
	// Silent: the next packet carries no audio (a telephone-event packet
	// in the audio's sequence space); play silence.
	Silent
)

// Insert outcomes.
const (
	Stored    InsertResult = iota // kept for playout
	Late                          // its turn has passed; dropped
	Duplicate                     // already buffered; dropped
	TooBig                        // payload over maxPayload; dropped
	Resync                        // a sequence jump: buffer restarted with this packet
)

// InsertResult says what JitterBuffer.Insert did with a packet.
type InsertResult uint8

type slot struct {
	filled bool
	silent bool
	seq    int64
	n      int
	buf    [maxPayload]byte
}

// JitterStats counts what the jitter buffer did.
type JitterStats struct {
	Played, Concealed, Late, Duplicates, Discarded, Resyncs, Underruns uint64
	// Target is the playout delay the buffer aims for now.
	Target time.Duration
}

// JitterBuffer reorders packets by sequence number and releases them one
// by one at the pace of the caller (the audio device's clock), holding
// about Target of audio in reserve. The target follows the measured
// interarrival jitter: three times it but at least 20 ms, plus a packet
// for each recent late arrival, at most 60 ms. When the buffer holds more than the target plus
// two packets it drops the oldest; when it runs dry it waits to refill to
// the target, which is how the delay grows after a jitter spike.
//
// It is sans-I/O: the caller passes the arrival and playout times.
type JitterBuffer struct {
	slots     [ringSize]slot
	frame     time.Duration // nominal packet duration (ptime)
	clockRate int
	pkt       time.Duration // measured audio per packet, from timestamps
	minTarget time.Duration
	maxTarget time.Duration
	jitter    time.Duration
	lateBoost time.Duration

	// The last audio packet with the highest sequence number, for pkt.
	haveLastAudio bool
	lastAudioExt  int64
	lastAudioTS   uint32

	anchored  bool // playSeq is meaningful
	started   bool // something was played since the anchor
	playing   bool // not buffering
	playSeq   int64
	highest   int64
	count     int
	fillStart time.Time // arrival of the first packet since the buffer was empty

	stats JitterStats
}

// NewJitterBuffer returns a buffer for packets of nominally frame
// duration each, with RTP timestamps at clockRate Hz. The real duration
// per packet is measured from the timestamps, since peers choose their
// own packet sizes.
func NewJitterBuffer(frame time.Duration, clockRate int) *JitterBuffer {
	j := &JitterBuffer{}
	j.init(frame, clockRate)
	return j
}

func (j *JitterBuffer) init(frame time.Duration, clockRate int) {
	j.frame = frame
	j.pkt = frame
	j.clockRate = clockRate
	j.minTarget = 20 * time.Millisecond
	j.maxTarget = 60 * time.Millisecond
	j.stats.Target = j.minTarget
}

// Reset empties the buffer, as for a new source.
func (j *JitterBuffer) Reset() {
	for i := range j.slots {
		j.slots[i].filled = false
	}
	j.anchored, j.started, j.playing = false, false, false
	j.haveLastAudio = false
	j.count = 0
}

// SetJitter feeds the current interarrival jitter estimate.
func (j *JitterBuffer) SetJitter(d time.Duration) {
	j.jitter = d
	j.retarget()
}

func (j *JitterBuffer) retarget() {
	j.stats.Target = min(max(3*j.jitter, j.minTarget)+j.lateBoost, j.maxTarget)
}

// Stats returns the counters and the current target.
func (j *JitterBuffer) Stats() JitterStats { return j.stats }

// extend turns a 16-bit sequence number into a 64-bit one near the
// highest seen.
func (j *JitterBuffer) extend(seq uint16) int64 {
	if !j.anchored {
		return int64(seq)
	}
	return j.highest + int64(int16(seq-uint16(j.highest)))
}

// PacketDuration is the measured audio per packet.
func (j *JitterBuffer) PacketDuration() time.Duration { return j.pkt }

// Insert stores a packet's payload (copied) under its sequence number and
// RTP timestamp. An empty payload with silent set stands for a packet
// without audio (its timestamp is not used).
func (j *JitterBuffer) Insert(seq uint16, ts uint32, payload []byte, silent bool, now time.Time) InsertResult {
	if len(payload) > maxPayload {
		j.stats.Discarded++
		return TooBig
	}
	ext := j.extend(seq)
	res := Stored
	switch {
	case !j.anchored:
		j.anchor(ext)
	case ext < j.playSeq && j.started && j.playSeq-ext > maxMisorder:
		// Far behind: the sender restarted its numbering. Start over.
		j.Reset()
		j.anchor(ext)
		j.stats.Resyncs++
		res = Resync
	case ext < j.playSeq && j.started:
		j.stats.Late++
		// A late packet means the delay was too short: raise the target
		// by a packet; the boost decays while playout goes smoothly.
		j.lateBoost = min(j.lateBoost+j.frame, j.maxTarget)
		j.retarget()
		return Late
	case ext < j.playSeq:
		// Still buffering the first packets: an earlier one arrived
		// after a later one. Move the start back if it fits.
		if j.highest-ext >= ringSize {
			j.stats.Late++
			return Late
		}
		j.playSeq = ext
	case ext-j.playSeq >= ringSize:
		// Far ahead: the sender restarted or jumped. Start over.
		j.Reset()
		j.anchor(ext)
		j.stats.Resyncs++
		res = Resync
	}
	s := &j.slots[ext&(ringSize-1)]
	if s.filled && s.seq == ext {
		j.stats.Duplicates++
		return Duplicate
	}
	if !s.filled {
		j.count++
	}
	if j.count == 1 {
		j.fillStart = now
	}
	s.filled, s.silent, s.seq = true, silent, ext
	s.n = copy(s.buf[:], payload)
	j.highest = max(j.highest, ext)
	if !silent {
		j.measure(ext, ts)
	}
	return res
}

// measure updates the audio per packet from the timestamp step between
// this packet and the previous newest one: an average, since some peers
// alternate packet sizes. Steps across a pause in sending (a jump of
// seconds) or from reordered packets are not packet sizes and are left
// out.
func (j *JitterBuffer) measure(ext int64, ts uint32) {
	if j.haveLastAudio && ext > j.lastAudioExt {
		dseq := ext - j.lastAudioExt
		dts := int64(int32(ts - j.lastAudioTS))
		if dseq <= 8 && dts > 0 && j.clockRate > 0 {
			d := time.Duration(dts) * time.Second / time.Duration(j.clockRate) / time.Duration(dseq)
			if d <= 120*time.Millisecond {
				j.pkt = (7*j.pkt + d) / 8
			}
		}
	}
	if !j.haveLastAudio || ext > j.lastAudioExt {
		j.haveLastAudio, j.lastAudioExt, j.lastAudioTS = true, ext, ts
	}
}

func (j *JitterBuffer) anchor(ext int64) {
	j.anchored, j.started, j.playing = true, false, false
	j.playSeq, j.highest = ext, ext
}

// depth is how much audio is between the play position and the newest
// packet, counting gaps.
func (j *JitterBuffer) depth() time.Duration {
	if j.count == 0 {
		return 0
	}
	return time.Duration(j.highest-j.playSeq+1) * j.pkt
}

// Next releases the next packet at playout time now. The returned payload
// is valid until the next Insert.
func (j *JitterBuffer) Next(now time.Time) ([]byte, Status) {
	if !j.anchored {
		return nil, Wait
	}
	target := j.stats.Target
	if !j.playing {
		if j.count == 0 || (j.depth() < target && now.Sub(j.fillStart) < target) {
			return nil, Wait
		}
		j.playing, j.started = true, true
	}
	if j.count == 0 {
		// Ran dry: refill to the target before playing again.
		j.playing = false
		j.stats.Underruns++
		return nil, Wait
	}
	if j.depth() > target+max(2*j.pkt, 2*j.frame) {
		// Too much delay has built up: skip the oldest packet.
		j.take()
		j.stats.Discarded++
	}
	s := &j.slots[j.playSeq&(ringSize-1)]
	if !s.filled || s.seq != j.playSeq {
		j.playSeq++
		j.stats.Concealed++
		return nil, Lost
	}
	j.take()
	j.stats.Played++
	if j.lateBoost > 0 {
		j.lateBoost = max(j.lateBoost-j.frame/100, 0)
		j.retarget()
	}
	if s.silent {
		return nil, Silent
	}
	return s.buf[:s.n], Play
}

// take removes the packet at the play position, if any, and advances.
func (j *JitterBuffer) take() {
	s := &j.slots[j.playSeq&(ringSize-1)]
	if s.filled && s.seq == j.playSeq {
		s.filled = false
		j.count--
	}
	j.playSeq++
}
