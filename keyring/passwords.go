package keyring

import (
	"context"
	"errors"
	"fmt"

	"github.com/padlock-phone/padlock/store"
)

// PasswordState says where an account's password is.
type PasswordState string

const (
	Saved  PasswordState = "saved"  // sealed in the store
	Memory PasswordState = "memory" // typed in since the last unlock; gone at restart
	Needed PasswordState = "needed" // not saved: the person must type it in
)

// Describe is the state in words for the web admin.
func (p PasswordState) Describe() string {
	switch p {
	case Saved:
		return "saved (sealed with the master password)"
	case Memory:
		return "not saved; held in memory until restart"
	}
	return "not saved: enter it to use this account"
}

// Needed reports whether the person must type the password in.
func (p PasswordState) Needed() bool { return p == Needed }

// PasswordState of account a, as listed by the store.
func (k *Keyring) PasswordState(a store.Account) PasswordState {
	if a.HasPassword {
		return Saved
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.mem[a.ID]; ok {
		return Memory
	}
	return Needed
}

// CreateAccount adds an account with its password, sealed in the store
// (save) or held in memory only.
func (k *Keyring) CreateAccount(ctx context.Context, a store.Account, password []byte, save bool) (int64, error) {
	var sealed []byte
	if save {
		sealed = password
	}
	id, err := k.st.CreateAccount(ctx, a, sealed)
	if err != nil {
		return 0, err
	}
	if !save {
		k.remember(id, password)
	}
	return id, nil
}

// SetAccountPassword replaces an account's password, saved or in memory.
func (k *Keyring) SetAccountPassword(ctx context.Context, id int64, password []byte, save bool) error {
	if save {
		if err := k.st.SetAccountPassword(ctx, id, password); err != nil {
			return err
		}
		k.forget(id)
		return nil
	}
	if err := k.st.SetAccountPassword(ctx, id, nil); err != nil {
		return err
	}
	k.remember(id, password)
	return nil
}

// UnsavePassword removes an account's saved password from the store; the
// running phone keeps it in memory until the next restart or lock, after
// which it is asked for again.
func (k *Keyring) UnsavePassword(ctx context.Context, id int64) error {
	pw, err := k.st.AccountPassword(ctx, id)
	switch {
	case errors.Is(err, store.ErrNoPassword):
		return nil
	case err != nil && !errors.Is(err, ErrLocked):
		return err
	}
	if err := k.st.SetAccountPassword(ctx, id, nil); err != nil {
		return err
	}
	if pw != nil {
		k.remember(id, pw)
		clear(pw)
	}
	return nil
}

// SavePassword seals the password held in memory into the store, so it
// survives a restart. store.ErrNoPassword if there is none in memory.
func (k *Keyring) SavePassword(ctx context.Context, id int64) error {
	k.mu.Lock()
	pw, ok := k.mem[id]
	if ok {
		pw = append([]byte(nil), pw...)
	}
	k.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w in memory for account %d", store.ErrNoPassword, id)
	}
	defer clear(pw)
	return k.SetAccountPassword(ctx, id, pw, true)
}

// DeleteAccount removes an account, its password in memory included.
func (k *Keyring) DeleteAccount(ctx context.Context, id int64) error {
	if err := k.st.DeleteAccount(ctx, id); err != nil {
		return err
	}
	k.forget(id)
	return nil
}

// AccountPassword is the password a protocol client logs in with: from
// memory or the store. store.ErrNoPassword when the person must enter it.
func (k *Keyring) AccountPassword(ctx context.Context, id int64) ([]byte, error) {
	k.mu.Lock()
	pw, ok := k.mem[id]
	k.mu.Unlock()
	if ok {
		return append([]byte(nil), pw...), nil
	}
	return k.st.AccountPassword(ctx, id)
}

func (k *Keyring) remember(id int64, pw []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if old, ok := k.mem[id]; ok {
		clear(old)
	}
	k.mem[id] = append([]byte(nil), pw...)
}

func (k *Keyring) forget(id int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if old, ok := k.mem[id]; ok {
		clear(old)
		delete(k.mem, id)
	}
}

// EditAccount saves an account edit with what it does to the password, in
// one store transaction (issue 12: it used to be two, and a power cut
// between them half-applied the edit). password non-nil replaces it (saved
// or in memory, as save says); nil keeps it, moving it between the store
// and memory when save changed. store.ErrNoPassword, writing nothing, when
// save asks to seal a password the phone does not know.
func (k *Keyring) EditAccount(ctx context.Context, a store.Account, old store.Account, password []byte, save bool) error {
	var change store.PasswordChange
	var toMemory []byte // held in memory once the edit is committed
	forget := false
	switch {
	case password != nil && save:
		change = store.PasswordChange{Change: true, Password: password}
		forget = true
	case password != nil:
		change = store.PasswordChange{Change: true}
		toMemory = password
	case !save && old.HasPassword:
		pw, err := k.st.AccountPassword(ctx, a.ID)
		if err != nil && !errors.Is(err, ErrLocked) && !errors.Is(err, store.ErrNoPassword) {
			return err
		}
		defer clear(pw)
		change, toMemory = store.PasswordChange{Change: true}, pw
	case save && !old.HasPassword:
		k.mu.Lock()
		pw, ok := k.mem[a.ID]
		if ok {
			pw = append([]byte(nil), pw...)
		}
		k.mu.Unlock()
		if !ok {
			return fmt.Errorf("%w in memory for account %d", store.ErrNoPassword, a.ID)
		}
		defer clear(pw)
		change = store.PasswordChange{Change: true, Password: pw}
		forget = true
	}
	if err := k.st.EditAccount(ctx, a, change); err != nil {
		return err
	}
	if forget {
		k.forget(a.ID)
	}
	if toMemory != nil {
		k.remember(a.ID, toMemory)
	}
	return nil
}
