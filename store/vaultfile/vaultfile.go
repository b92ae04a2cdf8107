// Package vaultfile keeps the vault's files in a directory on the device: the
// header (vault.header) and, only when the user chose to keep the phone
// unlocked across reboots, the data key (vault.key). Every change is written
// atomically (store/atomicfile), so a power cut leaves the old file or the new.
//
// Use:
//
//	boot:          v, err := dir.Load()           // ErrNoVault: first boot, offer setup
//	               kept, err := dir.UnlockKept(v) // unlocked if the user chose so
//	setup:         v, err := dir.Create(password, vault.DefaultParams)
//	login:         err := v.Unlock(password)
//	new password:  err := dir.ChangePassword(v, old, new)
//	keep unlocked: err := dir.KeepUnlocked(v); later dir.ForgetKept()
package vaultfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/store/atomicfile"
)

// File names inside the directory.
const (
	HeaderName = "vault.header"
	KeyName    = "vault.key"
)

var (
	// ErrNoVault: no header in the directory (first boot).
	ErrNoVault = errors.New("vaultfile: no vault set up yet")
	// ErrExists: Create found a vault already there and left it alone.
	ErrExists = errors.New("vaultfile: a vault already exists")
)

// Dir is the directory that holds the vault files, for example /perm/padlock.
type Dir string

func (d Dir) header() string { return filepath.Join(string(d), HeaderName) }
func (d Dir) key() string    { return filepath.Join(string(d), KeyName) }

// Exists reports whether a vault header is present.
func (d Dir) Exists() (bool, error) {
	return exists(d.header())
}

// Create makes a new vault with password and parameters p (vault.DefaultParams
// on a device), stores its header and returns it unlocked. It refuses to
// replace an existing vault (ErrExists): that would make every stored secret
// unreadable.
func (d Dir) Create(password []byte, p vault.Params) (*vault.Vault, error) {
	if ok, err := d.Exists(); err != nil || ok {
		if err == nil {
			err = fmt.Errorf("%w in %s", ErrExists, d)
		}
		return nil, err
	}
	v, err := vault.Create(password, p)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		v.Lock()
		return nil, fmt.Errorf("vaultfile: %w", err)
	}
	if err := atomicfile.WriteFile(d.header(), v.Header(), 0o600); err != nil {
		v.Lock()
		return nil, err
	}
	return v, nil
}

// Load reads the header and returns the vault, locked. ErrNoVault when there
// is none; a damaged header gives vault.ErrBadHeader.
func (d Dir) Load() (*vault.Vault, error) {
	b, err := os.ReadFile(d.header())
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNoVault, d)
	}
	if err != nil {
		return nil, fmt.Errorf("vaultfile: %w", err)
	}
	v, err := vault.Load(b)
	if err != nil {
		return nil, fmt.Errorf("vaultfile: %s: %w", d.header(), err)
	}
	return v, nil
}

// ChangePassword rewraps the data key under newPassword and stores the new
// header atomically. Sealed values and a keep-unlocked key file stay valid.
// On any error the old password still unlocks, in memory and on disk.
func (d Dir) ChangePassword(v *vault.Vault, oldPassword, newPassword []byte) error {
	return v.ChangePassword(oldPassword, newPassword, func(h []byte) error {
		return atomicfile.WriteFile(d.header(), h, 0o600)
	})
}

// KeepUnlocked writes the data key to vault.key (mode 0600) so that
// UnlockKept can unlock after a reboot without the password. This lowers
// the protection of every secret to "whoever can read the SD card"; the web
// admin must warn before calling it, and also set store.KeepUnlocked.
func (d Dir) KeepUnlocked(v *vault.Vault) error {
	kf, err := v.KeyFile()
	if err != nil {
		return err
	}
	defer clear(kf)
	return atomicfile.WriteFile(d.key(), kf, 0o600)
}

// ForgetKept removes vault.key (durably); the next boot starts locked. The
// removed key may survive on flash media (wear levelling); SECURITY.md says
// what that means. Removing a missing key file is not an error.
func (d Dir) ForgetKept() error {
	return atomicfile.Remove(d.key())
}

// Kept reports whether a keep-unlocked key file is present.
func (d Dir) Kept() (bool, error) {
	return exists(d.key())
}

// UnlockKept unlocks v with vault.key if there is one. It returns false (and
// no error) when there is no key file. A key file that does not match the
// vault gives an error and leaves v locked; the phone then waits for a login.
func (d Dir) UnlockKept(v *vault.Vault) (bool, error) {
	kf, err := os.ReadFile(d.key())
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("vaultfile: %w", err)
	}
	defer clear(kf)
	if err := v.UnlockWithKeyFile(kf); err != nil {
		return false, fmt.Errorf("vaultfile: %s: %w", d.key(), err)
	}
	return true, nil
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("vaultfile: %w", err)
}
