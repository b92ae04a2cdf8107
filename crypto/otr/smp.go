package otr

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
)

// The Socialist Millionaires' Protocol, run inside the private conversation
// to check that both users know the same secret (and so that no one sits
// in the middle). All arithmetic is in the D-H group; proofs are computed
// modulo its order q.

type smpStep int

const (
	smpExpect1 smpStep = iota
	smpExpect2
	smpExpect3
	smpExpect4
)

// smpExpBytes is the size of SMP's random exponents (1536 bits).
const smpExpBytes = 192

// smpVersion is the version byte of the secret's hash input.
const smpVersion = 1

// smpState is the SMP state machine and the values kept between steps.
type smpState struct {
	step smpStep

	// A received SMP message 1 waiting for the user's secret.
	awaitingSecret bool
	question       string
	g2a, g3a       *big.Int

	secret *big.Int // x (initiator) or y (responder)
	a2, a3 *big.Int // initiator exponents; a3 doubles as b3 for the responder
	g2, g3 *big.Int
	g3o    *big.Int // the other side's g3a or g3b
	pb, qb *big.Int // responder's P and Q (initiator keeps the received ones)
	papb   *big.Int
	qaqb   *big.Int
}

func (s *smpState) reset() { *s = smpState{} }

var errSMPProof = errors.New("otr: SMP proof did not verify")

// smpHash is SHA-256(version byte, MPIs...) as an integer.
func smpHash(v byte, mpis ...*big.Int) *big.Int {
	h := sha256.New()
	h.Write([]byte{v})
	for _, m := range mpis {
		h.Write(mpiBytes(m))
	}
	return new(big.Int).SetBytes(h.Sum(nil))
}

func expG(e *big.Int) *big.Int      { return new(big.Int).Exp(dhGenerator, e, dhPrime) }
func expMod(b, e *big.Int) *big.Int { return new(big.Int).Exp(b, e, dhPrime) }
func mulMod(a, b *big.Int) *big.Int { return new(big.Int).Mod(new(big.Int).Mul(a, b), dhPrime) }
func divMod(a, b *big.Int) *big.Int { return mulMod(a, new(big.Int).ModInverse(b, dhPrime)) }
func proofD(r, a, c *big.Int) *big.Int { // r - a*c mod q
	d := new(big.Int).Mul(a, c)
	d.Sub(r, d)
	return d.Mod(d, dhOrder)
}

// checkKnowledge verifies a proof of knowledge of log_g1(v): c = H(n, g1^D v^c).
func checkKnowledge(n byte, v, c, d *big.Int) bool {
	return smpHash(n, mulMod(expG(d), expMod(v, c))).Cmp(c) == 0
}

// smpSecret is SHA-256(1, initiator fingerprint, responder fingerprint,
// ssid, user secret).
func (c *Conversation) smpSecret(secret []byte, weStarted bool) *big.Int {
	ours := c.cfg.PrivateKey.Fingerprint()
	theirs := c.sess.theirKey.Fingerprint()
	h := sha256.New()
	h.Write([]byte{smpVersion})
	if weStarted {
		h.Write(ours[:])
		h.Write(theirs[:])
	} else {
		h.Write(theirs[:])
		h.Write(ours[:])
	}
	h.Write(c.sess.ssid[:])
	h.Write(secret)
	return new(big.Int).SetBytes(h.Sum(nil))
}

func (c *Conversation) smpExps(n int) ([]*big.Int, error) {
	out := make([]*big.Int, n)
	for i := range out {
		e, err := c.randExponent(smpExpBytes)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// Authenticate runs SMP with the given secret. If the correspondent started
// SMP (an SMPSecretNeeded event came), it answers them and question is
// ignored; otherwise it starts SMP, with the question shown to the
// correspondent if it is not empty.
func (c *Conversation) Authenticate(question string, secret []byte) ([]string, error) {
	if c.state != stateEncrypted {
		return nil, ErrNotEncrypted
	}
	if c.smp.awaitingSecret {
		tlvs, err := c.smpAnswer(secret)
		if err != nil {
			return nil, err
		}
		return c.sendData(nil, tlvs, flagIgnoreUnreadable)
	}
	var tlvs []tlv
	if c.smp.step != smpExpect1 {
		tlvs = append(tlvs, tlv{typ: tlvSMPAbort})
		c.smp.reset()
	}
	start, err := c.smpStart(question, secret)
	if err != nil {
		return nil, err
	}
	return c.sendData(nil, append(tlvs, start), flagIgnoreUnreadable)
}

// AbortSMP stops SMP and tells the correspondent.
func (c *Conversation) AbortSMP() ([]string, error) {
	if c.state != stateEncrypted {
		return nil, ErrNotEncrypted
	}
	c.smp.reset()
	return c.sendData(nil, []tlv{{typ: tlvSMPAbort}}, flagIgnoreUnreadable)
}

func (c *Conversation) smpStart(question string, secret []byte) (tlv, error) {
	e, err := c.smpExps(4)
	if err != nil {
		return tlv{}, err
	}
	a2, a3, r2, r3 := e[0], e[1], e[2], e[3]
	c2 := smpHash(1, expG(r2))
	c3 := smpHash(2, expG(r3))
	value := encodeSMP(expG(a2), c2, proofD(r2, a2, c2), expG(a3), c3, proofD(r3, a3, c3))
	c.smp = smpState{step: smpExpect2, secret: c.smpSecret(secret, true), a2: a2, a3: a3}
	if question == "" {
		return tlv{typ: tlvSMP1, value: value}, nil
	}
	return tlv{typ: tlvSMP1Q, value: append(append([]byte(question), 0), value...)}, nil
}

// receiveSMP runs one received SMP TLV and returns the TLVs to answer with.
func (c *Conversation) receiveSMP(t tlv, out *output) ([]tlv, error) {
	abort := func(detail string) []tlv {
		c.smp.reset()
		out.event(Event{Kind: SMPAborted, Detail: detail})
		return []tlv{{typ: tlvSMPAbort}}
	}
	cheated := func(err error) []tlv {
		c.smp.reset()
		out.event(Event{Kind: SMPFailed, Detail: err.Error()})
		return []tlv{{typ: tlvSMPAbort}}
	}
	want := map[uint16]smpStep{tlvSMP1: smpExpect1, tlvSMP1Q: smpExpect1, tlvSMP2: smpExpect2, tlvSMP3: smpExpect3, tlvSMP4: smpExpect4}
	if t.typ == tlvSMPAbort {
		c.smp.reset()
		out.event(Event{Kind: SMPAborted, Detail: "the correspondent aborted SMP"})
		return nil, nil
	}
	if c.smp.step != want[t.typ] {
		return abort("unexpected SMP message; SMP restarted"), nil
	}
	var err error
	switch t.typ {
	case tlvSMP1, tlvSMP1Q:
		value, question := t.value, ""
		if t.typ == tlvSMP1Q {
			if question, value, err = splitSMP1Q(t.value); err != nil {
				return cheated(err), nil
			}
		}
		if err = c.smpReceive1(value, question); err != nil {
			return cheated(err), nil
		}
		out.event(Event{Kind: SMPSecretNeeded, Question: question})
		return nil, nil
	case tlvSMP2:
		reply, err := c.smpReceive2(t.value)
		if err != nil {
			return cheated(err), nil
		}
		out.event(Event{Kind: SMPInProgress, Detail: "SMP message 2 received, message 3 sent"})
		return []tlv{reply}, nil
	case tlvSMP3:
		reply, same, err := c.smpReceive3(t.value)
		if err != nil {
			return cheated(err), nil
		}
		out.event(smpResult(same))
		return []tlv{reply}, nil
	case tlvSMP4:
		same, err := c.smpReceive4(t.value)
		if err != nil {
			return cheated(err), nil
		}
		out.event(smpResult(same))
		return nil, nil
	}
	return nil, nil
}

func smpResult(same bool) Event {
	if same {
		return Event{Kind: SMPSucceeded}
	}
	return Event{Kind: SMPFailed, Detail: "the secrets differ"}
}

// proofValues checks the hash values (c: 256 bits) and exponents (D: below
// q) of a proof. Correct peers always send them reduced; an unreduced huge
// exponent would only cost us time.
func proofValues(cs []*big.Int, ds []*big.Int) error {
	for _, c := range cs {
		if c.BitLen() > 256 {
			return fmt.Errorf("%w: hash value too large", errSMPProof)
		}
	}
	for _, d := range ds {
		if d.Cmp(dhOrder) >= 0 {
			return fmt.Errorf("%w: exponent not reduced", errSMPProof)
		}
	}
	return nil
}

func allGroupElements(vs ...*big.Int) error {
	for _, v := range vs {
		if !isGroupElement(v) {
			return fmt.Errorf("%w: value out of range", errSMPProof)
		}
	}
	return nil
}

// smpReceive1 checks message 1 and keeps it until the user gives a secret.
func (c *Conversation) smpReceive1(value []byte, question string) error {
	v, err := decodeSMP(value, 6)
	if err != nil {
		return err
	}
	g2a, c2, d2, g3a, c3, d3 := v[0], v[1], v[2], v[3], v[4], v[5]
	if err := allGroupElements(g2a, g3a); err != nil {
		return err
	}
	if err := proofValues([]*big.Int{c2, c3}, []*big.Int{d2, d3}); err != nil {
		return err
	}
	if !checkKnowledge(1, g2a, c2, d2) || !checkKnowledge(2, g3a, c3, d3) {
		return errSMPProof
	}
	c.smp = smpState{awaitingSecret: true, question: question, g2a: g2a, g3a: g3a}
	return nil
}

// smpAnswer builds message 2 once the user has given the secret.
func (c *Conversation) smpAnswer(secret []byte) ([]tlv, error) {
	e, err := c.smpExps(7)
	if err != nil {
		return nil, err
	}
	b2, b3, r2, r3, r4, r5, r6 := e[0], e[1], e[2], e[3], e[4], e[5], e[6]
	y := c.smpSecret(secret, false)
	s := &c.smp
	c2 := smpHash(3, expG(r2))
	c3 := smpHash(4, expG(r3))
	g2 := expMod(s.g2a, b2)
	g3 := expMod(s.g3a, b3)
	pb := expMod(g3, r4)
	qb := mulMod(expG(r4), expMod(g2, y))
	cp := smpHash(5, expMod(g3, r5), mulMod(expG(r5), expMod(g2, r6)))
	value := encodeSMP(expG(b2), c2, proofD(r2, b2, c2), expG(b3), c3, proofD(r3, b3, c3),
		pb, qb, cp, proofD(r5, r4, cp), proofD(r6, y, cp))
	*s = smpState{step: smpExpect3, secret: y, a3: b3, g2: g2, g3: g3, g3o: s.g3a, pb: pb, qb: qb}
	return []tlv{{typ: tlvSMP2, value: value}}, nil
}

// smpReceive2 checks message 2 and builds message 3 (initiator).
func (c *Conversation) smpReceive2(value []byte) (tlv, error) {
	v, err := decodeSMP(value, 11)
	if err != nil {
		return tlv{}, err
	}
	g2b, c2, d2, g3b, c3, d3, pb, qb, cp, d5, d6 := v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]
	if err := allGroupElements(g2b, g3b, pb, qb); err != nil {
		return tlv{}, err
	}
	if err := proofValues([]*big.Int{c2, c3, cp}, []*big.Int{d2, d3, d5, d6}); err != nil {
		return tlv{}, err
	}
	if !checkKnowledge(3, g2b, c2, d2) || !checkKnowledge(4, g3b, c3, d3) {
		return tlv{}, errSMPProof
	}
	s := &c.smp
	g2 := expMod(g2b, s.a2)
	g3 := expMod(g3b, s.a3)
	if smpHash(5, mulMod(expMod(g3, d5), expMod(pb, cp)),
		mulMod(mulMod(expG(d5), expMod(g2, d6)), expMod(qb, cp))).Cmp(cp) != 0 {
		return tlv{}, errSMPProof
	}
	e, err := c.smpExps(4)
	if err != nil {
		return tlv{}, err
	}
	r4, r5, r6, r7 := e[0], e[1], e[2], e[3]
	pa := expMod(g3, r4)
	qa := mulMod(expG(r4), expMod(g2, s.secret))
	cpa := smpHash(6, expMod(g3, r5), mulMod(expG(r5), expMod(g2, r6)))
	qaqb := divMod(qa, qb)
	ra := expMod(qaqb, s.a3)
	cr := smpHash(7, expG(r7), expMod(qaqb, r7))
	value = encodeSMP(pa, qa, cpa, proofD(r5, r4, cpa), proofD(r6, s.secret, cpa), ra, cr, proofD(r7, s.a3, cr))
	s.step, s.g3o, s.papb, s.qaqb = smpExpect4, g3b, divMod(pa, pb), qaqb
	return tlv{typ: tlvSMP3, value: value}, nil
}

// smpReceive3 checks message 3, builds message 4 and decides (responder).
func (c *Conversation) smpReceive3(value []byte) (tlv, bool, error) {
	v, err := decodeSMP(value, 8)
	if err != nil {
		return tlv{}, false, err
	}
	pa, qa, cp, d5, d6, ra, cr, d7 := v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
	if err := allGroupElements(pa, qa, ra); err != nil {
		return tlv{}, false, err
	}
	if err := proofValues([]*big.Int{cp, cr}, []*big.Int{d5, d6, d7}); err != nil {
		return tlv{}, false, err
	}
	s := &c.smp
	if smpHash(6, mulMod(expMod(s.g3, d5), expMod(pa, cp)),
		mulMod(mulMod(expG(d5), expMod(s.g2, d6)), expMod(qa, cp))).Cmp(cp) != 0 {
		return tlv{}, false, errSMPProof
	}
	qaqb := divMod(qa, s.qb)
	if smpHash(7, mulMod(expG(d7), expMod(s.g3o, cr)), mulMod(expMod(qaqb, d7), expMod(ra, cr))).Cmp(cr) != 0 {
		return tlv{}, false, errSMPProof
	}
	e, err := c.smpExps(1)
	if err != nil {
		return tlv{}, false, err
	}
	r7 := e[0]
	rb := expMod(qaqb, s.a3)
	crb := smpHash(8, expG(r7), expMod(qaqb, r7))
	reply := tlv{typ: tlvSMP4, value: encodeSMP(rb, crb, proofD(r7, s.a3, crb))}
	rab := expMod(ra, s.a3)
	same := rab.Cmp(divMod(pa, s.pb)) == 0
	s.reset()
	return reply, same, nil
}

// smpReceive4 checks message 4 and decides (initiator).
func (c *Conversation) smpReceive4(value []byte) (bool, error) {
	v, err := decodeSMP(value, 3)
	if err != nil {
		return false, err
	}
	rb, cr, d7 := v[0], v[1], v[2]
	if err := allGroupElements(rb); err != nil {
		return false, err
	}
	if err := proofValues([]*big.Int{cr}, []*big.Int{d7}); err != nil {
		return false, err
	}
	s := &c.smp
	if smpHash(8, mulMod(expG(d7), expMod(s.g3o, cr)), mulMod(expMod(s.qaqb, d7), expMod(rb, cr))).Cmp(cr) != 0 {
		return false, errSMPProof
	}
	same := expMod(rb, s.a3).Cmp(s.papb) == 0
	s.reset()
	return same, nil
}
