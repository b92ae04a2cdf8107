package otr

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"
)

// Policy says which versions may be spoken and when to start OTR. The
// fields are the policy flags of the protocol (ALLOW_V2, ALLOW_V3, ...).
type Policy struct {
	AllowV2 bool
	AllowV3 bool
	// RequireEncryption refuses to send plaintext: Send holds the message,
	// asks the correspondent to start OTR, and sends it once private.
	RequireEncryption bool
	// SendWhitespaceTag advertises OTR support in outgoing plaintext until
	// the correspondent sends plaintext back.
	SendWhitespaceTag bool
	// WhitespaceStartAKE starts the AKE on a received whitespace tag.
	WhitespaceStartAKE bool
	// ErrorStartAKE answers an OTR Error Message with a Query Message.
	ErrorStartAKE bool
}

func (p Policy) versions() versionSet {
	var s versionSet
	if p.AllowV2 {
		s |= versionsOf(2)
	}
	if p.AllowV3 {
		s |= versionsOf(3)
	}
	return s
}

// Config holds what a Conversation needs.
type Config struct {
	// PrivateKey is our long-term DSA key. Required.
	PrivateKey *PrivateKey
	Policy     Policy
	// Rand is the source of all randomness; nil means crypto/rand.
	Rand io.Reader
	// InstanceTag is our v3 instance tag (>= 0x100). It should persist
	// across restarts of the same client; zero picks a random one.
	InstanceTag uint32
	// FragmentSize is the largest message the network carries; longer
	// encoded messages are fragmented. Zero means no fragmentation.
	FragmentSize int
	// PadTo, when set, pads every Data message's plaintext (with a TLV of
	// type 0) up to a multiple of this many bytes, so that the length on
	// the wire says less about the message. 256 is a reasonable value.
	PadTo int
	// HeartbeatInterval, when set, makes Receive answer a readable Data
	// message with an empty one (a heartbeat) if we have sent nothing for
	// this long, so that keys rotate and old MAC keys get revealed even
	// when the user only reads. libotr uses 60 s. Zero turns it off.
	HeartbeatInterval time.Duration
	// ResendWindow, when set, resends the last message typed in a private
	// conversation if the correspondent answered with an OTR Error Message
	// (they could not read it, typically after a restart) and a new AKE
	// with the same correspondent key completes within this time of the
	// first sending. libotr uses 60 s. Zero turns it off.
	ResendWindow time.Duration
	// Now is the clock for HeartbeatInterval and ResendWindow; nil means
	// time.Now.
	Now func() time.Time
}

// Errors returned by Send and friends.
var (
	// ErrHeld is returned by Send when policy requires encryption and the
	// conversation is not private yet: the message is held and the
	// returned strings (a Query Message) ask the correspondent to start
	// OTR. Held messages go out, encrypted, when the AKE completes.
	ErrHeld = errors.New("otr: message held until the conversation is private")
	// ErrFinished is returned by Send after the correspondent ended the
	// private conversation: call End, then start again.
	ErrFinished = errors.New("otr: the correspondent ended the private conversation; nothing was sent")
	// ErrNotEncrypted is returned by operations that need a private
	// conversation (SMP, heartbeats, extra keys).
	ErrNotEncrypted = errors.New("otr: the conversation is not private")
)

type msgState int

const (
	statePlaintext msgState = iota
	stateEncrypted
	stateFinished
)

// Conversation is the OTR state for one correspondent. It is not safe for
// concurrent use; the caller serialises calls (Padlock's phone loop does).
type Conversation struct {
	cfg    Config
	rand   io.Reader
	ourTag uint32

	state msgState
	ake   akeState
	sess  *session
	smp   smpState
	frags fragmentBuffers

	lastSent     time.Time // when the last Data message went out
	resend       resendState
	held         []string // plaintext waiting for the private conversation
	querySent    bool     // a Query Message went out for the held messages
	gotPlaintext bool     // the correspondent sent plaintext: stop tagging
}

// NewConversation checks cfg and returns a Conversation in the plaintext
// state.
func NewConversation(cfg Config) (*Conversation, error) {
	if cfg.PrivateKey == nil || cfg.PrivateKey.X == nil {
		return nil, errors.New("otr: Config.PrivateKey is required")
	}
	if err := cfg.PrivateKey.check(); err != nil {
		return nil, fmt.Errorf("otr: our own key: %w", err)
	}
	c := &Conversation{cfg: cfg, rand: cfg.Rand}
	if c.rand == nil {
		c.rand = rand.Reader
	}
	if c.cfg.Now == nil {
		c.cfg.Now = time.Now
	}
	switch {
	case cfg.InstanceTag >= minInstanceTag:
		c.ourTag = cfg.InstanceTag
	case cfg.InstanceTag == 0:
		for c.ourTag < minInstanceTag {
			var b [4]byte
			if _, err := io.ReadFull(c.rand, b[:]); err != nil {
				return nil, fmt.Errorf("otr: reading randomness for the instance tag: %w", err)
			}
			c.ourTag = binary.BigEndian.Uint32(b[:])
		}
	default:
		return nil, fmt.Errorf("otr: instance tag %#x is reserved (must be >= 0x100)", cfg.InstanceTag)
	}
	return c, nil
}

// InstanceTag is our instance tag.
func (c *Conversation) InstanceTag() uint32 { return c.ourTag }

// IsEncrypted reports whether Send would encrypt.
func (c *Conversation) IsEncrypted() bool { return c.state == stateEncrypted }

// TheirPublicKey is the correspondent's long-term key of the current (or
// last finished) private conversation, or nil.
func (c *Conversation) TheirPublicKey() *PublicKey {
	if c.sess == nil {
		return nil
	}
	return c.sess.theirKey
}

// SSID is the secure session id of the private conversation, zero if none.
func (c *Conversation) SSID() [8]byte {
	if c.sess == nil {
		return [8]byte{}
	}
	return c.sess.ssid
}

// QueryMessage is what to send to ask the correspondent to start OTR.
func (c *Conversation) QueryMessage() string {
	return queryMessage(c.cfg.Policy.versions())
}

// Receive handles one message from the correspondent. plaintext is what to
// show the user (empty for protocol messages), toSend goes back to the
// correspondent in order, events report state changes. An error means the
// message was bad or unusable; toSend and events are still valid then.
func (c *Conversation) Receive(msg string) (plaintext string, toSend []string, events []Event, err error) {
	if c.cfg.Policy.versions() == 0 {
		return msg, nil, nil, nil // OTR disabled: no special handling at all
	}
	var out output
	plaintext, err = c.receive(msg, &out)
	return plaintext, out.toSend, out.events, err
}

// output collects what one call produces.
type output struct {
	toSend []string
	events []Event
}

func (o *output) send(s ...string) { o.toSend = append(o.toSend, s...) }
func (o *output) event(e Event)    { o.events = append(o.events, e) }

func (c *Conversation) receive(msg string, out *output) (string, error) {
	f, isFrag, err := parseFragment(msg)
	if isFrag {
		if err != nil {
			c.frags.reset()
			return "", err
		}
		if f.version == 3 && !c.acceptTags(f.senderTag, f.receiverTag, true, out) {
			return "", nil
		}
		whole, done := c.frags.add(f)
		if !done {
			return "", nil
		}
		msg = whole
	} else {
		c.frags.reset()
	}

	if b, ok, err := decodeWire(msg); ok {
		if err != nil {
			return "", err
		}
		return c.receiveWire(b, out)
	}
	if text, ok := parseError(msg); ok {
		out.event(Event{Kind: ErrorReceived, Detail: text})
		c.resend.armed = c.resend.text != ""
		if c.cfg.Policy.ErrorStartAKE {
			out.send(c.QueryMessage())
		}
		return "", nil
	}
	if offered, ok := parseQuery(msg); ok {
		return "", c.startAKE(offered, out)
	}
	rest, offered, tagged := stripWhitespaceTag(msg)
	c.gotPlaintext = true
	if c.state != statePlaintext || c.cfg.Policy.RequireEncryption {
		out.event(Event{Kind: UnencryptedReceived})
	}
	if tagged && c.cfg.Policy.WhitespaceStartAKE && c.state == statePlaintext && c.ake.state == authNone {
		if err := c.startAKE(offered, out); err != nil {
			return rest, err
		}
	}
	return rest, nil
}

// acceptTags applies the instance tag rules to a v3 message: the sender tag
// must be valid, and the receiver tag ours (or zero where allowed).
// Anything else was meant for another instance and is dropped.
func (c *Conversation) acceptTags(sender, receiver uint32, zeroOK bool, out *output) bool {
	switch {
	case sender < minInstanceTag:
		out.event(Event{Kind: MessageIgnored, Detail: fmt.Sprintf("invalid sender instance tag %#x", sender)})
		return false
	case receiver == 0 && zeroOK:
		return true
	case receiver != c.ourTag:
		out.event(Event{Kind: MessageIgnored, Detail: fmt.Sprintf("message for instance %#x, we are %#x", receiver, c.ourTag)})
		return false
	}
	return true
}

func (c *Conversation) versionAllowed(v uint16) bool {
	return (v == 2 && c.cfg.Policy.AllowV2) || (v == 3 && c.cfg.Policy.AllowV3)
}

func (c *Conversation) receiveWire(b []byte, out *output) (string, error) {
	m, err := parseWire(b)
	if err != nil {
		if flags, ok := peekDataFlags(b); ok && flags&flagIgnoreUnreadable != 0 {
			return "", nil
		}
		return "", err
	}
	if !c.versionAllowed(m.version) {
		out.event(Event{Kind: MessageIgnored, Detail: fmt.Sprintf("protocol version %d not allowed by policy", m.version)})
		return "", nil
	}
	if m.version == 3 && !c.acceptTags(m.senderTag, m.receiverTag, m.typ == msgDHCommit, out) {
		return "", nil
	}
	switch m.typ {
	case msgDHCommit:
		return "", c.receiveDHCommit(m, out)
	case msgDHKey:
		return "", c.receiveDHKey(m, out)
	case msgRevealSig:
		return "", c.receiveRevealSig(m, out)
	case msgSig:
		return "", c.receiveSig(m, out)
	case msgData:
		return c.receiveData(m, b, out)
	}
	return "", errUnknownType
}

// frame encodes a binary message and fragments it for the network.
func (c *Conversation) frame(m *wireMsg) ([]string, error) {
	return fragmentMessage(encodeWire(m.marshal()), c.cfg.FragmentSize, m.version, m.senderTag, m.receiverTag)
}

// Send prepares a message the user typed. See ErrHeld and ErrFinished.
func (c *Conversation) Send(plaintext string) ([]string, error) {
	if c.cfg.Policy.versions() == 0 {
		return []string{plaintext}, nil
	}
	if strings.IndexByte(plaintext, 0) >= 0 {
		// A NUL would end the human-readable part; what follows would be
		// read as TLVs (disconnect, SMP) by the correspondent.
		return nil, errors.New("otr: message contains a NUL byte; not sent")
	}
	switch c.state {
	case stateEncrypted:
		if c.cfg.ResendWindow > 0 {
			c.resend = resendState{text: plaintext, at: c.cfg.Now(), fingerprint: c.sess.theirKey.Fingerprint()}
		}
		return c.sendData([]byte(plaintext), nil, 0)
	case stateFinished:
		return nil, ErrFinished
	}
	if c.cfg.Policy.RequireEncryption {
		c.held = append(c.held, plaintext)
		if c.querySent || c.ake.state != authNone {
			return nil, ErrHeld // one query is enough; a second would restart the AKE
		}
		c.querySent = true
		return []string{c.QueryMessage()}, ErrHeld
	}
	if c.cfg.Policy.SendWhitespaceTag && !c.gotPlaintext {
		plaintext += whitespaceTag(c.cfg.Policy.versions())
	}
	return []string{plaintext}, nil
}

// End ends the private conversation: in the encrypted state it tells the
// correspondent (a Data message with the disconnected TLV) and forgets the
// keys; from the finished state it returns to plaintext.
func (c *Conversation) End() ([]string, error) {
	var toSend []string
	var err error
	if c.state == stateEncrypted {
		toSend, err = c.sendData(nil, []tlv{{typ: tlvDisconnected}}, flagIgnoreUnreadable)
	}
	c.state = statePlaintext
	c.sess = nil
	c.smp.reset()
	c.gotPlaintext = false
	c.querySent = false
	c.resend = resendState{}
	return toSend, err
}

// Heartbeat returns an empty Data message (flagged IGNORE_UNREADABLE) that
// advances key rotation. The caller decides when, by its own clock.
func (c *Conversation) Heartbeat() ([]string, error) {
	if c.state != stateEncrypted {
		return nil, ErrNotEncrypted
	}
	return c.sendData(nil, nil, flagIgnoreUnreadable)
}

// goSecure enters the encrypted state with a new session and sends what
// was held.
func (c *Conversation) goSecure(s *session, out *output) error {
	c.sess = s
	c.state = stateEncrypted
	c.querySent = false
	if c.cfg.HeartbeatInterval > 0 {
		c.lastSent = c.cfg.Now() // the AKE's last message counts as sent, as in libotr
	}
	c.smp.reset()
	fp := s.theirKey.Fingerprint()
	out.event(Event{Kind: WentSecure, Fingerprint: fp, SSID: s.ssid, Version: int(s.version), SSIDWeRevealed: s.weRevealed})
	if err := c.maybeResend(fp, out); err != nil {
		return err
	}
	if len(c.held) == 0 {
		return nil
	}
	held := c.held
	c.held = nil
	for _, p := range held {
		msgs, err := c.sendData([]byte(p), nil, 0)
		if err != nil {
			return err
		}
		out.send(msgs...)
	}
	out.event(Event{Kind: HeldMessagesSent, Detail: fmt.Sprintf("%d held message(s) sent", len(held))})
	return nil
}

// resendState remembers the last message typed in a private conversation,
// in case the correspondent could not read it.
type resendState struct {
	text        string
	at          time.Time
	fingerprint [20]byte // whom it was for
	armed       bool     // an OTR Error Message came back since
}

// maybeResend sends the remembered message again after an AKE, but only to
// the key it was first meant for: anyone can forge the Error Message that
// arms this, and the message must not go to a new key.
func (c *Conversation) maybeResend(fp [20]byte, out *output) error {
	r := c.resend
	c.resend = resendState{}
	if !r.armed || c.cfg.ResendWindow <= 0 || fp != r.fingerprint || c.cfg.Now().Sub(r.at) > c.cfg.ResendWindow {
		return nil
	}
	msgs, err := c.sendData([]byte(r.text), nil, 0)
	if err != nil {
		return err
	}
	out.send(msgs...)
	out.event(Event{Kind: MessageResent, Detail: r.text})
	return nil
}

// randBytes fills n bytes from the configured source.
func (c *Conversation) randBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(c.rand, b); err != nil {
		return nil, fmt.Errorf("otr: reading randomness: %w", err)
	}
	return b, nil
}

// randExponent returns a random exponent of n bytes.
func (c *Conversation) randExponent(n int) (*big.Int, error) {
	b, err := c.randBytes(n)
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(b), nil
}
