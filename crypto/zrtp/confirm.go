package zrtp

import (
	"crypto/aes"
	"crypto/subtle"
	"errors"
	"fmt"
)

// ErrConfirmMAC: a Confirm message's confirm_mac is wrong; it was not made
// with this session's keys (RFC 6189 error 0x70).
var ErrConfirmMAC = errors.New("zrtp: Confirm MAC mismatch")

// cfb128 en- or decrypts data with AES in full-block (128-bit segment) CFB
// mode, the mode RFC 6189 §5.7 uses for Confirm messages.
func cfb128(key []byte, iv [16]byte, data []byte, decrypt bool) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("zrtp: Confirm cipher: %w", err)
	}
	out := make([]byte, len(data))
	var reg, ks [16]byte
	reg = iv
	for off := 0; off < len(data); off += 16 {
		block.Encrypt(ks[:], reg[:])
		n := min(16, len(data)-off)
		subtle.XORBytes(out[off:off+n], data[off:off+n], ks[:n])
		if decrypt {
			copy(reg[:], data[off:off+n])
		} else {
			copy(reg[:], out[off:off+n])
		}
	}
	return out, nil
}

// confirmMAC is the confirm_mac: the first 64 bits of the negotiated HMAC
// keyed with mackeyi/r over the encrypted part.
func confirmMAC(h Algo, macKey, encrypted []byte) [8]byte {
	return [8]byte(hmacOf(h, macKey, encrypted))
}

// SealConfirm builds Confirm1 (which=1, responder keys) or Confirm2 (which=2,
// initiator keys): the plaintext is encrypted with zrtpKey in AES-CFB under
// iv and authenticated with macKey.
func SealConfirm(which int, h Algo, zrtpKey, macKey []byte, iv [16]byte, p *ConfirmPlain) (*Confirm, error) {
	enc, err := cfb128(zrtpKey, iv, p.Marshal(), false)
	if err != nil {
		return nil, err
	}
	return &Confirm{Which: which, ConfirmMAC: confirmMAC(h, macKey, enc), IV: iv, Encrypted: enc}, nil
}

// OpenConfirm checks a Confirm's MAC (in constant time) and decrypts it.
func OpenConfirm(c *Confirm, h Algo, zrtpKey, macKey []byte) (*ConfirmPlain, error) {
	want := confirmMAC(h, macKey, c.Encrypted)
	if subtle.ConstantTimeCompare(want[:], c.ConfirmMAC[:]) != 1 {
		return nil, ErrConfirmMAC
	}
	plain, err := cfb128(zrtpKey, c.IV, c.Encrypted, true)
	if err != nil {
		return nil, err
	}
	return ParseConfirmPlain(plain)
}
