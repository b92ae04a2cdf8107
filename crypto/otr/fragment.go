package otr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Fragmentation of encoded messages, both ways.
//
//	v3: "?OTR|%x|%x,%hu,%hu,%s," sender tag, receiver tag, k, n, piece
//	v2: "?OTR,%hu,%hu,%s,"       k, n, piece
//
// k and n are written zero-padded to five digits, as libotr does; any
// decimal form is accepted on input.

const (
	fragOverheadV3 = len("?OTR|00000000|00000000,00000,00000,,")
	fragOverheadV2 = len("?OTR,00000,00000,,")
	maxFragments   = 65535
	// maxReassembled bounds the memory a correspondent can make us hold
	// with an endless run of fragments.
	maxReassembled = 1 << 20
)

var errTooLarge = errors.New("otr: message too large to fragment at this size")

// fragmentMessage splits an encoded message into fragments no longer than
// max bytes. A max of 0, or a message that already fits, yields the message
// itself.
func fragmentMessage(msg string, max int, version uint16, senderTag, receiverTag uint32) ([]string, error) {
	if max <= 0 || len(msg) <= max {
		return []string{msg}, nil
	}
	overhead := fragOverheadV2
	if version == 3 {
		overhead = fragOverheadV3
	}
	per := max - overhead
	if per < 1 {
		return nil, fmt.Errorf("%w: %d bytes leave no room for a piece", errTooLarge, max)
	}
	n := (len(msg) + per - 1) / per
	if n > maxFragments {
		return nil, fmt.Errorf("%w: %d fragments needed", errTooLarge, n)
	}
	out := make([]string, 0, n)
	for k := 1; k <= n; k++ {
		piece := msg[(k-1)*per : min(k*per, len(msg))]
		if version == 3 {
			out = append(out, fmt.Sprintf("?OTR|%08x|%08x,%05d,%05d,%s,", senderTag, receiverTag, k, n, piece))
		} else {
			out = append(out, fmt.Sprintf("?OTR,%05d,%05d,%s,", k, n, piece))
		}
	}
	return out, nil
}

// fragment is one parsed fragment.
type fragment struct {
	version     uint16
	senderTag   uint32
	receiverTag uint32
	k, n        int
	piece       string
}

// parseFragment parses a v3 or v2 fragment found in msg. ok is false when msg
// holds no fragment marker; err reports a marker with a malformed body.
func parseFragment(msg string) (f fragment, ok bool, err error) {
	if i := strings.Index(msg, prefixFragmentV3); i >= 0 {
		f.version = 3
		rest := msg[i+len(prefixFragmentV3):]
		sender, rest, ok1 := strings.Cut(rest, "|")
		receiver, rest, ok2 := strings.Cut(rest, ",")
		if !ok1 || !ok2 {
			return f, true, errMalformed
		}
		s, err1 := strconv.ParseUint(sender, 16, 32)
		r, err2 := strconv.ParseUint(receiver, 16, 32)
		if err1 != nil || err2 != nil {
			return f, true, errMalformed
		}
		f.senderTag, f.receiverTag = uint32(s), uint32(r)
		return f, true, f.parseBody(rest)
	}
	if i := strings.Index(msg, prefixFragmentV2); i >= 0 {
		f.version = 2
		return f, true, f.parseBody(msg[i+len(prefixFragmentV2):])
	}
	return f, false, nil
}

// parseBody parses "k,n,piece," (the trailing comma is required, nothing
// may follow it).
func (f *fragment) parseBody(s string) error {
	parts := strings.Split(s, ",")
	if len(parts) != 4 || parts[3] != "" || parts[2] == "" {
		return errMalformed
	}
	k, err1 := strconv.ParseUint(parts[0], 10, 16)
	n, err2 := strconv.ParseUint(parts[1], 10, 16)
	if err1 != nil || err2 != nil || k == 0 || n == 0 || k > n {
		return errMalformed
	}
	f.k, f.n, f.piece = int(k), int(n), parts[2]
	return nil
}

// reassembler collects fragments in order, following the receiving rules
// of the protocol: fragment 1 starts over, fragment K+1 of the same N
// appends, anything else discards what was stored.
type reassembler struct {
	k, n   int
	sender uint32
	buf    strings.Builder
}

func (r *reassembler) reset() {
	r.k, r.n, r.sender = 0, 0, 0
	r.buf.Reset()
}

// add stores f and returns the whole message once its last fragment has
// arrived.
func (r *reassembler) add(f fragment) (string, bool) {
	switch {
	case f.k == 1:
		r.reset()
		r.k, r.n, r.sender = f.k, f.n, f.senderTag
		r.buf.WriteString(f.piece)
	case f.n == r.n && f.k == r.k+1 && f.senderTag == r.sender:
		if r.buf.Len()+len(f.piece) > maxReassembled {
			r.reset()
			return "", false
		}
		r.k = f.k
		r.buf.WriteString(f.piece)
	default:
		r.reset()
		return "", false
	}
	if r.n > 0 && r.k == r.n {
		msg := r.buf.String()
		r.reset()
		return msg, true
	}
	return "", false
}

// maxFragmentSenders bounds how many sender instances may have a partial
// message stored at once.
const maxFragmentSenders = 4

// fragmentBuffers keeps one reassembler per sender instance (v2 fragments
// carry no tag and share the zero entry), so that fragments from two
// instances of the correspondent do not spoil each other.
type fragmentBuffers struct {
	bySender map[uint32]*reassembler
}

// reset forgets every stored fragment: a message that is not a fragment
// ends all reassembly, as the spec says.
func (b *fragmentBuffers) reset() { b.bySender = nil }

func (b *fragmentBuffers) add(f fragment) (string, bool) {
	r := b.bySender[f.senderTag]
	if r == nil {
		if f.k != 1 {
			return "", false // nothing to continue
		}
		if b.bySender == nil {
			b.bySender = map[uint32]*reassembler{}
		}
		if len(b.bySender) >= maxFragmentSenders {
			b.bySender = map[uint32]*reassembler{} // drop the lot rather than grow
		}
		r = &reassembler{}
		b.bySender[f.senderTag] = r
	}
	msg, done := r.add(f)
	if done || r.n == 0 {
		delete(b.bySender, f.senderTag)
	}
	return msg, done
}
