package zrtp

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"
)

// onHello stores the peer's Hello and answers HelloACK. Its MAC can only
// be checked once H2 is revealed, by the Commit or the DHPart1.
func (e *Engine) onHello(now time.Time, msg []byte, h *Hello) ([]Output, error) {
	if e.peerHello != nil {
		if bytes.Equal(msg, e.peerHello) && e.state < stSecure {
			// our HelloACK was lost
			return []Output{e.send(Marshal(Ack{Of: MsgHelloACK}))}, nil
		}
		return nil, fmt.Errorf("%w: a second, different Hello", ErrUnexpected)
	}
	if e.state != stDiscovery {
		return nil, fmt.Errorf("%w: Hello", ErrUnexpected)
	}
	if e.helloHash != nil && sha256.Sum256(msg) != *e.helloHash {
		// Dropped, not fatal (as bzrtp does): the Hello carries no MAC we
		// can check yet, so anyone on the path could send one, and the
		// real peer's Hello can still come. If none does, the discovery
		// timer fails the session naming the mismatch (see Tick).
		e.helloMismatch = true
		return nil, ErrHelloHashMismatch
	}
	if string(h.Version[:3]) != "1.1" {
		return e.fail(now, ErrCodeVersion, fmt.Errorf("zrtp: peer speaks ZRTP version %q, we speak 1.10", h.Version)), nil
	}
	if h.ZID == e.cfg.ZID {
		return e.fail(now, ErrCodeEqualZID, fmt.Errorf("zrtp: peer uses our own ZID %x", h.ZID)), nil
	}
	e.peerHello, e.peer = msg, h
	if e.cfg.Cache != nil {
		s, found, err := e.cfg.Cache.Lookup(h.ZID)
		if err != nil {
			return e.fail(now, ErrCodeSoftware, fmt.Errorf("zrtp: ZID cache lookup for %x: %w", h.ZID, err)), nil
		}
		e.cached, e.cacheFound = s, found
	}
	out := []Output{e.send(Marshal(Ack{Of: MsgHelloACK}))}
	if e.helloACKed {
		more, err := e.startCommit(now)
		if err != nil {
			return append(out, e.fail(now, ErrCodeSoftware, err)...), nil
		}
		out = append(out, more...)
	}
	return out, nil
}

func (e *Engine) onHelloACK(now time.Time) ([]Output, error) {
	if e.state != stDiscovery || e.helloACKed {
		return nil, nil // a repeat; harmless
	}
	e.helloACKed = true
	if e.peer == nil {
		// the peer has our Hello: stop resending it, wait for the peer's
		e.watch(now, helloWait, ErrTimeout)
		return nil, nil
	}
	out, err := e.startCommit(now)
	if err != nil {
		return e.fail(now, ErrCodeSoftware, err), nil
	}
	return out, nil
}

// startCommit makes us a candidate initiator: key pair, DHPart2, Commit.
func (e *Engine) startCommit(now time.Time) ([]Output, error) {
	e.chooseAlgorithms()
	kp, err := newKeyPair(e.ka, e.rand)
	if err != nil {
		return nil, err
	}
	e.kp = kp
	if e.dhPart2, err = e.buildDHPart(2); err != nil {
		return nil, err
	}
	e.commit = e.buildCommit()
	e.selfCommit = Marshal(e.commit)
	setMessageMAC(e.chain[1], e.selfCommit)
	e.state = stCommitSent
	return e.arm(now, e.selfCommit, t2Base, t2Cap, t2Retries, ErrTimeout), nil
}

func (e *Engine) onCommit(now time.Time, msg []byte, c *Commit) ([]Output, error) {
	switch e.state {
	case stDiscovery:
		if e.peer == nil {
			return nil, fmt.Errorf("%w: Commit before the peer's Hello", ErrUnexpected)
		}
		return e.becomeResponder(now, msg, c)
	case stCommitSent:
		// Commit contention (RFC 6189 §4.2): the Commit with the lower hvi
		// is discarded and its sender becomes the responder.
		if bytes.Compare(e.commit.HVI[:], c.HVI[:]) < 0 {
			return e.becomeResponder(now, msg, c)
		}
		return nil, nil // we stay initiator; the peer will yield
	case stDHPart1Sent:
		if bytes.Equal(msg, e.peerCommit) {
			e.watch(now, responderWait, ErrTimeout)
			return []Output{e.send(e.lastReply)}, nil // our DHPart1 was lost
		}
	}
	return nil, fmt.Errorf("%w: Commit", ErrUnexpected)
}

// becomeResponder accepts the peer's Commit and answers DHPart1.
func (e *Engine) becomeResponder(now time.Time, msg []byte, c *Commit) ([]Output, error) {
	if nextHash(c.H2) != e.peer.H3 || !checkMessageMAC(c.H2, e.peerHello) {
		return nil, fmt.Errorf("%w: Commit's H2 does not open the peer's Hello", ErrHashChain)
	}
	if c.ZID != e.peer.ZID {
		return nil, fmt.Errorf("%w: Commit's ZID differs from the Hello's", ErrHashChain)
	}
	if code, err := e.checkCommitAlgorithms(c); err != nil {
		return e.fail(now, code, err), nil
	}
	e.stopTimer()
	e.role = RoleResponder
	e.commit, e.peerCommit, e.selfCommit, e.dhPart2 = c, msg, nil, nil
	e.hash, e.cipher, e.auth, e.ka, e.sas = c.Hash, c.Cipher, c.AuthTag, c.KeyAgreement, c.SAS
	kp, err := newKeyPair(e.ka, e.rand)
	if err != nil {
		return e.fail(now, ErrCodeSoftware, err), nil
	}
	e.kp = kp
	if e.dhPart1, err = e.buildDHPart(1); err != nil {
		return e.fail(now, ErrCodeSoftware, err), nil
	}
	e.state = stDHPart1Sent
	e.lastReply = e.dhPart1
	e.watch(now, responderWait, ErrTimeout)
	return []Output{e.send(e.dhPart1)}, nil
}

// sharedSecret checks the peer's public value and computes DHResult.
func (e *Engine) sharedSecret(now time.Time, d *DHPart) ([]byte, []Output, error) {
	if len(d.PV) != publicValueLen(e.ka) {
		return nil, nil, fmt.Errorf("%w: %v public value of %d bytes for %v", ErrMalformed, d.Type(), len(d.PV), e.ka)
	}
	z, err := e.kp.shared(d.PV)
	if err != nil {
		return nil, e.fail(now, ErrCodeBadPV, err), nil
	}
	return z, nil, nil
}

func (e *Engine) onDHPart1(now time.Time, msg []byte, d *DHPart) ([]Output, error) {
	if e.state == stDHPart2Sent && bytes.Equal(msg, e.dhPart1) {
		return nil, nil // a repeat; our DHPart2 timer covers it
	}
	if e.state != stCommitSent {
		return nil, fmt.Errorf("%w: DHPart1", ErrUnexpected)
	}
	h2 := nextHash(d.H1)
	if nextHash(h2) != e.peer.H3 || !checkMessageMAC(h2, e.peerHello) {
		return nil, fmt.Errorf("%w: DHPart1's H1 does not open the peer's Hello", ErrHashChain)
	}
	z, out, err := e.sharedSecret(now, d)
	if z == nil {
		return out, err
	}
	e.stopTimer()
	e.role = RoleInitiator
	e.dhPart1, e.peerDH = msg, d
	e.matchSecrets(d.RS1ID, d.RS2ID)
	if e.mismatch {
		out = append(out, CacheMismatch{PeerZID: e.peer.ZID})
	}
	e.computeKeys(z)
	e.state = stDHPart2Sent
	return append(out, e.arm(now, e.dhPart2, t2Base, t2Cap, t2Retries, ErrTimeout)...), nil
}

func (e *Engine) onDHPart2(now time.Time, msg []byte, d *DHPart) ([]Output, error) {
	if e.state == stConfirm1Sent && bytes.Equal(msg, e.dhPart2) {
		e.watch(now, responderWait, ErrTimeout)
		return []Output{e.send(e.lastReply)}, nil // our Confirm1 was lost
	}
	if e.state != stDHPart1Sent {
		return nil, fmt.Errorf("%w: DHPart2", ErrUnexpected)
	}
	if nextHash(d.H1) != e.commit.H2 || !checkMessageMAC(d.H1, e.peerCommit) {
		return nil, fmt.Errorf("%w: DHPart2's H1 does not open the peer's Commit", ErrHashChain)
	}
	// The DHPart2 must be the one the Commit promised: hvi =
	// hash(DHPart2 || responder's Hello). Skipping this check let a man in
	// the middle choose his DH value after seeing ours (CVE-2016-6271).
	if hvi(e.hash, msg, e.selfHello) != e.commit.HVI {
		return e.fail(now, ErrCodeBadHVI, fmt.Errorf("zrtp: DHPart2 does not match the Commit's hvi")), nil
	}
	z, out, err := e.sharedSecret(now, d)
	if z == nil {
		return out, err
	}
	e.dhPart2, e.peerDH = msg, d
	e.matchSecrets(d.RS1ID, d.RS2ID)
	if e.mismatch {
		out = append(out, CacheMismatch{PeerZID: e.peer.ZID})
	}
	e.computeKeys(z)
	confirm1, err := e.buildConfirm(1)
	if err != nil {
		return append(out, e.fail(now, ErrCodeSoftware, err)...), nil
	}
	e.state = stConfirm1Sent
	e.lastReply = confirm1
	e.watch(now, responderWait, ErrTimeout)
	return append(out, e.send(confirm1)), nil
}

// openConfirm decrypts a peer's Confirm and checks that its H0 opens the
// peer's DHPart (hash chain and MAC).
func (e *Engine) openConfirm(c *Confirm, zrtpKey, macKey []byte, peerDHPart []byte) (*ConfirmPlain, error) {
	p, err := OpenConfirm(c, e.hash, zrtpKey, macKey)
	if err != nil {
		return nil, err
	}
	if nextHash(p.H0) != e.peerDH.H1 || !checkMessageMAC(p.H0, peerDHPart) {
		return nil, fmt.Errorf("%w: %v's H0 does not open the peer's DHPart", ErrHashChain, c.Type())
	}
	return p, nil
}

// confirmErrorCode is the Error code for a Confirm that cannot be opened.
// A bad confirm_mac, or an H0 that does not open the peer's DHPart, is
// fatal (RFC 6189 §5.9 code 0x70, as ZRTPCPP and libzrtp do): by now both
// sides hold keys from one DH exchange, so a Confirm that fails is either
// a man in the middle whose DH differs from ours or a forgery, and waiting
// for a better one only delays the alarm. A forger on the path gains
// nothing he did not have already: he can always send an Error, or drop
// packets.
func confirmErrorCode(err error) ErrorCode {
	if errors.Is(err, ErrConfirmMAC) || errors.Is(err, ErrHashChain) {
		return ErrCodeBadConfirmMAC
	}
	return ErrCodeMalformed // a good MAC over a plaintext we cannot parse
}

func (e *Engine) onConfirm1(now time.Time, msg []byte, c *Confirm) ([]Output, error) {
	if e.state >= stConfirm2Sent && bytes.Equal(msg, e.peerConfirm) {
		return nil, nil // a repeat
	}
	if e.state != stDHPart2Sent {
		return nil, fmt.Errorf("%w: Confirm1", ErrUnexpected)
	}
	p, err := e.openConfirm(c, e.keys.zrtpKeyR, e.keys.macKeyR, e.dhPart1)
	if err != nil {
		return e.fail(now, confirmErrorCode(err), err), nil
	}
	e.peerV = p.SASVerified
	e.peerConfirm = msg
	confirm2, err := e.buildConfirm(2)
	if err != nil {
		return e.fail(now, ErrCodeSoftware, err), nil
	}
	e.state = stConfirm2Sent
	out := e.arm(now, confirm2, t2Base, t2Cap, t2Retries, ErrTimeout)
	return append(out, ReceiveKeys{Keys: e.srtpKeys()}), nil
}

func (e *Engine) onConfirm2(now time.Time, msg []byte, c *Confirm) ([]Output, error) {
	if e.state == stSecure && e.role == RoleResponder && bytes.Equal(msg, e.peerConfirm) {
		return []Output{e.send(Marshal(Ack{Of: MsgConf2ACK}))}, nil // our Conf2ACK was lost
	}
	if e.state != stConfirm1Sent {
		return nil, fmt.Errorf("%w: Confirm2", ErrUnexpected)
	}
	p, err := e.openConfirm(c, e.keys.zrtpKeyI, e.keys.macKeyI, e.dhPart2)
	if err != nil {
		return e.fail(now, confirmErrorCode(err), err), nil
	}
	e.peerV = p.SASVerified
	e.peerConfirm = msg
	out := []Output{e.send(Marshal(Ack{Of: MsgConf2ACK}))}
	return append(out, e.secure()...), nil
}

func (e *Engine) onConf2ACK() ([]Output, error) {
	if e.state != stConfirm2Sent {
		return nil, nil // a repeat, or stray
	}
	return e.secure(), nil
}
