package otr

import (
	"cmp"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"slices"
)

// Data messages and key management: our two most recent D-H pairs, their two
// most recent public keys, the keys derived from each pairing, counters,
// and the MAC keys revealed when a D-H key is forgotten.

// session is the state of one private conversation.
type session struct {
	version  uint16
	theirTag uint32
	theirKey *PublicKey
	ssid     [8]byte
	// weRevealed: we sent the AKE's Reveal Signature (we started the AKE).
	weRevealed bool

	ourKeyID        uint32 // our_keyid: id of ourCur; ourPrev is our_keyid-1
	ourCur, ourPrev dhPair
	theirKeyID      uint32   // their_keyid: id of theirCur
	theirCur        *big.Int // their_y[their_keyid]
	theirPrev       *big.Int // their_y[their_keyid-1], nil when unknown

	slots   map[slotID]*keySlot
	sendCtr uint64 // top half of the last counter sent; never reused
	oldMACs []byte // receiving MAC keys to reveal in the next message
}

type slotID struct{ our, their uint32 }

// keySlot is what one (our key, their key) pairing gives.
type keySlot struct {
	keys     *dataKeys
	recvCtr  [ctrLen]byte // last counter accepted with this pairing
	recvUsed bool         // its receiving MAC key verified a message
}

var (
	errUnreadable = errors.New("otr: unreadable encrypted message")
	errKeyIDs     = errors.New("otr: data message for D-H keys we do not have")
)

func (s *session) ourPair(id uint32) (dhPair, bool) {
	switch {
	case id == s.ourKeyID:
		return s.ourCur, true
	case id == s.ourKeyID-1 && id > 0 && s.ourPrev.pub != nil:
		return s.ourPrev, true
	}
	return dhPair{}, false
}

func (s *session) theirPub(id uint32) (*big.Int, bool) {
	switch {
	case id == s.theirKeyID:
		return s.theirCur, true
	case id == s.theirKeyID-1 && id > 0 && s.theirPrev != nil:
		return s.theirPrev, true
	}
	return nil, false
}

// slot returns (deriving once) the keys for a pairing of key ids.
func (s *session) slot(ourID, theirID uint32) (*keySlot, error) {
	id := slotID{ourID, theirID}
	if k, ok := s.slots[id]; ok {
		return k, nil
	}
	our, ok1 := s.ourPair(ourID)
	their, ok2 := s.theirPub(theirID)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w (ours %d, theirs %d)", errKeyIDs, ourID, theirID)
	}
	secret := new(big.Int).Exp(their, our.priv, dhPrime)
	k := &keySlot{keys: deriveDataKeys(our.pub, their, secret)}
	s.slots[id] = k
	return k, nil
}

// forget drops every pairing that matches and queues the receiving MAC
// keys that were used, so the next Data message reveals them.
// They are taken in key id order so that the output does not depend on map
// iteration.
func (s *session) forget(match func(slotID) bool) {
	var ids []slotID
	for id := range s.slots {
		if match(id) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b slotID) int {
		return cmp.Or(cmp.Compare(a.our, b.our), cmp.Compare(a.their, b.their))
	})
	for _, id := range ids {
		if k := s.slots[id]; k.recvUsed {
			s.oldMACs = append(s.oldMACs, k.keys.recvMAC[:]...)
		}
		delete(s.slots, id)
	}
}

// encrypt builds a Data message: sent with our_dh[our_keyid-1] and
// their_y[their_keyid], announcing our_dh[our_keyid] as the next key.
func (s *session) encrypt(ourTag uint32, flags byte, plaintext []byte) (*wireMsg, error) {
	k, err := s.slot(s.ourKeyID-1, s.theirKeyID)
	if err != nil {
		return nil, err
	}
	s.sendCtr++
	m := &wireMsg{
		version:        s.version,
		typ:            msgData,
		senderTag:      ourTag,
		receiverTag:    s.theirTag,
		flags:          flags,
		senderKeyID:    s.ourKeyID - 1,
		recipientKeyID: s.theirKeyID,
		nextDH:         s.ourCur.pub,
	}
	binary.BigEndian.PutUint64(m.ctr[:], s.sendCtr)
	m.encMsg = aesCTR(k.keys.sendAES[:], m.ctr[:], plaintext)
	m.mac = hmacSHA1(k.keys.sendMAC[:], m.dataMACed())
	m.oldMACs = s.oldMACs
	s.oldMACs = nil
	return m, nil
}

// decrypt verifies and decrypts a Data message, then rotates keys as the
// message allows. raw is the message's binary form (its MAC covers the
// first m.macedLen bytes).
func (s *session) decrypt(m *wireMsg, raw []byte, newPair func() (dhPair, error)) ([]byte, *dataKeys, error) {
	if m.senderKeyID == 0 || m.recipientKeyID == 0 {
		return nil, nil, fmt.Errorf("%w: key id 0", errUnreadable)
	}
	k, err := s.slot(m.recipientKeyID, m.senderKeyID)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errUnreadable, err)
	}
	want := hmacSHA1(k.keys.recvMAC[:], raw[:m.macedLen])
	if subtle.ConstantTimeCompare(want, m.mac) != 1 {
		return nil, nil, fmt.Errorf("%w: bad MAC", errUnreadable)
	}
	if !ctrGreater(m.ctr, k.recvCtr) {
		return nil, nil, fmt.Errorf("%w: counter did not increase (replay?)", errUnreadable)
	}
	if m.senderKeyID == s.theirKeyID && !isGroupElement(m.nextDH) {
		return nil, nil, fmt.Errorf("%w: next D-H key out of range", errUnreadable)
	}
	k.recvCtr = m.ctr
	k.recvUsed = true
	plaintext := aesCTR(k.keys.recvAES[:], m.ctr[:], m.encMsg)

	if m.recipientKeyID == s.ourKeyID {
		// They have seen our newest key: forget the one before it.
		next, err := newPair()
		if err != nil {
			return nil, nil, err
		}
		old := s.ourKeyID - 1
		s.forget(func(id slotID) bool { return id.our == old })
		s.ourPrev, s.ourCur = s.ourCur, next
		s.ourKeyID++
	}
	if m.senderKeyID == s.theirKeyID {
		old := s.theirKeyID - 1
		s.forget(func(id slotID) bool { return id.their == old })
		s.theirPrev, s.theirCur = s.theirCur, m.nextDH
		s.theirKeyID++
	}
	return plaintext, k.keys, nil
}

func ctrGreater(a, b [ctrLen]byte) bool {
	return binary.BigEndian.Uint64(a[:]) > binary.BigEndian.Uint64(b[:])
}

// sendData encrypts a Data message with the given human-readable part and
// TLVs and frames it.
func (c *Conversation) sendData(msg []byte, tlvs []tlv, flags byte) ([]string, error) {
	if c.sess == nil {
		return nil, ErrNotEncrypted
	}
	m, err := c.sess.encrypt(c.ourTag, flags, buildPlaintext(msg, c.pad(len(msg), tlvs)))
	if err != nil {
		return nil, err
	}
	if c.cfg.HeartbeatInterval > 0 {
		c.lastSent = c.cfg.Now()
	}
	return c.frame(m)
}

// pad appends a padding TLV so that the plaintext (message, NUL, TLVs)
// fills a multiple of Config.PadTo bytes.
func (c *Conversation) pad(msgLen int, tlvs []tlv) []tlv {
	if c.cfg.PadTo <= 0 {
		return tlvs
	}
	n := msgLen + 1 + 4 // the NUL and the padding TLV's header
	for _, t := range tlvs {
		n += 4 + len(t.value)
	}
	fill := (c.cfg.PadTo - n%c.cfg.PadTo) % c.cfg.PadTo
	if fill > 0xffff {
		fill %= 0x10000 // a TLV holds at most 65535 bytes; pad what fits
	}
	return append(tlvs, tlv{typ: tlvPadding, value: make([]byte, fill)})
}

func (c *Conversation) receiveData(m *wireMsg, raw []byte, out *output) (string, error) {
	if c.state != stateEncrypted || c.sess == nil {
		return "", c.unreadable(m, errors.New("no private conversation"), out)
	}
	if m.version != c.sess.version || (m.version == 3 && m.senderTag != c.sess.theirTag) {
		out.event(Event{Kind: MessageIgnored, Detail: fmt.Sprintf("data message from instance %#x (version %d), session is with %#x", m.senderTag, m.version, c.sess.theirTag)})
		return "", nil
	}
	plaintext, keys, err := c.sess.decrypt(m, raw, c.newDHPair)
	if err != nil {
		if errors.Is(err, errUnreadable) {
			return "", c.unreadable(m, err, out)
		}
		return "", err
	}
	human, tlvs, tlvErr := splitPlaintext(plaintext)
	var reply []tlv
	for _, t := range tlvs {
		switch t.typ {
		case tlvDisconnected:
			c.state = stateFinished
			c.smp.reset()
			out.event(Event{Kind: WentInsecure, Detail: "the correspondent ended the private conversation"})
			return string(human), tlvErr
		case tlvSMP1, tlvSMP1Q, tlvSMP2, tlvSMP3, tlvSMP4, tlvSMPAbort:
			r, err := c.receiveSMP(t, out)
			if err != nil {
				return string(human), err
			}
			reply = append(reply, r...)
		case tlvExtraKey:
			if len(t.value) >= 4 {
				out.event(Event{
					Kind:         ExtraKeyReceived,
					ExtraKey:     keys.extra,
					ExtraKeyUse:  binary.BigEndian.Uint32(t.value[:4]),
					ExtraKeyData: append([]byte(nil), t.value[4:]...),
				})
			}
		}
	}
	// A heartbeat answers a real message only (never another heartbeat, or
	// two idle engines would ping-pong), and only when nothing else goes
	// back anyway.
	if len(reply) == 0 && len(human) > 0 && c.cfg.HeartbeatInterval > 0 &&
		c.cfg.Now().Sub(c.lastSent) >= c.cfg.HeartbeatInterval {
		msgs, err := c.sendData(nil, nil, flagIgnoreUnreadable)
		if err != nil {
			return string(human), err
		}
		out.send(msgs...)
	}
	if len(reply) > 0 {
		msgs, err := c.sendData(nil, reply, flagIgnoreUnreadable)
		if err != nil {
			return string(human), err
		}
		out.send(msgs...)
	}
	return string(human), tlvErr
}

// unreadable handles a Data message we cannot read: silently when it is
// flagged IGNORE_UNREADABLE, otherwise with an event and an Error Message.
func (c *Conversation) unreadable(m *wireMsg, why error, out *output) error {
	if m.flags&flagIgnoreUnreadable != 0 {
		return nil
	}
	out.event(Event{Kind: UnreadableReceived, Detail: why.Error()})
	out.send(errorMessage("You sent an encrypted message that could not be read."))
	return nil
}

// ExtraSymmetricKey returns the extra symmetric key of the next Data
// message and that message, which tells the correspondent (TLV type 8) to
// derive the same key for the given use.
func (c *Conversation) ExtraSymmetricKey(use uint32, useData []byte) ([32]byte, []string, error) {
	if c.state != stateEncrypted {
		return [32]byte{}, nil, ErrNotEncrypted
	}
	k, err := c.sess.slot(c.sess.ourKeyID-1, c.sess.theirKeyID)
	if err != nil {
		return [32]byte{}, nil, err
	}
	value := append(appendInt(nil, use), useData...)
	msgs, err := c.sendData(nil, []tlv{{typ: tlvExtraKey, value: value}}, flagIgnoreUnreadable)
	return k.keys.extra, msgs, err
}
