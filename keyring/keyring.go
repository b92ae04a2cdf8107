// Package keyring is the phone's one master password at run time: it ties
// the vault, its files (store/vaultfile) and the store together for first-run
// setup, unlock at login, lock, password change and keep-unlocked, and keeps
// the account passwords a person chose not to save in memory only.
package keyring

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/store"
	"github.com/padlock-phone/padlock/store/vaultfile"
)

// Errors, for errors.Is.
var (
	ErrWrongPassword = vault.ErrWrongPassword
	ErrLocked        = vault.ErrLocked
	ErrNotSetUp      = errors.New("keyring: no master password set yet")
)

// Keyring is safe for concurrent use.
type Keyring struct {
	dir    vaultfile.Dir
	st     *store.Store
	params vault.Params
	onLock func(locked bool)
	kdf    *kdfGate // every argon2id of the device goes through it

	mu  sync.Mutex
	v   *vault.Vault     // nil until the master password is set
	mem map[int64][]byte // account id -> password held in memory only
}

// Open loads the vault of dir (if one was set up) and makes it the store's
// sealer. If the person chose to keep the phone unlocked, it unlocks with
// the key file; otherwise it starts locked. onLock (may be nil) hears every
// change between locked and unlocked, starting with the state at Open.
// params are used only when a vault is created (vault.DefaultParams on a
// device; vault.TestParams in tests).
func Open(dir string, st *store.Store, params vault.Params, onLock func(locked bool)) (*Keyring, error) {
	if onLock == nil {
		onLock = func(bool) {}
	}
	k := &Keyring{dir: vaultfile.Dir(dir), st: st, params: params, onLock: onLock, kdf: newKDFGate(KDFQueue), mem: map[int64][]byte{}}
	v, err := k.dir.Load()
	switch {
	case errors.Is(err, vaultfile.ErrNoVault):
		onLock(true)
		return k, nil
	case err != nil:
		// Never start over a damaged header: that would throw away every
		// secret. The person must see this and decide.
		return nil, fmt.Errorf("the vault header is unreadable (%w); the stored secrets cannot be opened without it — restore %s from a backup, or remove it to reset the phone", err, vaultfile.HeaderName)
	}
	k.v = v
	st.SetSealer(v)
	kept, err := k.dir.UnlockKept(v)
	if err != nil {
		// A wrong key file leaves the vault locked: a login still works.
		kept = false
	}
	onLock(!kept)
	return k, err
}

// Initialized reports whether the master password has been set.
func (k *Keyring) Initialized() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.v != nil
}

// Locked reports whether secrets are out of reach (also before setup).
func (k *Keyring) Locked() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.v == nil || k.v.Locked()
}

// Setup creates the vault with the first master password. It returns
// unlocked. ErrBusy if other password checks fill the queue.
func (k *Keyring) Setup(password []byte) error {
	return k.kdf.do(func() error {
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.v != nil {
			return fmt.Errorf("keyring: %w", vaultfile.ErrExists)
		}
		v, err := k.dir.Create(password, k.params)
		if err != nil {
			return err
		}
		k.v = v
		k.st.SetSealer(v)
		k.onLock(false)
		return nil
	})
}

// Unlock checks password and unlocks (also when already unlocked, so a
// login always proves the password). ErrWrongPassword if it is wrong,
// ErrBusy if other password checks fill the queue.
func (k *Keyring) Unlock(password []byte) error {
	v, err := k.vault()
	if err != nil {
		return err
	}
	if err := k.kdf.do(func() error { return v.Unlock(password) }); err != nil {
		return err
	}
	k.onLock(false)
	return nil
}

// CheckPassword proves password again (re-authentication before a change
// that lowers protection) without telling anyone about a lock change.
// ErrWrongPassword if it is wrong, ErrBusy if the queue is full.
func (k *Keyring) CheckPassword(password []byte) error {
	v, err := k.vault()
	if err != nil {
		return err
	}
	return k.kdf.do(func() error { return v.Unlock(password) })
}

// DeriveOther runs f, an argon2id of some other secret (a backup's
// passphrase), under the same one-at-a-time gate as the master password:
// every KDF on the device waits in one short queue. ErrBusy if it is full.
func (k *Keyring) DeriveOther(f func() error) error { return k.kdf.do(f) }

// Lock forgets the data key and every password held in memory.
func (k *Keyring) Lock() {
	k.mu.Lock()
	if k.v != nil {
		k.v.Lock()
	}
	for id, pw := range k.mem {
		clear(pw)
		delete(k.mem, id)
	}
	k.mu.Unlock()
	k.onLock(true)
}

// ChangePassword rewraps the data key under a new password after checking
// the current one. Nothing else is re-encrypted. ErrBusy if other
// password checks fill the queue.
func (k *Keyring) ChangePassword(current, next []byte) error {
	v, err := k.vault()
	if err != nil {
		return err
	}
	return k.kdf.do(func() error { return k.dir.ChangePassword(v, current, next) })
}

// KeepUnlocked reports whether the vault unlocks by itself after a reboot.
func (k *Keyring) KeepUnlocked() bool {
	kept, err := k.dir.Kept()
	return err == nil && kept
}

// SetKeepUnlocked writes or removes the key file that unlocks the vault at
// boot, and records the choice in the settings.
func (k *Keyring) SetKeepUnlocked(ctx context.Context, on bool) error {
	v, err := k.vault()
	if err != nil {
		return err
	}
	if on {
		if err := k.dir.KeepUnlocked(v); err != nil {
			return err
		}
	} else if err := k.dir.ForgetKept(); err != nil {
		return err
	}
	return k.st.SetBool(ctx, store.KeepUnlocked, on)
}

func (k *Keyring) vault() (*vault.Vault, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.v == nil {
		return nil, ErrNotSetUp
	}
	return k.v, nil
}
