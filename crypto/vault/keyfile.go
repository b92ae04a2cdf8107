package vault

import (
	"crypto/subtle"
	"fmt"
)

// A keep-unlocked key file holds the data key in clear, so that the device can
// unlock itself after a reboot without the password. Whoever can read the SD
// card can then read every secret: it is an explicit, warned setting.
//
//	offset size
//	0      8   magic "PADLOCKK"
//	8      1   version (1)
//	9      16  key id (must equal the header's)
//	25     32  data key
const (
	keyFileMagic   = "PADLOCKK"
	keyFileVersion = 1
	keyFileSize    = 8 + 1 + keyIDSize + keySize // 57
)

// parseKeyFile checks a key file and returns its key id and key; the key
// slice points into b.
func parseKeyFile(b []byte) (id [keyIDSize]byte, key []byte, err error) {
	if len(b) != keyFileSize {
		return id, nil, fmt.Errorf("%w: %d bytes, want %d", ErrBadKeyFile, len(b), keyFileSize)
	}
	if string(b[:8]) != keyFileMagic {
		return id, nil, fmt.Errorf("%w: bad magic", ErrBadKeyFile)
	}
	if b[8] != keyFileVersion {
		return id, nil, fmt.Errorf("%w: unsupported version %d", ErrBadKeyFile, b[8])
	}
	copy(id[:], b[9:25])
	return id, b[25:], nil
}

// KeyFile returns the contents of a keep-unlocked key file for this vault.
// The vault must be unlocked. The caller should write it with mode 0600 and
// zero the returned slice once written.
func (v *Vault) KeyFile() ([]byte, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.dataKey == nil {
		return nil, ErrLocked
	}
	b := make([]byte, 0, keyFileSize)
	b = append(b, keyFileMagic...)
	b = append(b, keyFileVersion)
	b = append(b, v.hdr.keyID[:]...)
	return append(b, v.dataKey...), nil
}

// UnlockWithKeyFile unlocks the vault with a key file made by KeyFile, without
// the password. A key file of another vault (or a damaged one) gives
// ErrWrongKeyFile or ErrBadKeyFile and leaves the vault locked.
func (v *Vault) UnlockWithKeyFile(keyFile []byte) error {
	id, key, err := parseKeyFile(keyFile)
	if err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	// Both the stored id and the id recomputed from the key must match the
	// header: a key file whose key was altered is refused too.
	computed := keyIDOf(key)
	if subtle.ConstantTimeCompare(id[:], v.hdr.keyID[:]) != 1 ||
		subtle.ConstantTimeCompare(computed[:], v.hdr.keyID[:]) != 1 {
		return ErrWrongKeyFile
	}
	if v.dataKey == nil {
		v.dataKey = make([]byte, keySize)
	}
	copy(v.dataKey, key)
	return nil
}
