package rtp

import (
	"fmt"
	"time"

	"github.com/pion/rtcp"
)

// ntpEpochOffset is the seconds from 1900 (NTP) to 1970 (Unix).
const ntpEpochOffset = 2208988800

// ntpTime is now as a 64-bit NTP timestamp (RFC 3550 section 4).
func ntpTime(now time.Time) uint64 {
	ns := now.UnixNano()
	sec := uint64(ns/int64(time.Second)) + ntpEpochOffset
	frac := uint64(ns%int64(time.Second)) << 32 / uint64(time.Second)
	return sec<<32 | frac
}

// ntpMiddle is the middle 32 bits of the NTP timestamp, the unit of LSR.
func ntpMiddle(now time.Time) uint32 { return uint32(ntpTime(now) >> 16) }

// RemoteReport is what the far end last said about our stream in an
// RTCP sender or receiver report block (RFC 3550 section 6.4).
type RemoteReport struct {
	// At is when the report arrived.
	At time.Time
	// FractionLost is the share of our packets lost since its previous
	// report, 0..1.
	FractionLost float64
	// CumulativeLost is how many of our packets it never received.
	CumulativeLost int32
	// ExtendedHighestSeq is the highest sequence number it received,
	// with wrap-arounds counted in the high 16 bits.
	ExtendedHighestSeq uint32
	// Jitter is its interarrival jitter estimate of our packets.
	Jitter time.Duration
	// RTT is the round trip time from LSR and DLSR, zero until it has
	// answered one of our sender reports.
	RTT time.Duration
}

// reporter keeps the RTCP state of a stream: the last sender report
// heard (for LSR and DLSR) and the last report about us.
type reporter struct {
	cname     string
	lastSR    uint32 // middle 32 bits of the remote's last SR NTP time
	lastSRAt  time.Time
	haveSR    bool
	remote    RemoteReport
	hasRemote bool
	// Remote sender's counts from its last SR.
	remotePackets, remoteOctets uint32
	// Our packet count at the last two reports, for we_sent.
	sentAtLast, sentAtSecondLast uint32
}

// build writes a compound RTCP packet (RFC 3550 section 6.1): a sender
// report if we have sent media, else a receiver report, with a report
// block about the remote source if we have heard one, then SDES CNAME,
// then a BYE if bye is set (section 6.6).
func (rp *reporter) build(now time.Time, s *Sender, r *Receiver, bye bool) ([]byte, error) {
	var blocks []rtcp.ReceptionReport
	if r != nil && r.stats.valid && r.stats.received > 0 {
		st := &r.stats
		b := rtcp.ReceptionReport{
			SSRC:               st.ssrc,
			FractionLost:       st.fractionLost(),
			TotalLost:          uint32(st.lost()) & 0xffffff,
			LastSequenceNumber: st.extendedMax(),
			Jitter:             st.jitterTicks(),
		}
		if rp.haveSR {
			b.LastSenderReport = rp.lastSR
			// DLSR in 1/65536 s since that report arrived.
			b.Delay = uint32(now.Sub(rp.lastSRAt) * 65536 / time.Second)
		}
		blocks = append(blocks, b)
	}
	// RFC 3550 section 6.4: a sender report if we sent data since the
	// second previous report.
	weSent := s.sentAny && s.packets != rp.sentAtSecondLast
	rp.sentAtSecondLast, rp.sentAtLast = rp.sentAtLast, s.packets
	var first rtcp.Packet
	if weSent {
		first = &rtcp.SenderReport{
			SSRC:        s.ssrc,
			NTPTime:     ntpTime(now),
			RTPTime:     s.rtpTimeAt(now),
			PacketCount: s.packets,
			OctetCount:  s.octets,
			Reports:     blocks,
		}
	} else {
		first = &rtcp.ReceiverReport{SSRC: s.ssrc, Reports: blocks}
	}
	pkts := []rtcp.Packet{first, rtcp.NewCNAMESourceDescription(s.ssrc, rp.cname)}
	if bye {
		pkts = append(pkts, &rtcp.Goodbye{Sources: []uint32{s.ssrc}})
	}
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		return nil, fmt.Errorf("rtp: building RTCP report: %w", err)
	}
	return b, nil
}

// parse reads a compound RTCP packet that arrived at now and reports
// whether it carried a report block about localSSRC, and whether it
// carried a BYE.
func (rp *reporter) parse(b []byte, now time.Time, localSSRC uint32, clockRate int) (found, bye bool, err error) {
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		return false, false, fmt.Errorf("rtp: bad RTCP packet: %w", err)
	}
	for _, p := range pkts {
		var blocks []rtcp.ReceptionReport
		switch p := p.(type) {
		case *rtcp.SenderReport:
			rp.lastSR = uint32(p.NTPTime >> 16)
			rp.lastSRAt = now
			rp.haveSR = true
			rp.remotePackets, rp.remoteOctets = p.PacketCount, p.OctetCount
			blocks = p.Reports
		case *rtcp.ReceiverReport:
			blocks = p.Reports
		case *rtcp.Goodbye:
			bye = true
		}
		for _, blk := range blocks {
			if blk.SSRC != localSSRC {
				continue
			}
			rp.remote = remoteReport(blk, now, clockRate)
			rp.hasRemote = true
			found = true
		}
	}
	return found, bye, nil
}

func remoteReport(b rtcp.ReceptionReport, now time.Time, clockRate int) RemoteReport {
	r := RemoteReport{
		At:                 now,
		FractionLost:       float64(b.FractionLost) / 256,
		CumulativeLost:     int32(b.TotalLost<<8) >> 8, // signed 24 bits
		ExtendedHighestSeq: b.LastSequenceNumber,
	}
	if clockRate > 0 {
		r.Jitter = time.Duration(b.Jitter) * time.Second / time.Duration(clockRate)
	}
	if b.LastSenderReport != 0 {
		// RFC 3550 section 6.4.1: RTT = A - LSR - DLSR, in 1/65536 s.
		rtt := ntpMiddle(now) - b.LastSenderReport - b.Delay
		if int32(rtt) >= 0 {
			r.RTT = time.Duration(rtt) * time.Second / 65536
		}
	}
	return r
}
