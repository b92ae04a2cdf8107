package rtp

import "encoding/binary"

// Kind is what a datagram on the media socket is.
type Kind uint8

// The kinds of datagram Classify tells apart.
const (
	KindUnknown Kind = iota
	KindRTP
	KindRTCP
	KindZRTP
)

func (k Kind) String() string {
	switch k {
	case KindRTP:
		return "RTP"
	case KindRTCP:
		return "RTCP"
	case KindZRTP:
		return "ZRTP"
	}
	return "unknown"
}

// zrtpMagic is the ZRTP magic cookie "ZRTP" at bytes 4..7 (RFC 6189 section 5).
const zrtpMagic = 0x5a525450

// Minimum sizes: a fixed RTP header; an RTCP common header plus SSRC; a ZRTP
// packet header (12 bytes) plus its CRC.
const (
	minRTP  = 12
	minRTCP = 8
	minZRTP = 16
)

// Classify tells RTP, RTCP and ZRTP apart on a shared socket.
//
// ZRTP packets start with 0x10 (version bits 00, which no RTP packet has)
// and carry the magic cookie at bytes 4..7. RTP and RTCP both have version
// 2; RFC 5761 section 4 separates them by the second byte: RTCP packet
// types 192..223 are what RTP payload types 64..95 with the marker bit set
// would look like, and those payload types are never used for RTP on a
// muxed port. SRTP and SRTCP keep these headers in clear, so the same
// test holds after keys are on.
func Classify(b []byte) Kind {
	if len(b) >= minZRTP && b[0] == 0x10 && binary.BigEndian.Uint32(b[4:8]) == zrtpMagic {
		return KindZRTP
	}
	if len(b) < minRTCP || b[0]>>6 != 2 {
		return KindUnknown
	}
	if b[1] >= 192 && b[1] <= 223 {
		return KindRTCP
	}
	if len(b) < minRTP {
		return KindUnknown
	}
	return KindRTP
}
