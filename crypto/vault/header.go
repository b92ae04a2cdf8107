package vault

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// The header is what the device stores about its vault (nothing in it is
// secret without the password):
//
//	offset size
//	0      8   magic "PADLOCKV"
//	8      1   header version (1)
//	9      1   KDF (1 = argon2id)
//	10     4   argon2id time, big endian
//	14     4   argon2id memory in KiB, big endian
//	18     1   argon2id threads
//	19     16  salt, random per device (new on every password change)
//	35     16  key id: HMAC-SHA256(data key, "padlock vault key id")[:16]
//	51     73  wrapped data key: a sealed value (see sealed.go) of the 32-byte
//	           data key under the argon2id key-encryption key, whose
//	           associated data is bytes 0..50 of this header
//
// Binding the first 51 bytes as associated data means a header whose
// parameters, salt or key id were changed fails to unwrap, exactly like a
// wrong password.
const (
	headerMagic   = "PADLOCKV"
	headerVersion = 1
	kdfArgon2id   = 1
	saltSize      = 16
	keyIDSize     = 16
	headerPrefix  = 8 + 1 + 1 + 4 + 4 + 1 + saltSize + keyIDSize // 51
	wrappedSize   = sealedOverhead + keySize                     // 73
	headerSize    = headerPrefix + wrappedSize                   // 124
)

// header is a parsed vault header.
type header struct {
	params  Params
	salt    [saltSize]byte
	keyID   [keyIDSize]byte
	wrapped [wrappedSize]byte
}

// parseHeader checks and splits a header. It never runs the KDF.
func parseHeader(b []byte) (header, error) {
	var h header
	if len(b) != headerSize {
		return h, fmt.Errorf("%w: %d bytes, want %d", ErrBadHeader, len(b), headerSize)
	}
	if string(b[:8]) != headerMagic {
		return h, fmt.Errorf("%w: not a padlock vault header (bad magic)", ErrBadHeader)
	}
	if b[8] != headerVersion {
		return h, fmt.Errorf("%w: unsupported header version %d", ErrBadHeader, b[8])
	}
	if b[9] != kdfArgon2id {
		return h, fmt.Errorf("%w: unknown KDF %d", ErrBadHeader, b[9])
	}
	h.params = Params{
		Time:      binary.BigEndian.Uint32(b[10:14]),
		MemoryKiB: binary.BigEndian.Uint32(b[14:18]),
		Threads:   b[18],
	}
	if err := h.params.check(); err != nil {
		return h, fmt.Errorf("%w: %v", ErrBadHeader, err)
	}
	copy(h.salt[:], b[19:35])
	copy(h.keyID[:], b[35:51])
	copy(h.wrapped[:], b[51:])
	if _, err := parseSealed(h.wrapped[:]); err != nil {
		return h, fmt.Errorf("%w: wrapped key: %v", ErrBadHeader, err)
	}
	return h, nil
}

// prefix is the authenticated part of the header, before the wrapped key.
func (h *header) prefix() []byte {
	b := make([]byte, 0, headerPrefix)
	b = append(b, headerMagic...)
	b = append(b, headerVersion, kdfArgon2id)
	b = binary.BigEndian.AppendUint32(b, h.params.Time)
	b = binary.BigEndian.AppendUint32(b, h.params.MemoryKiB)
	b = append(b, h.params.Threads)
	b = append(b, h.salt[:]...)
	return append(b, h.keyID[:]...)
}

// marshal encodes the header.
func (h *header) marshal() []byte {
	return append(h.prefix(), h.wrapped[:]...)
}

// keyIDOf names a data key without revealing it, so that a keep-unlocked key
// file can be matched to its header.
func keyIDOf(key []byte) [keyIDSize]byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("padlock vault key id"))
	var id [keyIDSize]byte
	copy(id[:], m.Sum(nil))
	return id
}
