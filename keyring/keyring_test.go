package keyring

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/store"
	"github.com/padlock-phone/padlock/store/vaultfile"
)

var ctx = context.Background()

type lockLog struct {
	mu    sync.Mutex
	calls []bool
}

func (l *lockLog) hear(locked bool) {
	l.mu.Lock()
	l.calls = append(l.calls, locked)
	l.mu.Unlock()
}

func (l *lockLog) last() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls[len(l.calls)-1]
}

// open opens (or reopens, as after a reboot) the keyring of dir.
func open(t *testing.T, dir string) (*Keyring, *store.Store, *lockLog, error) {
	t.Helper()
	st, err := store.Open(ctx, filepath.Join(dir, "padlock.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l := &lockLog{}
	k, err := Open(dir, st, vault.TestParams, l.hear)
	return k, st, l, err
}

var sip = store.Account{Kind: store.SIP, User: "alice", Server: "example.org", Transport: store.UDP, Enabled: true}

func TestLifecycle(t *testing.T) {
	dir := t.TempDir()
	k, _, l, err := open(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if k.Initialized() || !k.Locked() || !l.last() {
		t.Fatal("a fresh keyring must be uninitialised and locked")
	}
	if err := k.Unlock([]byte("x")); !errors.Is(err, ErrNotSetUp) {
		t.Fatalf("unlock before setup: %v", err)
	}
	if err := k.Setup([]byte("first password!")); err != nil {
		t.Fatal(err)
	}
	if k.Locked() || l.last() {
		t.Fatal("setup leaves the vault unlocked")
	}
	if err := k.Setup([]byte("again")); err == nil {
		t.Fatal("second setup accepted")
	}
	id, err := k.CreateAccount(ctx, sip, []byte("sip pw"), true)
	if err != nil {
		t.Fatal(err)
	}
	x := store.Account{Kind: store.XMPP, User: "bob", Server: "example.org", Transport: store.TCP}
	xid, err := k.CreateAccount(ctx, x, []byte("xmpp pw"), false)
	if err != nil {
		t.Fatal(err)
	}

	// Reboot: locked; saved password sealed, unsaved one gone.
	k, st, l, err := open(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !k.Initialized() || !k.Locked() || !l.last() {
		t.Fatal("after reboot the vault must be locked")
	}
	if _, err := k.AccountPassword(ctx, id); !errors.Is(err, ErrLocked) {
		t.Fatalf("saved password while locked: %v", err)
	}
	if err := k.Unlock([]byte("wrong password")); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if err := k.Unlock([]byte("first password!")); err != nil || l.last() {
		t.Fatalf("unlock: %v", err)
	}
	if pw, err := k.AccountPassword(ctx, id); err != nil || string(pw) != "sip pw" {
		t.Fatalf("saved password: %q %v", pw, err)
	}
	acc, _ := st.Account(ctx, xid)
	if _, err := k.AccountPassword(ctx, xid); !errors.Is(err, store.ErrNoPassword) || k.PasswordState(acc) != Needed {
		t.Fatalf("unsaved password after reboot: %v %v", err, k.PasswordState(acc))
	}
	if err := k.SetAccountPassword(ctx, xid, []byte("typed in"), false); err != nil {
		t.Fatal(err)
	}
	acc, _ = st.Account(ctx, xid)
	if k.PasswordState(acc) != Memory || acc.HasPassword {
		t.Fatalf("typed-in password: %v saved=%v", k.PasswordState(acc), acc.HasPassword)
	}
	// Moving the saved one to memory.
	if err := k.UnsavePassword(ctx, id); err != nil {
		t.Fatal(err)
	}
	acc, _ = st.Account(ctx, id)
	if acc.HasPassword || k.PasswordState(acc) != Memory {
		t.Fatalf("unsaved: %+v", acc)
	}
	if pw, _ := k.AccountPassword(ctx, id); string(pw) != "sip pw" {
		t.Fatalf("password in memory: %q", pw)
	}
	// Lock forgets memory passwords.
	k.Lock()
	if !l.last() {
		t.Fatal("lock not reported")
	}
	if _, err := k.AccountPassword(ctx, xid); !errors.Is(err, store.ErrNoPassword) {
		t.Fatalf("memory password after lock: %v", err)
	}

	// Change password: old refused, new works, sealed values survive.
	k.Unlock([]byte("first password!"))
	k.SetAccountPassword(ctx, id, []byte("sip pw 2"), true)
	if err := k.ChangePassword([]byte("not it"), []byte("second password")); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("change with wrong current: %v", err)
	}
	if err := k.ChangePassword([]byte("first password!"), []byte("second password")); err != nil {
		t.Fatal(err)
	}
	k, _, _, _ = open(t, dir)
	if err := k.Unlock([]byte("first password!")); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("old password after change: %v", err)
	}
	if err := k.Unlock([]byte("second password")); err != nil {
		t.Fatal(err)
	}
	if pw, err := k.AccountPassword(ctx, id); err != nil || string(pw) != "sip pw 2" {
		t.Fatalf("sealed value after change: %q %v", pw, err)
	}
	if err := k.DeleteAccount(ctx, xid); err != nil {
		t.Fatal(err)
	}
}

func TestKeepUnlocked(t *testing.T) {
	dir := t.TempDir()
	k, st, _, _ := open(t, dir)
	k.Setup([]byte("first password!"))
	id, _ := k.CreateAccount(ctx, sip, []byte("sip pw"), true)
	if err := k.SetKeepUnlocked(ctx, true); err != nil {
		t.Fatal(err)
	}
	if on, _ := st.Bool(ctx, store.KeepUnlocked); !on || !k.KeepUnlocked() {
		t.Fatal("keep-unlocked not recorded")
	}
	k, _, l, err := open(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if k.Locked() || l.last() {
		t.Fatal("kept vault locked after reboot")
	}
	if pw, err := k.AccountPassword(ctx, id); err != nil || string(pw) != "sip pw" {
		t.Fatalf("%q %v", pw, err)
	}
	if err := k.SetKeepUnlocked(ctx, false); err != nil {
		t.Fatal(err)
	}
	k, _, _, _ = open(t, dir)
	if !k.Locked() {
		t.Fatal("vault unlocked after keep-unlocked was turned off")
	}
}

func TestDamagedHeaderIsNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	k, _, _, _ := open(t, dir)
	k.Setup([]byte("first password!"))
	hp := filepath.Join(dir, vaultfile.HeaderName)
	if err := os.WriteFile(hp, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	k, _, _, err := open(t, dir)
	if err == nil || k != nil {
		t.Fatal("damaged header accepted")
	}
	if b, _ := os.ReadFile(hp); string(b) != "garbage" {
		t.Fatal("damaged header was overwritten")
	}
}
