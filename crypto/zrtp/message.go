package zrtp

import (
	"encoding/binary"
	"fmt"
)

const (
	messagePreamble  = 0x505a
	messageHeaderLen = 12 // preamble, length in words, 8-byte type block
	macLen           = 8
	// maxMessageLen bounds what we accept: the largest message we can meet
	// in DH mode is a DHPart with an EC52 value, far below this.
	maxMessageLen = 1024
)

// MessageType identifies a ZRTP message by its 8-byte type block.
type MessageType uint8

// The message types of RFC 6189 §5.2-§5.16.
const (
	MsgUnknown MessageType = iota
	MsgHello
	MsgHelloACK
	MsgCommit
	MsgDHPart1
	MsgDHPart2
	MsgConfirm1
	MsgConfirm2
	MsgConf2ACK
	MsgError
	MsgErrorACK
	MsgGoClear
	MsgClearACK
	MsgPing
	MsgPingACK
)

var messageTypeBlocks = [...]string{
	MsgHello:    "Hello   ",
	MsgHelloACK: "HelloACK",
	MsgCommit:   "Commit  ",
	MsgDHPart1:  "DHPart1 ",
	MsgDHPart2:  "DHPart2 ",
	MsgConfirm1: "Confirm1",
	MsgConfirm2: "Confirm2",
	MsgConf2ACK: "Conf2ACK",
	MsgError:    "Error   ",
	MsgErrorACK: "ErrorACK",
	MsgGoClear:  "GoClear ",
	MsgClearACK: "ClearACK",
	MsgPing:     "Ping    ",
	MsgPingACK:  "PingACK ",
}

func (t MessageType) String() string {
	if t == MsgUnknown || int(t) >= len(messageTypeBlocks) {
		return "unknown"
	}
	return messageTypeBlocks[t]
}

func messageTypeFromBlock(b []byte) MessageType {
	for t, s := range messageTypeBlocks {
		if s != "" && string(b) == s {
			return MessageType(t)
		}
	}
	return MsgUnknown
}

// messageHeader checks the preamble and the length field of msg against its
// real length, and returns the message type.
func messageHeader(msg []byte) (MessageType, error) {
	if len(msg) < messageHeaderLen {
		return MsgUnknown, fmt.Errorf("%w: message of %d bytes is shorter than its header", ErrMalformed, len(msg))
	}
	if p := binary.BigEndian.Uint16(msg[0:2]); p != messagePreamble {
		return MsgUnknown, fmt.Errorf("%w: preamble is %#04x, want 0x505a", ErrMalformed, p)
	}
	words := int(binary.BigEndian.Uint16(msg[2:4]))
	if words*4 != len(msg) {
		return MsgUnknown, fmt.Errorf("%w: length field says %d words, message has %d bytes", ErrMalformed, words, len(msg))
	}
	if len(msg) > maxMessageLen {
		return MsgUnknown, fmt.Errorf("%w: message of %d bytes is too long", ErrMalformed, len(msg))
	}
	t := messageTypeFromBlock(msg[4:12])
	if t == MsgUnknown {
		return MsgUnknown, fmt.Errorf("%w: unknown message type %q", ErrMalformed, msg[4:12])
	}
	return t, nil
}

// TypeOf returns the type of a message after checking its header.
func TypeOf(msg []byte) (MessageType, error) { return messageHeader(msg) }

// Message is one parsed ZRTP message.
type Message interface {
	Type() MessageType
	// appendBody appends the message's content after the 12-byte header.
	appendBody(b []byte) []byte
}

// Marshal encodes m with its preamble, length in words and type block.
func Marshal(m Message) []byte {
	b := make([]byte, messageHeaderLen, 128)
	binary.BigEndian.PutUint16(b[0:2], messagePreamble)
	copy(b[4:12], m.Type().String())
	b = m.appendBody(b)
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)/4))
	return b
}

// ParseMessage decodes one message (from its preamble on). It checks only
// structure; hash chains and MACs need context and are the engine's job.
func ParseMessage(msg []byte) (Message, error) {
	t, err := messageHeader(msg)
	if err != nil {
		return nil, err
	}
	body := msg[messageHeaderLen:]
	var m Message
	switch t {
	case MsgHello:
		m, err = parseHello(body)
	case MsgCommit:
		m, err = parseCommit(body)
	case MsgDHPart1, MsgDHPart2:
		m, err = parseDHPart(t, body)
	case MsgConfirm1, MsgConfirm2:
		m, err = parseConfirm(t, body)
	case MsgError:
		m, err = parseError(body)
	case MsgGoClear:
		m, err = parseGoClear(body)
	case MsgPing:
		m, err = parsePing(body)
	case MsgPingACK:
		m, err = parsePingACK(body)
	default: // the ACKs: a bare header
		if len(body) != 0 {
			return nil, fmt.Errorf("%w: %s carries %d unexpected bytes", ErrMalformed, t, len(body))
		}
		m = Ack{Of: t}
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// macOffset returns where the trailing 8-byte MAC of a message starts; the
// message MAC covers everything before it (RFC 6189 §9).
func macOffset(msg []byte) int { return len(msg) - macLen }

func wrongLen(t MessageType, got int, want string) error {
	return fmt.Errorf("%w: %s body is %d bytes, want %s", ErrMalformed, t, got, want)
}
