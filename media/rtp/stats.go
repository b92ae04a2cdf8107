package rtp

import "time"

// Constants of RFC 3550 appendix A.1.
const (
	maxDropout    = 3000
	maxMisorder   = 100
	minSequential = 2
	seqMod        = 1 << 16
)

// sourceStats is the reception state of one remote SSRC, kept as in
// RFC 3550 appendix A.1 (sequence validation), A.3 (loss) and A.8
// (interarrival jitter).
type sourceStats struct {
	ssrc          uint32
	valid         bool // a source has been seen
	maxSeq        uint16
	cycles        uint32 // shifted count of sequence number cycles
	baseSeq       uint32
	badSeq        uint32
	probation     int
	received      uint32
	expectedPrior uint32
	receivedPrior uint32
	transit       int64 // relative transit time of the last packet, in clock ticks
	jitter        uint32
	clockRate     int
	haveTransit   bool
}

// initSeq starts counting a source at seq, as init_seq of A.1.
func (s *sourceStats) initSeq(seq uint16) {
	s.baseSeq = uint32(seq)
	s.maxSeq = seq
	s.badSeq = seqMod + 1
	s.cycles = 0
	s.received = 0
	s.receivedPrior = 0
	s.expectedPrior = 0
	s.haveTransit = false
	s.jitter = 0
}

// update counts one packet and reports whether it is valid (not a
// probation or a wild jump); it follows update_seq of A.1.
func (s *sourceStats) update(ssrc uint32, seq uint16) bool {
	if !s.valid || ssrc != s.ssrc {
		*s = sourceStats{ssrc: ssrc, valid: true, clockRate: s.clockRate}
		s.initSeq(seq)
		s.maxSeq = seq - 1
		s.probation = minSequential
	}
	udelta := seq - s.maxSeq
	if s.probation > 0 {
		if seq == s.maxSeq+1 {
			s.probation--
			s.maxSeq = seq
			if s.probation == 0 {
				s.initSeq(seq)
				s.received++
				return true
			}
		} else {
			s.probation = minSequential - 1
			s.maxSeq = seq
		}
		return false
	}
	switch {
	case udelta < maxDropout:
		if seq < s.maxSeq {
			s.cycles += seqMod
		}
		s.maxSeq = seq
	case udelta <= seqMod-maxMisorder:
		if uint32(seq) == s.badSeq {
			s.initSeq(seq)
		} else {
			s.badSeq = (uint32(seq) + 1) & (seqMod - 1)
			return false
		}
	default:
		// duplicate or reordered packet
	}
	s.received++
	return true
}

// arrival updates the interarrival jitter (A.8) with a packet of RTP
// timestamp ts that arrived at now.
func (s *sourceStats) arrival(ts uint32, now time.Time) {
	if s.clockRate == 0 {
		return
	}
	a := ticks(now, s.clockRate)
	transit := a - int64(ts)
	// Transit is compared modulo 2^32, like RTP timestamps themselves.
	if s.haveTransit {
		d := int64(int32(uint32(transit) - uint32(s.transit)))
		if d < 0 {
			d = -d
		}
		// J += (|D| - J)/16, with J kept scaled by 16 as A.8 suggests.
		s.jitter += uint32(d) - ((s.jitter + 8) >> 4)
	}
	s.transit = transit
	s.haveTransit = true
}

// ticks is now in units of a clock of rate Hz.
func ticks(now time.Time, rate int) int64 {
	ns := now.UnixNano()
	return ns/int64(time.Second)*int64(rate) + ns%int64(time.Second)*int64(rate)/int64(time.Second)
}

// Jitter is the current interarrival jitter estimate in clock ticks.
func (s *sourceStats) jitterTicks() uint32 { return s.jitter >> 4 }

// extendedMax is the extended highest sequence number received.
func (s *sourceStats) extendedMax() uint32 { return s.cycles + uint32(s.maxSeq) }

// expected is how many packets should have arrived (A.3).
func (s *sourceStats) expected() uint32 { return s.extendedMax() - s.baseSeq + 1 }

// lost is the cumulative number of packets lost (A.3); it can be negative
// when duplicates arrive. RTCP carries it as a signed 24-bit number.
func (s *sourceStats) lost() int32 {
	l := int64(s.expected()) - int64(s.received)
	return int32(min(max(l, -0x800000), 0x7fffff))
}

// fractionLost returns the fraction lost since the last call, in 1/256
// units, and starts a new interval (A.3).
func (s *sourceStats) fractionLost() uint8 {
	expected := s.expected()
	expectedInterval := expected - s.expectedPrior
	s.expectedPrior = expected
	receivedInterval := s.received - s.receivedPrior
	s.receivedPrior = s.received
	lostInterval := int64(expectedInterval) - int64(receivedInterval)
	if expectedInterval == 0 || lostInterval <= 0 {
		return 0
	}
	return uint8((lostInterval << 8) / int64(expectedInterval))
}
