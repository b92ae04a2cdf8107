package otr

import (
	"errors"
	"math/big"
)

// Message types of the encoded (binary) messages.
const (
	msgDHCommit  byte = 0x02
	msgData      byte = 0x03
	msgDHKey     byte = 0x0a
	msgRevealSig byte = 0x11
	msgSig       byte = 0x12
)

// Data message flags.
const flagIgnoreUnreadable byte = 0x01

// minInstanceTag is the smallest valid instance tag; smaller non-zero tags
// are reserved and messages carrying them are dropped.
const minInstanceTag = 0x100

var errMalformed = errors.New("otr: malformed message")

// wireMsg is one decoded binary OTR message. Only the fields of its type are
// meaningful; the version decides whether instance tags are present (3) or
// not (2).
type wireMsg struct {
	version     uint16
	typ         byte
	senderTag   uint32
	receiverTag uint32

	// D-H Commit
	encGx, hashGx []byte
	// D-H Key
	gy *big.Int
	// Reveal Signature (r, encSig, mac) and Signature (encSig, mac)
	r      []byte
	encSig []byte
	mac    []byte // 20 bytes, also the Data message authenticator

	// Data
	flags          byte
	senderKeyID    uint32
	recipientKeyID uint32
	nextDH         *big.Int
	ctr            [ctrLen]byte
	encMsg         []byte
	oldMACs        []byte

	// macedLen is, for a parsed Data message, the length of the prefix the
	// authenticator covers (version through encrypted message).
	macedLen int
}

func (m *wireMsg) appendHeader(b []byte) []byte {
	b = appendShort(b, m.version)
	b = append(b, m.typ)
	if m.version == 3 {
		b = appendInt(b, m.senderTag)
		b = appendInt(b, m.receiverTag)
	}
	return b
}

// dataMACed returns the part of a Data message that its authenticator
// covers: everything from the version to the end of the encrypted message.
func (m *wireMsg) dataMACed() []byte {
	b := m.appendHeader(nil)
	b = append(b, m.flags)
	b = appendInt(b, m.senderKeyID)
	b = appendInt(b, m.recipientKeyID)
	b = appendMPI(b, m.nextDH)
	b = append(b, m.ctr[:]...)
	return appendData(b, m.encMsg)
}

// marshal encodes m. It panics on a type it does not know: that is a
// programming error, never the result of input.
func (m *wireMsg) marshal() []byte {
	switch m.typ {
	case msgDHCommit:
		b := m.appendHeader(nil)
		b = appendData(b, m.encGx)
		return appendData(b, m.hashGx)
	case msgDHKey:
		return appendMPI(m.appendHeader(nil), m.gy)
	case msgRevealSig:
		b := m.appendHeader(nil)
		b = appendData(b, m.r)
		b = appendData(b, m.encSig)
		return append(b, m.mac...)
	case msgSig:
		b := appendData(m.appendHeader(nil), m.encSig)
		return append(b, m.mac...)
	case msgData:
		b := append(m.dataMACed(), m.mac...)
		return appendData(b, m.oldMACs)
	}
	panic("otr: marshal of unknown message type")
}

// parseWire decodes a binary OTR message of version 2 or 3. Trailing bytes
// are an error: every field has a known length.
func parseWire(b []byte) (*wireMsg, error) {
	r := &reader{b: b}
	m := &wireMsg{version: r.short(), typ: r.byte1()}
	if !r.ok() {
		return nil, errMalformed
	}
	switch m.version {
	case 2:
	case 3:
		m.senderTag = r.int4()
		m.receiverTag = r.int4()
	default:
		return nil, errUnsupportedVersion
	}
	switch m.typ {
	case msgDHCommit:
		m.encGx = r.data()
		m.hashGx = r.data()
	case msgDHKey:
		m.gy = r.mpi()
	case msgRevealSig:
		m.r = r.data()
		m.encSig = r.data()
		m.mac = r.bytes(macLen)
	case msgSig:
		m.encSig = r.data()
		m.mac = r.bytes(macLen)
	case msgData:
		m.flags = r.byte1()
		m.senderKeyID = r.int4()
		m.recipientKeyID = r.int4()
		m.nextDH = r.mpi()
		copy(m.ctr[:], r.bytes(ctrLen))
		m.encMsg = r.data()
		m.macedLen = len(b) - len(r.b)
		m.mac = r.bytes(macLen)
		m.oldMACs = r.data()
	default:
		return nil, errUnknownType
	}
	if !r.ok() || !r.empty() {
		return nil, errMalformed
	}
	return m, nil
}

var (
	errUnsupportedVersion = errors.New("otr: unsupported protocol version")
	errUnknownType        = errors.New("otr: unknown message type")
)

// peekDataFlags returns the flags of what looks like a Data message, so that
// IGNORE_UNREADABLE can be honoured even when the rest does not parse.
func peekDataFlags(b []byte) (byte, bool) {
	switch {
	case len(b) >= 4 && b[0] == 0 && b[1] == 2 && b[2] == msgData:
		return b[3], true
	case len(b) >= 12 && b[0] == 0 && b[1] == 3 && b[2] == msgData:
		return b[11], true
	}
	return 0, false
}
