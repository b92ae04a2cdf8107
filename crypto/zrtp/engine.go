package zrtp

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Role is the part an endpoint plays after Commit contention.
type Role int

const (
	RoleUnknown Role = iota
	RoleInitiator
	RoleResponder
)

func (r Role) String() string {
	switch r {
	case RoleInitiator:
		return "initiator"
	case RoleResponder:
		return "responder"
	}
	return "unknown"
}

// CachedSecrets is what the ZID cache keeps per peer (RFC 6189 §4.9).
type CachedSecrets struct {
	RS1, RS2 []byte // retained secrets, 32 bytes each, nil when absent
	// Verified is set when the local user has verified the SAS with this
	// peer (the "previously verified" flag).
	Verified bool
}

// Cache looks up the retained secrets of a peer. The engine never writes
// to it: it reports new secrets with a CacheUpdate event, and the caller
// stores them.
type Cache interface {
	// Lookup returns the secrets for peerZID; found is false for a peer
	// never secured with before. An error fails the session: a broken cache
	// must not look like a new peer, or cache mismatches would go unseen.
	Lookup(peerZID [12]byte) (s CachedSecrets, found bool, err error)
}

// Config sets up an Engine.
type Config struct {
	ZID      [12]byte // this endpoint's ZID, random and persistent
	ClientID string   // up to 16 characters, sent in Hello
	SSRC     uint32   // the SSRC field of sent ZRTP packets

	// Algorithms offered, in preference order; nil means the default
	// (Supported* order). The RFC's mandatory algorithms are always
	// accepted from a peer's Commit, listed or not.
	Hashes, Ciphers, AuthTags, KeyAgreements, SASTypes []Algo

	Rand  io.Reader // nil: crypto/rand
	Cache Cache     // nil: no retained secrets (every call is new)

	// PeerHelloHash is the peer's SDP a=zrtp-hash ("1.10 <hex>" or just
	// the hex), when signalling gave it before media; SetPeerHelloHash
	// sets it later. A Hello that does not match it is dropped; if no
	// matching one comes, the session fails with ErrHelloHashMismatch.
	PeerHelloHash string
}

// Output is something the engine asks the caller to do or tells it.
type Output interface{ output() }

// Send asks the caller to send one ZRTP packet on the media socket.
type Send struct{ Packet []byte }

// SRTPKeys are the SRTP master keys and salts from ZRTP, for this endpoint's
// own outgoing stream (Local) and for the peer's stream (Remote).
type SRTPKeys struct {
	Cipher, AuthTag       Algo // AES1/AES2/AES3, HS32/HS80
	LocalKey, LocalSalt   []byte
	RemoteKey, RemoteSalt []byte
}

// Secured: key agreement completed and was confirmed.
type Secured struct {
	SAS      string // rendered per SASType
	SASType  Algo
	SASValue uint32
	// Verified: the SAS was verified with this peer before, by both sides
	// (our cache flag and the peer's V flag), and the retained secret
	// matched. When false, the user must compare the SAS.
	Verified                            bool
	Role                                Role
	PeerZID                             [12]byte
	PeerClientID                        string
	Hash, Cipher, AuthTag, KeyAgreement Algo
	Keys                                SRTPKeys
}

// ReceiveKeys: the initiator has sent Confirm2. The responder may send
// SRTP from the moment it has Confirm2 (RFC 6189 section 4.6), before our
// Conf2ACK arrives: check what comes from the peer with Keys' Remote key
// and salt from now on, and keep sending as before (the initiator sends
// SRTP only once Secured). A packet that passes that check is as good as
// a Conf2ACK: report it with PeerSRTP.
type ReceiveKeys struct{ Keys SRTPKeys }

// Failed: the session failed; no SRTP keys will come. Code is the ZRTP
// error code sent or received (0 for a timeout), FromPeer tells which.
type Failed struct {
	Code     ErrorCode
	FromPeer bool
	Err      error
}

// CacheMismatch: the peer's ZID is in the cache but no retained secret
// matched. Either the peer lost its cache, or someone is in the middle.
// The SAS must be compared; the cache is updated only once it is verified.
type CacheMismatch struct{ PeerZID [12]byte }

// CacheUpdate asks the caller to store new secrets for a peer.
type CacheUpdate struct {
	PeerZID [12]byte
	Secrets CachedSecrets
}

func (Send) output()          {}
func (ReceiveKeys) output()   {}
func (Secured) output()       {}
func (Failed) output()        {}
func (CacheMismatch) output() {}
func (CacheUpdate) output()   {}

// Errors reported in Failed or returned for dropped packets.
var (
	ErrTimeout       = errors.New("zrtp: peer stopped answering")
	ErrNoPeer        = errors.New("zrtp: no ZRTP answer to Hello; the peer may not speak ZRTP")
	ErrUnexpected    = errors.New("zrtp: message not expected in this state; dropped")
	ErrHashChain     = errors.New("zrtp: hash chain or message MAC check failed; dropped")
	ErrNotStarted    = errors.New("zrtp: engine not started")
	ErrPeerSentError = errors.New("zrtp: peer sent Error")
	// ErrHelloHashMismatch: the peer's Hello is not the one its SDP
	// a=zrtp-hash announced (RFC 6189 §8.1): someone else sent it.
	ErrHelloHashMismatch = errors.New("zrtp: Hello does not match the peer's a=zrtp-hash")
)

// Retransmission timers (RFC 6189 §6; the values bzrtp uses).
const (
	t1Base    = 50 * time.Millisecond
	t1Cap     = 200 * time.Millisecond
	t1Retries = 20
	t2Base    = 150 * time.Millisecond
	t2Cap     = 1200 * time.Millisecond
	t2Retries = 10

	// A responder never retransmits: it answers the initiator's repeats.
	// If those stop for longer than the initiator's whole T2 schedule
	// (150+300+600+8x1200 ms), or the peer ACKs our Hello but sends none
	// of its own for longer than its T1 schedule, the peer is gone.
	responderWait = 12 * time.Second
	helloWait     = 5 * time.Second
)

type state int

const (
	stIdle state = iota
	stDiscovery
	stCommitSent   // initiator candidate, resending Commit
	stDHPart1Sent  // responder, waiting for DHPart2
	stDHPart2Sent  // initiator, resending DHPart2
	stConfirm1Sent // responder, waiting for Confirm2
	stConfirm2Sent // initiator, resending Confirm2
	stSecure
	stFailed
)

// retransmitter resends one message with a doubling interval.
type retransmitter struct {
	msg      []byte
	next     time.Time
	interval time.Duration
	cap      time.Duration
	left     int
	active   bool
	onExpiry error
}

// Engine runs one ZRTP session (DH mode) for one media stream. It is not
// safe for concurrent use; the caller serialises calls.
type Engine struct {
	cfg   Config
	rand  io.Reader
	chain hashChain
	seq   uint16
	state state
	role  Role
	timer retransmitter

	selfHello, peerHello []byte
	peer                 *Hello
	helloACKed           bool

	hash, cipher, auth, ka, sas Algo
	kp                          keyPair

	selfCommit, peerCommit []byte
	commit                 *Commit // the Commit in force
	dhPart1, dhPart2       []byte
	peerDH                 *DHPart
	lastReply              []byte // responder's last message, resent on a repeat

	peerConfirm []byte
	helloHash   *[32]byte // the peer's a=zrtp-hash, if known
	// helloMismatch: a Hello that did not match helloHash was dropped
	helloMismatch bool

	cached     CachedSecrets // as looked up when the peer's Hello came
	cacheFound bool
	s1         []byte // the retained secret both sides share, if any
	mismatch   bool   // a cache mismatch whose update waits for SAS verification
	stored     CachedSecrets
	keys       *sessionKeys
	peerV      bool
}

// New checks cfg and returns an engine ready to Start.
func New(cfg Config) (*Engine, error) {
	if cfg.ZID == ([12]byte{}) {
		return nil, errors.New("zrtp: ZID is all zeros; generate a random one once and keep it")
	}
	if len(cfg.ClientID) > 16 {
		return nil, fmt.Errorf("zrtp: client ID %q is longer than 16 characters", cfg.ClientID)
	}
	defaults := []*[]Algo{&cfg.Hashes, &cfg.Ciphers, &cfg.AuthTags, &cfg.KeyAgreements, &cfg.SASTypes}
	supported := [][]Algo{SupportedHashes, SupportedCiphers, SupportedAuthTags, SupportedKeyAgreements, SupportedSAS}
	kinds := []string{"hash", "cipher", "auth tag", "key agreement", "SAS"}
	for i, list := range defaults {
		if len(*list) == 0 {
			*list = slices.Clone(supported[i])
		}
		if err := checkSupported(kinds[i], *list, supported[i]); err != nil {
			return nil, err
		}
	}
	e := &Engine{cfg: cfg, rand: cfg.Rand}
	if cfg.PeerHelloHash != "" {
		h, err := parseHelloHash(cfg.PeerHelloHash)
		if err != nil {
			return nil, err
		}
		e.helloHash = &h
	}
	if e.rand == nil {
		e.rand = rand.Reader
	}
	var h0 [32]byte
	var seq [2]byte
	if _, err := io.ReadFull(e.rand, h0[:]); err != nil {
		return nil, fmt.Errorf("zrtp: random H0: %w", err)
	}
	if _, err := io.ReadFull(e.rand, seq[:]); err != nil {
		return nil, fmt.Errorf("zrtp: random sequence number: %w", err)
	}
	e.chain = newHashChain(h0)
	e.seq = uint16(seq[0]&0x7f)<<8 | uint16(seq[1])
	e.selfHello = e.buildHello()
	return e, nil
}

// HelloHash is this endpoint's SDP a=zrtp-hash value (RFC 6189 §8.1).
func (e *Engine) HelloHash() string {
	h, _ := ZRTPHash(e.selfHello)
	return h
}

// parseHelloHash reads an a=zrtp-hash value: an optional version and a
// space, then 64 hex digits. Like bzrtp, it ignores the version.
func parseHelloHash(s string) ([32]byte, error) {
	var h [32]byte
	if _, after, ok := strings.Cut(strings.TrimSpace(s), " "); ok {
		s = after
	}
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != 32 {
		return h, fmt.Errorf("zrtp: a=zrtp-hash %q is not a version and 64 hex digits", s)
	}
	return [32]byte(b), nil
}

// SetPeerHelloHash gives the engine the peer's a=zrtp-hash once signalling
// has it. If the peer's Hello already came and does not match, the session
// fails: that Hello, and all that followed it, came from someone else.
func (e *Engine) SetPeerHelloHash(hash string) ([]Output, error) {
	h, err := parseHelloHash(hash)
	if err != nil {
		return nil, err
	}
	e.helloHash = &h
	if e.peerHello == nil || sha256.Sum256(e.peerHello) == h || e.state == stFailed {
		return nil, nil
	}
	e.state = stFailed
	e.stopTimer()
	return []Output{Failed{Err: ErrHelloHashMismatch}}, nil
}

// Role is the endpoint's role once Commit contention is over.
func (e *Engine) Role() Role { return e.role }

// Start sends the first Hello and arms its retransmission timer.
func (e *Engine) Start(now time.Time) []Output {
	if e.state != stIdle {
		return nil
	}
	e.state = stDiscovery
	return e.arm(now, e.selfHello, t1Base, t1Cap, t1Retries, ErrNoPeer)
}

// Deadline is when Tick should next be called; ok is false when no timer
// is running.
func (e *Engine) Deadline() (t time.Time, ok bool) {
	return e.timer.next, e.timer.active
}

// Tick resends the pending message when its timer is due, or fails the
// session when the retries are exhausted.
func (e *Engine) Tick(now time.Time) []Output {
	t := &e.timer
	if !t.active || now.Before(t.next) {
		return nil
	}
	if t.left == 0 {
		t.active = false
		if e.state == stFailed { // our Error went unacknowledged; nothing more to do
			return nil
		}
		err := t.onExpiry
		if e.state == stDiscovery && e.peer == nil && e.helloMismatch {
			// only Hellos the signalled a=zrtp-hash did not announce came
			err = fmt.Errorf("%w (and no Hello that matched it came)", ErrHelloHashMismatch)
		}
		e.state = stFailed
		return []Output{Failed{Err: err}}
	}
	t.left--
	t.interval = min(2*t.interval, t.cap)
	t.next = now.Add(t.interval)
	return []Output{e.send(t.msg)}
}

// arm sends msg now and keeps resending it until stopped.
func (e *Engine) arm(now time.Time, msg []byte, base, cap time.Duration, retries int, onExpiry error) []Output {
	e.timer = retransmitter{msg: msg, next: now.Add(base), interval: base, cap: cap, left: retries, active: true, onExpiry: onExpiry}
	return []Output{e.send(msg)}
}

func (e *Engine) stopTimer() { e.timer.active = false }

// watch sends nothing but fails the session with onExpiry if nothing
// re-arms the timer within d.
func (e *Engine) watch(now time.Time, d time.Duration, onExpiry error) {
	e.timer = retransmitter{next: now.Add(d), active: true, onExpiry: onExpiry}
}

// send frames a message with the next sequence number.
func (e *Engine) send(msg []byte) Send {
	e.seq++
	return Send{Packet: Packet{Sequence: e.seq, SSRC: e.cfg.SSRC, Message: msg}.Marshal()}
}

// fail ends the session with an Error message to the peer.
func (e *Engine) fail(now time.Time, code ErrorCode, err error) []Output {
	e.state = stFailed
	out := e.arm(now, Marshal(&ErrorMsg{Code: code}), t2Base, t2Cap, t2Retries, nil)
	return append(out, Failed{Code: code, Err: err})
}

// Receive handles one packet from the media socket. It returns what to send
// and what happened; a non-nil error means the packet was dropped (not ZRTP,
// damaged, malformed, failing a hash-chain or Hello-hash check, or
// unexpected) and the session goes on as before. Checks that only a man in
// the middle can fail (a DHPart2 that breaks the Commit's hvi, a Confirm
// with a bad MAC) are fatal instead: the engine sends an Error (0x62,
// 0x70), resends it until ErrorACK, and reports Failed.
func (e *Engine) Receive(pkt []byte, now time.Time) ([]Output, error) {
	if e.state == stIdle {
		return nil, ErrNotStarted
	}
	p, err := ParsePacket(pkt)
	if err != nil {
		return nil, err
	}
	m, err := ParseMessage(p.Message)
	if err != nil {
		return nil, err
	}
	msg := bytes.Clone(p.Message)
	switch m := m.(type) {
	case *Hello:
		return e.onHello(now, msg, m)
	case *Commit:
		return e.onCommit(now, msg, m)
	case *DHPart:
		if m.Part == 1 {
			return e.onDHPart1(now, msg, m)
		}
		return e.onDHPart2(now, msg, m)
	case *Confirm:
		if m.Which == 1 {
			return e.onConfirm1(now, msg, m)
		}
		return e.onConfirm2(now, msg, m)
	case *ErrorMsg:
		return e.onError(m)
	case *GoClear:
		// Padlock never goes back to clear media (RFC 6189 §4.7.2 lets an
		// endpoint refuse); tell the peer and stay secure.
		return []Output{e.send(Marshal(&ErrorMsg{Code: ErrCodeGoClearRefused}))}, nil
	case Ack:
		switch m.Of {
		case MsgHelloACK:
			return e.onHelloACK(now)
		case MsgConf2ACK:
			return e.onConf2ACK()
		case MsgErrorACK:
			if e.state == stFailed {
				e.stopTimer()
				return nil, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: %v", ErrUnexpected, m.Type())
}

func (e *Engine) onError(m *ErrorMsg) ([]Output, error) {
	out := []Output{e.send(Marshal(Ack{Of: MsgErrorACK}))}
	if e.state == stFailed || e.state == stSecure {
		// an Error after success cannot take the keys back; ACK it only
		return out, nil
	}
	e.state = stFailed
	e.stopTimer()
	return append(out, Failed{Code: m.Code, FromPeer: true, Err: fmt.Errorf("%w: %v", ErrPeerSentError, m.Code)}), nil
}

// PeerSRTP tells the engine that an SRTP packet from the peer passed
// authentication with the keys of ReceiveKeys. Only the responder could
// have made it, and only after it had our Confirm2, so an initiator still
// waiting for Conf2ACK takes it for one (RFC 6189 section 4.6) and is
// Secured. In any other state it changes nothing.
func (e *Engine) PeerSRTP() []Output {
	if e.state != stConfirm2Sent || e.role != RoleInitiator {
		return nil
	}
	return e.secure()
}

// SetSASVerified records that the local user verified (or un-verified) the
// SAS; the engine answers with the CacheUpdate to store. After a cache
// mismatch, this is when the new retained secret is first stored.
func (e *Engine) SetSASVerified(verified bool) []Output {
	if e.state != stSecure {
		return nil
	}
	if e.mismatch {
		if !verified {
			return nil // nothing trustworthy to store yet
		}
		// the old secrets did not match: keep only the new one
		e.mismatch = false
		e.stored = CachedSecrets{RS1: e.keys.newRS1}
	}
	e.stored.Verified = verified
	return []Output{CacheUpdate{PeerZID: e.peer.ZID, Secrets: e.stored}}
}
