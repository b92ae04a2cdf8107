package otr

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
)

// The authenticated key exchange (a SIGMA variant): D-H Commit, D-H Key,
// Reveal Signature, Signature.

type authState int

const (
	authNone authState = iota
	authAwaitingDHKey
	authAwaitingRevealSig
	authAwaitingSig
)

const (
	dhPrivBytes = 40 // 320-bit D-H private values
	akeRLen     = 16 // the 128-bit AES key r of the commitment
	akeKeyID    = 1  // the AKE's D-H key is our_dh[our_keyid-1] with our_keyid = 2
)

var errAKE = errors.New("otr: AKE message failed verification")

// akeState is the authentication state of the (at most one) AKE under way.
type akeState struct {
	state    authState
	version  uint16
	theirTag uint32 // v3: the instance we are exchanging keys with (0 if unknown)

	// Our D-H pair for this AKE: x as the initiator, y as the responder.
	our dhPair
	// Initiator side: r and our commitment, then the received g^y.
	r             []byte
	encGx, hashGx []byte
	theirGy       *big.Int
	sentRevealSig *wireMsg
	// Responder side: the received commitment.
	theirEncGx, theirHashGx []byte
}

type dhPair struct {
	priv, pub *big.Int
}

func (c *Conversation) newDHPair() (dhPair, error) {
	x, err := c.randExponent(dhPrivBytes)
	if err != nil {
		return dhPair{}, err
	}
	return dhPair{priv: x, pub: new(big.Int).Exp(dhGenerator, x, dhPrime)}, nil
}

// header fills the version and tags of an outgoing AKE message.
func (c *Conversation) akeMsg(typ byte) *wireMsg {
	return &wireMsg{version: c.ake.version, typ: typ, senderTag: c.ourTag, receiverTag: c.ake.theirTag}
}

func (c *Conversation) sendAKE(m *wireMsg, out *output) error {
	frags, err := c.frame(m)
	if err != nil {
		return err
	}
	out.send(frags...)
	return nil
}

// startAKE answers a query (or a whitespace tag) offering the given
// versions: a D-H Commit for the highest version both sides allow.
func (c *Conversation) startAKE(offered versionSet, out *output) error {
	var v uint16
	switch {
	case offered.has(3) && c.cfg.Policy.AllowV3:
		v = 3
	case offered.has(2) && c.cfg.Policy.AllowV2:
		v = 2
	default:
		return nil // nothing in common: stay in plaintext
	}
	pair, err := c.newDHPair()
	if err != nil {
		return err
	}
	r, err := c.randBytes(akeRLen)
	if err != nil {
		return err
	}
	gxMPI := mpiBytes(pair.pub)
	hash := sha256.Sum256(gxMPI)
	c.ake = akeState{
		state:   authAwaitingDHKey,
		version: v,
		our:     pair,
		r:       r,
		encGx:   aesCTR(r, nil, gxMPI),
		hashGx:  hash[:],
	}
	m := c.akeMsg(msgDHCommit)
	m.encGx, m.hashGx = c.ake.encGx, c.ake.hashGx
	return c.sendAKE(m, out)
}

func (c *Conversation) receiveDHCommit(m *wireMsg, out *output) error {
	switch c.ake.state {
	case authAwaitingDHKey:
		// Both sides sent a commit. The larger hash (as a 256-bit
		// big-endian number) wins and keeps its role.
		if bytes.Compare(c.ake.hashGx, m.hashGx) > 0 {
			resend := c.akeMsg(msgDHCommit)
			resend.encGx, resend.hashGx = c.ake.encGx, c.ake.hashGx
			return c.sendAKE(resend, out)
		}
	case authAwaitingRevealSig:
		// Keep our D-H key, take the new commitment, resend the D-H Key.
		c.ake.version, c.ake.theirTag = m.version, m.senderTag
		c.ake.theirEncGx, c.ake.theirHashGx = m.encGx, m.hashGx
		reply := c.akeMsg(msgDHKey)
		reply.gy = c.ake.our.pub
		return c.sendAKE(reply, out)
	}
	pair, err := c.newDHPair()
	if err != nil {
		return err
	}
	c.ake = akeState{
		state:       authAwaitingRevealSig,
		version:     m.version,
		theirTag:    m.senderTag,
		our:         pair,
		theirEncGx:  m.encGx,
		theirHashGx: m.hashGx,
	}
	reply := c.akeMsg(msgDHKey)
	reply.gy = pair.pub
	return c.sendAKE(reply, out)
}

func (c *Conversation) receiveDHKey(m *wireMsg, out *output) error {
	if m.version != c.ake.version {
		return nil
	}
	switch c.ake.state {
	case authAwaitingDHKey:
	case authAwaitingSig:
		// A repeat of the D-H Key we answered means our Reveal Signature
		// was lost: send it again. Any other D-H Key is ignored.
		if c.ake.theirGy.Cmp(m.gy) == 0 && (m.version == 2 || m.senderTag == c.ake.theirTag) {
			return c.sendAKE(c.ake.sentRevealSig, out)
		}
		return nil
	default:
		return nil
	}
	if !isGroupElement(m.gy) {
		return fmt.Errorf("%w: g^y out of range", errAKE)
	}
	if m.version == 3 {
		c.ake.theirTag = m.senderTag
	}
	s := new(big.Int).Exp(m.gy, c.ake.our.priv, dhPrime)
	keys := deriveAKEKeys(s)
	encSig, mac, err := c.encryptedSignature(keys.c[:], keys.m1[:], keys.m2[:], c.ake.our.pub, m.gy)
	if err != nil {
		return err
	}
	reply := c.akeMsg(msgRevealSig)
	reply.r, reply.encSig, reply.mac = c.ake.r, encSig, mac
	c.ake.state = authAwaitingSig
	c.ake.theirGy = m.gy
	c.ake.sentRevealSig = reply
	return c.sendAKE(reply, out)
}

// encryptedSignature builds AES_c(X) and its MAC, where X = pub, keyid,
// sig(M) and M = HMAC_m1(ourDH, theirDH, pub, keyid).
func (c *Conversation) encryptedSignature(cKey, m1, m2 []byte, ourDH, theirDH *big.Int) (encSig, mac []byte, err error) {
	pub := c.cfg.PrivateKey.PublicKey.appendTo(nil)
	keyID := appendInt(nil, akeKeyID)
	mb := hmacSHA256(m1, mpiBytes(ourDH), mpiBytes(theirDH), pub, keyID)
	sig, err := c.cfg.PrivateKey.sign(c.rand, mb)
	if err != nil {
		return nil, nil, err
	}
	x := append(append(pub, keyID...), sig...)
	encSig = aesCTR(cKey, nil, x)
	return encSig, hmacSHA256160(m2, appendData(nil, encSig)), nil
}

// verifyEncryptedSignature checks the MAC, decrypts X and checks the
// signature over M = HMAC_m1(theirDH, ourDH, pub, keyid). It returns the
// correspondent's key and their D-H key id.
func verifyEncryptedSignature(cKey, m1, m2 []byte, encSig, mac []byte, theirDH, ourDH *big.Int) (*PublicKey, uint32, error) {
	want := hmacSHA256160(m2, appendData(nil, encSig))
	if subtle.ConstantTimeCompare(want, mac) != 1 {
		return nil, 0, fmt.Errorf("%w: bad MAC on the encrypted signature", errAKE)
	}
	x := aesCTR(cKey, nil, encSig)
	r := &reader{b: x}
	start := len(r.b)
	pub, err := readPublicKey(r)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", errAKE, err)
	}
	pubBytes := x[:start-len(r.b)]
	keyID := r.int4()
	sig := r.bytes(pub.sigLen())
	if !r.ok() || !r.empty() || keyID == 0 {
		return nil, 0, fmt.Errorf("%w: malformed signed structure", errAKE)
	}
	m := hmacSHA256(m1, mpiBytes(theirDH), mpiBytes(ourDH), pubBytes, appendInt(nil, keyID))
	if !pub.verify(m, sig) {
		return nil, 0, fmt.Errorf("%w: bad signature", errAKE)
	}
	return pub, keyID, nil
}

func (c *Conversation) receiveRevealSig(m *wireMsg, out *output) error {
	if c.ake.state != authAwaitingRevealSig || m.version != c.ake.version ||
		(m.version == 3 && m.senderTag != c.ake.theirTag) {
		return nil
	}
	if len(m.r) != akeRLen {
		return fmt.Errorf("%w: r is %d bytes", errAKE, len(m.r))
	}
	gxMPI := aesCTR(m.r, nil, c.ake.theirEncGx)
	hash := sha256.Sum256(gxMPI)
	if !hmac.Equal(hash[:], c.ake.theirHashGx) {
		return fmt.Errorf("%w: revealed g^x does not match its commitment", errAKE)
	}
	r := &reader{b: gxMPI}
	gx := r.mpi()
	if !r.ok() || !r.empty() || !isGroupElement(gx) {
		return fmt.Errorf("%w: g^x malformed or out of range", errAKE)
	}
	s := new(big.Int).Exp(gx, c.ake.our.priv, dhPrime)
	keys := deriveAKEKeys(s)
	theirKey, theirKeyID, err := verifyEncryptedSignature(keys.c[:], keys.m1[:], keys.m2[:], m.encSig, m.mac, gx, c.ake.our.pub)
	if err != nil {
		return err
	}
	encSig, mac, err := c.encryptedSignature(keys.cp[:], keys.m1p[:], keys.m2p[:], c.ake.our.pub, gx)
	if err != nil {
		return err
	}
	reply := c.akeMsg(msgSig)
	reply.encSig, reply.mac = encSig, mac
	if err := c.sendAKE(reply, out); err != nil {
		return err
	}
	return c.finishAKE(keys, theirKey, theirKeyID, gx, out)
}

func (c *Conversation) receiveSig(m *wireMsg, out *output) error {
	if c.ake.state != authAwaitingSig || m.version != c.ake.version ||
		(m.version == 3 && m.senderTag != c.ake.theirTag) {
		return nil
	}
	s := new(big.Int).Exp(c.ake.theirGy, c.ake.our.priv, dhPrime)
	keys := deriveAKEKeys(s)
	theirKey, theirKeyID, err := verifyEncryptedSignature(keys.cp[:], keys.m1p[:], keys.m2p[:], m.encSig, m.mac, c.ake.theirGy, c.ake.our.pub)
	if err != nil {
		c.ake = akeState{} // the spec returns to AUTHSTATE_NONE either way
		return err
	}
	return c.finishAKE(keys, theirKey, theirKeyID, c.ake.theirGy, out)
}

// finishAKE starts the data session: our AKE key is our_dh[1], a fresh
// pair is our_dh[2]; their AKE key is their_y[their keyid].
func (c *Conversation) finishAKE(keys *akeKeys, theirKey *PublicKey, theirKeyID uint32, theirDH *big.Int, out *output) error {
	next, err := c.newDHPair()
	if err != nil {
		return err
	}
	s := &session{
		version:    c.ake.version,
		theirTag:   c.ake.theirTag,
		theirKey:   theirKey,
		ssid:       keys.ssid,
		weRevealed: c.ake.state == authAwaitingSig,
		ourKeyID:   akeKeyID + 1,
		ourPrev:    c.ake.our,
		ourCur:     next,
		theirKeyID: theirKeyID,
		theirCur:   theirDH,
		slots:      map[slotID]*keySlot{},
	}
	c.ake = akeState{}
	return c.goSecure(s, out)
}
