// Package vault keeps the phone's secrets under one master password: argon2id
// turns the password into a key-encryption key that wraps a random 256-bit
// data key, and the data key seals each secret with XChaCha20-Poly1305, bound
// to the identity of the row that holds it.
//
// A Vault is made from a header (Create makes a new one, Load reads a stored
// one) and is locked until Unlock or UnlockWithKeyFile. The caller stores the
// header bytes (Header) and the optional keep-unlocked key file (KeyFile);
// this package does no I/O. A *Vault is safe for concurrent use.
package vault

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Errors. Each is returned as is or wrapped; test with errors.Is.
var (
	// ErrWrongPassword: the password does not unwrap the data key. A header
	// whose authenticated fields were tampered with gives this error too.
	ErrWrongPassword = errors.New("vault: wrong master password")
	// ErrLocked: the operation needs the data key, and the vault is locked.
	ErrLocked = errors.New("vault: locked; log in with the master password first")
	// ErrBadHeader: the header bytes are not a vault header this code reads.
	ErrBadHeader = errors.New("vault: bad header")
	// ErrMalformed: the bytes are not a sealed value (too short, unknown version).
	ErrMalformed = errors.New("vault: malformed sealed value")
	// ErrTampered: a sealed value failed authentication: it was changed,
	// moved to another row (other associated data), or sealed by another vault.
	ErrTampered = errors.New("vault: sealed value does not open (changed, moved to another row, or from another vault)")
	// ErrBadKeyFile: the bytes are not a keep-unlocked key file.
	ErrBadKeyFile = errors.New("vault: bad keep-unlocked key file")
	// ErrWrongKeyFile: the key file belongs to another vault.
	ErrWrongKeyFile = errors.New("vault: keep-unlocked key file belongs to another vault")
	// ErrEmptyPassword: an empty master password was given to Create or ChangePassword.
	ErrEmptyPassword = errors.New("vault: the master password must not be empty")
)

// Vault holds a parsed header and, while unlocked, the data key.
type Vault struct {
	rand io.Reader // nonces, salts and keys; crypto/rand unless a test sets it

	changeMu sync.Mutex // serialises ChangePassword

	mu      sync.RWMutex
	hdr     header
	dataKey []byte // nil while locked; zeroed by Lock
}

// Create makes a new vault with a random data key wrapped under password with
// parameters p (DefaultParams on a device, TestParams in tests). The vault is
// returned unlocked; store v.Header() before sealing anything with it.
func Create(password []byte, p Params) (*Vault, error) {
	return create(rand.Reader, password, p)
}

func create(r io.Reader, password []byte, p Params) (*Vault, error) {
	if len(password) == 0 {
		return nil, ErrEmptyPassword
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	key := make([]byte, keySize)
	if _, err := io.ReadFull(r, key); err != nil {
		return nil, fmt.Errorf("vault: reading a random data key: %w", err)
	}
	h, err := wrap(r, key, password, p)
	if err != nil {
		wipe(key)
		return nil, err
	}
	return &Vault{rand: r, hdr: h, dataKey: key}, nil
}

// Load parses a stored header. The vault is returned locked.
func Load(headerBytes []byte) (*Vault, error) {
	h, err := parseHeader(headerBytes)
	if err != nil {
		return nil, err
	}
	return &Vault{rand: rand.Reader, hdr: h}, nil
}

// Header returns the header to store. It changes only with ChangePassword.
func (v *Vault) Header() []byte {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.hdr.marshal()
}

// Params returns the argon2id parameters of the stored header.
func (v *Vault) Params() Params {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.hdr.params
}

// Locked reports whether the vault is locked.
func (v *Vault) Locked() bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.dataKey == nil
}

// Unlock derives the key-encryption key from password (this is the slow step,
// by design) and unwraps the data key. A wrong password returns
// ErrWrongPassword and leaves the vault as it was. Unlocking an unlocked
// vault checks the password again. The caller should zero password afterwards.
func (v *Vault) Unlock(password []byte) error {
	v.mu.RLock()
	h := v.hdr
	v.mu.RUnlock()

	key, err := unwrap(&h, password) // slow; no lock held
	if err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.hdr.keyID != h.keyID {
		// The header changed under us (a concurrent ChangePassword with
		// another data key cannot happen, but be strict).
		wipe(key)
		return ErrWrongPassword
	}
	if v.dataKey != nil {
		wipe(v.dataKey)
	}
	v.dataKey = key
	return nil
}

// Lock forgets the data key, overwriting it with zeros first. Go may have
// left copies elsewhere (see docs/SECURITY.md); this removes the one the
// vault owns.
func (v *Vault) Lock() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dataKey != nil {
		wipe(v.dataKey)
		v.dataKey = nil
	}
}

// ChangePassword rewraps the data key under newPassword with a fresh salt and
// the same parameters; values sealed before stay valid. It needs the current
// password (oldPassword) even when the vault is unlocked, and works on a
// locked vault too (which stays locked).
//
// commit is called with the new header and must store it durably; only if it
// returns nil does the vault switch to the new header. If commit fails, the
// old password is still the valid one, both in memory and (if commit wrote
// nothing) on disk.
func (v *Vault) ChangePassword(oldPassword, newPassword []byte, commit func(header []byte) error) error {
	if len(newPassword) == 0 {
		return ErrEmptyPassword
	}
	v.changeMu.Lock()
	defer v.changeMu.Unlock()

	v.mu.RLock()
	old := v.hdr
	v.mu.RUnlock()

	key, err := unwrap(&old, oldPassword)
	if err != nil {
		return err
	}
	defer wipe(key)
	h, err := wrap(v.rand, key, newPassword, old.params)
	if err != nil {
		return err
	}
	if err := commit(h.marshal()); err != nil {
		return fmt.Errorf("vault: storing the new header: %w", err)
	}
	v.mu.Lock()
	v.hdr = h
	v.mu.Unlock()
	return nil
}

// Seal encrypts plaintext under the data key. ad is the identity of the row
// the value is stored in (for example "accounts/42/password"); Open must be
// given the same ad. Returns ErrLocked when locked.
func (v *Vault) Seal(ad, plaintext []byte) ([]byte, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.dataKey == nil {
		return nil, ErrLocked
	}
	return sealWith(v.dataKey, v.rand, ad, plaintext)
}

// Open decrypts a value made by Seal with the same ad. It returns ErrLocked,
// ErrMalformed or ErrTampered; it never returns unauthenticated plaintext.
func (v *Vault) Open(ad, sealed []byte) ([]byte, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.dataKey == nil {
		return nil, ErrLocked
	}
	return openWith(v.dataKey, ad, sealed)
}

// wrap makes a header that wraps key under password with a new random salt.
func wrap(r io.Reader, key, password []byte, p Params) (header, error) {
	var h header
	h.params = p
	if _, err := io.ReadFull(r, h.salt[:]); err != nil {
		return h, fmt.Errorf("vault: reading a random salt: %w", err)
	}
	h.keyID = keyIDOf(key)
	kek := deriveKEK(password, h.salt[:], p)
	defer wipe(kek)
	w, err := sealWith(kek, r, h.prefix(), key)
	if err != nil {
		return h, err
	}
	copy(h.wrapped[:], w)
	return h, nil
}

// unwrap derives the key-encryption key and opens the wrapped data key.
func unwrap(h *header, password []byte) ([]byte, error) {
	kek := deriveKEK(password, h.salt[:], h.params)
	defer wipe(kek)
	key, err := openWith(kek, h.prefix(), h.wrapped[:])
	if err != nil {
		return nil, ErrWrongPassword
	}
	if keyIDOf(key) != h.keyID {
		// Cannot happen unless the header was made by something else: the
		// key id is authenticated along with the wrap.
		wipe(key)
		return nil, ErrWrongPassword
	}
	return key, nil
}

// wipe overwrites b with zeros.
func wipe(b []byte) {
	clear(b)
}
