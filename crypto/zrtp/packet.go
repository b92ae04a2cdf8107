package zrtp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Errors a received packet or message can be rejected with. Parse errors wrap
// one of these, so callers can test with errors.Is.
var (
	// ErrNotZRTP: the bytes are not a ZRTP packet (wrong version nibble or
	// magic cookie, or too short). The caller should treat them as RTP.
	ErrNotZRTP = errors.New("zrtp: not a ZRTP packet")
	// ErrBadCRC: the CRC-32C trailer does not match; the packet was damaged.
	ErrBadCRC = errors.New("zrtp: packet CRC mismatch")
	// ErrMalformed: the CRC is right but the message structure is wrong.
	ErrMalformed = errors.New("zrtp: malformed message")
)

const (
	packetHeaderLen = 12
	packetCRCLen    = 4
	magicCookie     = 0x5a525450 // "ZRTP"
	// minPacketLen is a header, the shortest message (3 words) and the CRC.
	minPacketLen = packetHeaderLen + messageHeaderLen + packetCRCLen
)

// Packet is one ZRTP packet on the wire (RFC 6189 §5): a 12-byte header
// (version nibble 0001, sequence number, magic cookie, SSRC), one message,
// and a CRC-32C trailer.
type Packet struct {
	Sequence uint16
	SSRC     uint32
	Message  []byte // the whole message, from its 0x505a preamble on
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// packetCRC is the CRC-32C (Castagnoli, as in SCTP, RFC 3309) of b. On the
// wire it goes least significant byte first, as SCTP sends it: GNU ZRTP and
// bzrtp both byte-swap the reflected register before writing it big-endian,
// which is the same thing (checked against their vectors in crc_test.go).
func packetCRC(b []byte) [4]byte {
	var out [4]byte
	binary.LittleEndian.PutUint32(out[:], crc32.Checksum(b, castagnoli))
	return out
}

// IsZRTP reports whether b looks like a ZRTP packet rather than RTP or RTCP:
// the first nibble is 0001 and bytes 4-7 are the magic cookie (RFC 6189 §5).
// It does not check the CRC.
func IsZRTP(b []byte) bool {
	return len(b) >= packetHeaderLen && b[0]>>4 == 1 && binary.BigEndian.Uint32(b[4:8]) == magicCookie
}

// ParsePacket checks the framing and CRC of a received packet and returns
// its header fields and message bytes. The message is checked only for its
// preamble and length; use ParseMessage for its content. Message aliases b.
func ParsePacket(b []byte) (Packet, error) {
	if !IsZRTP(b) {
		return Packet{}, ErrNotZRTP
	}
	if len(b) < minPacketLen {
		return Packet{}, fmt.Errorf("%w: packet of %d bytes is shorter than the minimum %d", ErrMalformed, len(b), minPacketLen)
	}
	body := b[:len(b)-packetCRCLen]
	want := packetCRC(body)
	if [4]byte(b[len(b)-packetCRCLen:]) != want {
		return Packet{}, ErrBadCRC
	}
	msg := body[packetHeaderLen:]
	if _, err := messageHeader(msg); err != nil {
		return Packet{}, err
	}
	return Packet{
		Sequence: binary.BigEndian.Uint16(b[2:4]),
		SSRC:     binary.BigEndian.Uint32(b[8:12]),
		Message:  msg,
	}, nil
}

// Marshal frames the packet: header, message, CRC.
func (p Packet) Marshal() []byte {
	b := make([]byte, 0, packetHeaderLen+len(p.Message)+packetCRCLen)
	b = append(b, 0x10, 0x00)
	b = binary.BigEndian.AppendUint16(b, p.Sequence)
	b = binary.BigEndian.AppendUint32(b, magicCookie)
	b = binary.BigEndian.AppendUint32(b, p.SSRC)
	b = append(b, p.Message...)
	crc := packetCRC(b)
	return append(b, crc[:]...)
}
