package vaultfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/padlock-phone/padlock/crypto/vault"
)

func TestLifecycle(t *testing.T) {
	d := Dir(filepath.Join(t.TempDir(), "perm", "padlock"))

	if _, err := d.Load(); !errors.Is(err, ErrNoVault) {
		t.Fatalf("Load before setup: %v", err)
	}
	v, err := d.Create([]byte("first"), vault.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := v.Seal([]byte("accounts/1/password"), []byte("sip-pw"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Create([]byte("other"), vault.TestParams); !errors.Is(err, ErrExists) {
		t.Fatalf("second Create: %v", err)
	}
	st, err := os.Stat(filepath.Join(string(d), HeaderName))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("header file: %v, %v", st, err)
	}

	// Reboot: locked, no key file.
	v, err = d.Load()
	if err != nil {
		t.Fatal(err)
	}
	if kept, err := d.UnlockKept(v); kept || err != nil || !v.Locked() {
		t.Fatalf("UnlockKept without key file: %v, %v", kept, err)
	}
	if err := v.Unlock([]byte("first")); err != nil {
		t.Fatal(err)
	}

	if err := d.ChangePassword(v, []byte("wrong"), []byte("second")); !errors.Is(err, vault.ErrWrongPassword) {
		t.Fatalf("ChangePassword with a wrong old password: %v", err)
	}
	if err := d.ChangePassword(v, []byte("first"), []byte("second")); err != nil {
		t.Fatal(err)
	}

	// Keep unlocked, reboot: unlocked without a password.
	if err := d.KeepUnlocked(v); err != nil {
		t.Fatal(err)
	}
	if kept, _ := d.Kept(); !kept {
		t.Fatal("Kept after KeepUnlocked")
	}
	v, _ = d.Load()
	if kept, err := d.UnlockKept(v); !kept || err != nil {
		t.Fatalf("UnlockKept: %v, %v", kept, err)
	}
	if pt, err := v.Open([]byte("accounts/1/password"), sealed); err != nil || string(pt) != "sip-pw" {
		t.Fatalf("Open after kept unlock: %q, %v", pt, err)
	}

	// Forget: reboot is locked again; the new password unlocks, the old not.
	if err := d.ForgetKept(); err != nil {
		t.Fatal(err)
	}
	v, _ = d.Load()
	if kept, err := d.UnlockKept(v); kept || err != nil {
		t.Fatalf("UnlockKept after ForgetKept: %v, %v", kept, err)
	}
	if err := v.Unlock([]byte("first")); !errors.Is(err, vault.ErrWrongPassword) {
		t.Fatalf("old password: %v", err)
	}
	if err := v.Unlock([]byte("second")); err != nil {
		t.Fatal(err)
	}
	if err := d.KeepUnlocked(v); err != nil {
		t.Fatal(err)
	}
	v.Lock()
	if err := d.KeepUnlocked(v); !errors.Is(err, vault.ErrLocked) {
		t.Fatalf("KeepUnlocked while locked: %v", err)
	}
}

func TestDamagedFiles(t *testing.T) {
	d := Dir(t.TempDir())
	v, err := d.Create([]byte("pw"), vault.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.KeepUnlocked(v); err != nil {
		t.Fatal(err)
	}
	// A key file from another vault is refused and leaves the vault locked.
	other := Dir(t.TempDir())
	ov, _ := other.Create([]byte("pw"), vault.TestParams)
	if err := other.KeepUnlocked(ov); err != nil {
		t.Fatal(err)
	}
	foreign, _ := os.ReadFile(filepath.Join(string(other), KeyName))
	if err := os.WriteFile(filepath.Join(string(d), KeyName), foreign, 0o600); err != nil {
		t.Fatal(err)
	}
	v, _ = d.Load()
	if kept, err := d.UnlockKept(v); kept || !errors.Is(err, vault.ErrWrongKeyFile) || !v.Locked() {
		t.Fatalf("foreign key file: %v, %v, locked=%v", kept, err, v.Locked())
	}
	if err := os.WriteFile(filepath.Join(string(d), HeaderName), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load(); !errors.Is(err, vault.ErrBadHeader) {
		t.Fatalf("damaged header: %v", err)
	}
}
