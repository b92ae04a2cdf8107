package otr

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"math/big"
)

// akeKeys are the values derived from the AKE's shared secret s.
type akeKeys struct {
	ssid     [8]byte
	c, cp    [16]byte // c and c'
	m1, m2   [32]byte
	m1p, m2p [32]byte // m1' and m2'
}

// h2 is SHA-256(b || secbytes).
func h2(b byte, secbytes []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte{b})
	h.Write(secbytes)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// deriveAKEKeys computes ssid, c, c', m1, m2, m1', m2' from s; secbytes is
// s as a minimum-length MPI.
func deriveAKEKeys(s *big.Int) *akeKeys {
	sec := mpiBytes(s)
	var k akeKeys
	h := h2(0x00, sec)
	copy(k.ssid[:], h[:8])
	h = h2(0x01, sec)
	copy(k.c[:], h[:16])
	copy(k.cp[:], h[16:])
	k.m1 = h2(0x02, sec)
	k.m2 = h2(0x03, sec)
	k.m1p = h2(0x04, sec)
	k.m2p = h2(0x05, sec)
	return &k
}

// dataKeys are the per key-pair values for Data messages.
type dataKeys struct {
	sendAES, recvAES [16]byte
	sendMAC, recvMAC [20]byte
	extra            [32]byte // the extra symmetric key, h2(0xff)
}

// deriveDataKeys computes the sending and receiving keys for our key pair
// (ourPub, shared secret s) against their public key. The "high" end, whose
// public key is numerically larger, sends with byte 0x01.
func deriveDataKeys(ourPub, theirPub, s *big.Int) *dataKeys {
	sec := mpiBytes(s)
	sendByte, recvByte := byte(0x02), byte(0x01)
	if ourPub.Cmp(theirPub) > 0 {
		sendByte, recvByte = 0x01, 0x02
	}
	h1 := func(b byte) [20]byte {
		h := sha1.New()
		h.Write([]byte{b})
		h.Write(sec)
		var out [20]byte
		h.Sum(out[:0])
		return out
	}
	var k dataKeys
	send, recv := h1(sendByte), h1(recvByte)
	copy(k.sendAES[:], send[:16])
	copy(k.recvAES[:], recv[:16])
	k.sendMAC = sha1.Sum(k.sendAES[:])
	k.recvMAC = sha1.Sum(k.recvAES[:])
	k.extra = h2(0xff, sec)
	return &k
}

// aesCTR encrypts or decrypts in with AES-128 in counter mode; the initial
// counter block is top (8 bytes, or nil for all zero) followed by zeros.
func aesCTR(key []byte, top []byte, in []byte) []byte {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("otr: AES key of wrong size") // keys here are always 16 bytes
	}
	var iv [aes.BlockSize]byte
	copy(iv[:], top)
	out := make([]byte, len(in))
	cipher.NewCTR(block, iv[:]).XORKeyStream(out, in)
	return out
}

// hmacSHA256 returns HMAC-SHA256(key, parts...).
func hmacSHA256(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// hmacSHA256160 is HMAC-SHA256 truncated to its first 160 bits.
func hmacSHA256160(key []byte, parts ...[]byte) []byte {
	return hmacSHA256(key, parts...)[:macLen]
}

func hmacSHA1(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha1.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}
