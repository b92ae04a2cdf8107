package zrtp

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"hash"
)

// newHash returns the constructor of a negotiated hash.
func newHash(h Algo) func() hash.Hash {
	if h == HashS384 {
		return sha512.New384
	}
	return sha256.New
}

// hashOf hashes the concatenation of parts with a negotiated hash.
func hashOf(h Algo, parts ...[]byte) []byte {
	d := newHash(h)()
	for _, p := range parts {
		d.Write(p)
	}
	return d.Sum(nil)
}

// hmacOf is the negotiated HMAC of the concatenation of parts.
func hmacOf(h Algo, key []byte, parts ...[]byte) []byte {
	m := hmac.New(newHash(h), key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// KDF is the ZRTP key derivation function of RFC 6189 §4.5.1:
//
//	KDF(KI, Label, Context, L) = HMAC(KI, i || Label || 0x00 || Context || L)
//
// with i the 32-bit counter 1 and L the output length in bits as a 32-bit
// big-endian integer; the HMAC (with the negotiated hash h) is truncated to
// L bits. L must be a multiple of 8 and at most the hash length.
func KDF(h Algo, ki []byte, label string, context []byte, lBits int) []byte {
	var counter, l [4]byte
	binary.BigEndian.PutUint32(counter[:], 1)
	binary.BigEndian.PutUint32(l[:], uint32(lBits))
	out := hmacOf(h, ki, counter[:], []byte(label), []byte{0}, context, l[:])
	return out[:lBits/8]
}

// secretID is the 64-bit identifier of a shared secret sent in DHPart
// messages (RFC 6189 §4.3.1): MAC(secret, label) truncated, where label is
// "Initiator"/"Responder" for rs1, rs2 and pbxsecret, and the sender's H3
// for auxsecret.
func secretID(h Algo, secret, label []byte) [8]byte {
	return [8]byte(hmacOf(h, secret, label))
}

// kdfContext is ZIDi || ZIDr || total_hash (RFC 6189 §4.4.1.4).
func kdfContext(zidI, zidR [12]byte, totalHash []byte) []byte {
	c := make([]byte, 0, 24+len(totalHash))
	c = append(c, zidI[:]...)
	c = append(c, zidR[:]...)
	return append(c, totalHash...)
}

// totalHash is hash(Hello of responder || Commit || DHPart1 || DHPart2),
// over whole messages (RFC 6189 §4.4.1.4).
func totalHash(h Algo, helloR, commit, dhPart1, dhPart2 []byte) []byte {
	return hashOf(h, helloR, commit, dhPart1, dhPart2)
}

// hvi is hash(initiator's DHPart2 || responder's Hello), truncated to 256
// bits (RFC 6189 §4.4.1.1).
func hvi(h Algo, dhPart2, helloR []byte) [32]byte {
	return [32]byte(hashOf(h, dhPart2, helloR))
}

// computeS0 is the DH mode s0 of RFC 6189 §4.4.1.4:
//
//	s0 = hash(counter || DHResult || "ZRTP-HMAC-KDF" || ZIDi || ZIDr ||
//	          total_hash || len(s1) || s1 || len(s2) || s2 || len(s3) || s3)
//
// with counter the 32-bit 1, and a nil secret entering as a zero length.
// context is ZIDi || ZIDr || total_hash.
func computeS0(h Algo, dhResult, context, s1, s2, s3 []byte) []byte {
	var counter [4]byte
	binary.BigEndian.PutUint32(counter[:], 1)
	parts := [][]byte{counter[:], dhResult, []byte("ZRTP-HMAC-KDF"), context}
	for _, s := range [][]byte{s1, s2, s3} {
		parts = append(parts, binary.BigEndian.AppendUint32(nil, uint32(len(s))), s)
	}
	return hashOf(h, parts...)
}

// sessionKeys are the keys derived from s0 (RFC 6189 §4.5.2-§4.5.3, §4.6.1).
type sessionKeys struct {
	s0, context                          []byte
	zrtpSess                             []byte // for Multistream and exported keys
	macKeyI, macKeyR, zrtpKeyI, zrtpKeyR []byte
	srtpKeyI, srtpSaltI                  []byte
	srtpKeyR, srtpSaltR                  []byte
	sasHash                              []byte
	sasValue                             uint32 // leftmost 32 bits of sasHash
	newRS1                               []byte // the retained secret for the cache
}

// srtpSaltLen is the SRTP master salt length: 112 bits.
const srtpSaltLen = 14

func deriveKeys(h, cipher Algo, s0, context []byte) *sessionKeys {
	hl := 8 * hashLen(h)
	kl := 8 * cipherKeyLen(cipher)
	k := &sessionKeys{s0: s0, context: context}
	k.zrtpSess = KDF(h, s0, "ZRTP Session Key", context, hl)
	k.macKeyI = KDF(h, s0, "Initiator HMAC key", context, hl)
	k.macKeyR = KDF(h, s0, "Responder HMAC key", context, hl)
	k.zrtpKeyI = KDF(h, s0, "Initiator ZRTP key", context, kl)
	k.zrtpKeyR = KDF(h, s0, "Responder ZRTP key", context, kl)
	k.srtpKeyI = KDF(h, s0, "Initiator SRTP master key", context, kl)
	k.srtpSaltI = KDF(h, s0, "Initiator SRTP master salt", context, 8*srtpSaltLen)
	k.srtpKeyR = KDF(h, s0, "Responder SRTP master key", context, kl)
	k.srtpSaltR = KDF(h, s0, "Responder SRTP master salt", context, 8*srtpSaltLen)
	k.sasHash = KDF(h, s0, "SAS", context, 256)
	k.sasValue = binary.BigEndian.Uint32(k.sasHash)
	k.newRS1 = KDF(h, s0, "retained secret", context, 256)
	return k
}

// wipe overwrites secret key material that is no longer needed.
func wipe(bufs ...[]byte) {
	for _, b := range bufs {
		clear(b)
	}
}
