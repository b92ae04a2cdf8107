package vault

import (
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
)

// A sealed value is
//
//	version (1 byte, sealedVersion) | nonce (24 bytes) | ciphertext and tag (len(plaintext)+16 bytes)
//
// sealed with XChaCha20-Poly1305 under the data key. The associated data is
// the version byte followed by the caller's associated data (the row's
// identity), so neither can be changed without the value failing to open.
const (
	sealedVersion  = 1
	nonceSize      = chacha20poly1305.NonceSizeX
	tagSize        = chacha20poly1305.Overhead
	keySize        = chacha20poly1305.KeySize
	sealedOverhead = 1 + nonceSize + tagSize
)

// sealedValue is a parsed sealed value; its slices point into the input.
type sealedValue struct {
	nonce      []byte
	ciphertext []byte // including the tag
}

// parseSealed splits a sealed value without decrypting it.
func parseSealed(b []byte) (sealedValue, error) {
	if len(b) < sealedOverhead {
		return sealedValue{}, fmt.Errorf("%w: %d bytes, need at least %d", ErrMalformed, len(b), sealedOverhead)
	}
	if b[0] != sealedVersion {
		return sealedValue{}, fmt.Errorf("%w: unknown sealed value version %d", ErrMalformed, b[0])
	}
	return sealedValue{nonce: b[1 : 1+nonceSize], ciphertext: b[1+nonceSize:]}, nil
}

// sealedAD is the AEAD associated data for a sealed value: version byte, then
// the caller's associated data.
func sealedAD(ad []byte) []byte {
	out := make([]byte, 0, 1+len(ad))
	out = append(out, sealedVersion)
	return append(out, ad...)
}

// sealWith seals plaintext under key. The AEAD (which holds a copy of the
// key) is made per call rather than kept, so that Lock can wipe the only
// long-lived copy of the key.
func sealWith(key []byte, rand io.Reader, ad, plaintext []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+nonceSize, sealedOverhead+len(plaintext))
	out[0] = sealedVersion
	if _, err := io.ReadFull(rand, out[1:]); err != nil {
		return nil, fmt.Errorf("vault: reading a random nonce: %w", err)
	}
	return aead.Seal(out, out[1:], plaintext, sealedAD(ad)), nil
}

// openWith opens a sealed value under key; any mismatch is ErrTampered.
func openWith(key []byte, ad, sealed []byte) ([]byte, error) {
	v, err := parseSealed(sealed)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, v.nonce, v.ciphertext, sealedAD(ad))
	if err != nil {
		return nil, ErrTampered
	}
	return pt, nil
}
