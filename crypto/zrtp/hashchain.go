package zrtp

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
)

// hashChain is H0..H3 of RFC 6189 §9: H0 is random and H(i+1) = SHA-256(Hi).
// The chain always uses SHA-256, whatever hash is negotiated later, since H3
// travels in the Hello before any negotiation (bzrtp and GNU ZRTP agree).
type hashChain [4][32]byte

func newHashChain(h0 [32]byte) hashChain {
	var c hashChain
	c[0] = h0
	for i := 1; i < 4; i++ {
		c[i] = sha256.Sum256(c[i-1][:])
	}
	return c
}

// nextHash is the chain step: SHA-256 of one hash image.
func nextHash(h [32]byte) [32]byte { return sha256.Sum256(h[:]) }

// messageMAC is the MAC field of Hello, Commit and DHPart messages: the first
// 64 bits of HMAC-SHA-256 keyed with the next-lower hash image (H2 for
// Hello, H1 for Commit, H0 for DHPart) over the whole message except the MAC
// itself (RFC 6189 §9).
func messageMAC(key [32]byte, msg []byte) [8]byte {
	m := hmac.New(sha256.New, key[:])
	m.Write(msg[:macOffset(msg)])
	return [8]byte(m.Sum(nil))
}

// setMessageMAC fills in the MAC of an encoded message in place.
func setMessageMAC(key [32]byte, msg []byte) {
	mac := messageMAC(key, msg)
	copy(msg[macOffset(msg):], mac[:])
}

// checkMessageMAC reports whether an encoded message's MAC is right.
func checkMessageMAC(key [32]byte, msg []byte) bool {
	if len(msg) < messageHeaderLen+macLen {
		return false
	}
	want := messageMAC(key, msg)
	return subtle.ConstantTimeCompare(want[:], msg[macOffset(msg):]) == 1
}

// ZRTPHash returns the SDP a=zrtp-hash attribute value of a Hello message
// (RFC 6189 §8.1): its version, a space, and the hex SHA-256 of the whole
// message.
func ZRTPHash(hello []byte) (string, error) {
	t, err := messageHeader(hello)
	if err != nil {
		return "", err
	}
	if t != MsgHello {
		return "", fmt.Errorf("%w: zrtp-hash of a %v message, want Hello", ErrMalformed, t)
	}
	sum := sha256.Sum256(hello)
	return string(hello[12:16]) + " " + hex.EncodeToString(sum[:]), nil
}
