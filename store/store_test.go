package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/crypto/vault"
)

var _ Sealer = (*vault.Vault)(nil) // the vault is the store's sealer

// newTestStore opens a fresh store sealed by an unlocked test vault.
func newTestStore(t testing.TB) (*Store, *vault.Vault) {
	t.Helper()
	v, err := vault.Create([]byte("pw"), vault.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "padlock.db"), v)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, v
}

func alice() Account {
	return Account{Kind: SIP, User: "alice", Server: "example.org", Transport: UDP, Enabled: true, DisplayName: "Alice"}
}

func mustAccount(t testing.TB, s *Store, a Account) int64 {
	t.Helper()
	id, err := s.CreateAccount(context.Background(), a, nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestOpenSetsPragmas(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	for _, tc := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
		{"secure_delete", "1"},
		{"user_version", fmt.Sprint(len(migrations))},
	} {
		var got string
		if err := s.db.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("PRAGMA %s = %s, want %s", tc.pragma, got, tc.want)
		}
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAccount(ctx, alice(), nil); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		st, err := os.Stat(s.path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", s.path+suffix, st.Mode().Perm())
		}
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := mustAccount(t, s, alice())
	s.Close()
	s, err = Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.Account(ctx, id)
	if err != nil || a.User != "alice" {
		t.Fatalf("after reopen: %+v, %v", a, err)
	}
}

func TestSchemaTooNew(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, "PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, path, nil); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

func TestAccountsCRUD(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	a := alice()
	a.Port = 5061
	a.Transport = TLS
	a.Proxy = "proxy.example.org"
	a.TLSFingerprint = "sha256:ab:cd"
	id, err := s.CreateAccount(ctx, a, []byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	a.ID, a.HasPassword = id, true
	got, err := s.Account(ctx, id)
	if err != nil || got != a {
		t.Fatalf("Account: %+v, %v; want %+v", got, err, a)
	}
	pw, err := s.AccountPassword(ctx, id)
	if err != nil || string(pw) != "s3cret" {
		t.Fatalf("AccountPassword: %q, %v", pw, err)
	}

	a.DisplayName, a.Enabled, a.Port = "Alice at work", false, 0
	if err := s.UpdateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Account(ctx, id); got != a {
		t.Fatalf("after update: %+v, want %+v", got, a)
	}
	if pw, _ := s.AccountPassword(ctx, id); string(pw) != "s3cret" {
		t.Fatal("UpdateAccount touched the password")
	}

	if err := s.SetAccountPassword(ctx, id, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AccountPassword(ctx, id); !errors.Is(err, ErrNoPassword) {
		t.Fatalf("forgotten password: %v", err)
	}
	if got, _ := s.Account(ctx, id); got.HasPassword {
		t.Fatal("HasPassword after forgetting")
	}

	x := Account{Kind: XMPP, User: "alice", Server: "example.org", Transport: TCP}
	xid := mustAccount(t, s, x)
	all, err := s.Accounts(ctx)
	if err != nil || len(all) != 2 || all[0].ID != id || all[1].ID != xid {
		t.Fatalf("Accounts: %+v, %v", all, err)
	}
	if err := s.DeleteAccount(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Account(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted account: %v", err)
	}
	for name, err := range map[string]error{
		"update missing":      s.UpdateAccount(ctx, Account{ID: 999, Kind: SIP, User: "u", Server: "s", Transport: UDP}),
		"delete missing":      s.DeleteAccount(ctx, 999),
		"password of missing": s.SetAccountPassword(ctx, 999, []byte("x")),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
}

func TestAccountValidation(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	mustAccount(t, s, alice())
	tests := []struct {
		name    string
		edit    func(*Account)
		wantErr error
	}{
		{"duplicate", func(a *Account) {}, ErrDuplicate},
		{"same user other kind is fine", func(a *Account) { a.Kind, a.Transport = XMPP, TCP }, nil},
		{"bad kind", func(a *Account) { a.Kind = "irc" }, ErrInvalid},
		{"bad transport", func(a *Account) { a.Transport = "sctp" }, ErrInvalid},
		{"xmpp over udp", func(a *Account) { a.Kind, a.User = XMPP, "bob" }, ErrInvalid},
		{"no user", func(a *Account) { a.User = "" }, ErrInvalid},
		{"no server", func(a *Account) { a.Server = "" }, ErrInvalid},
		{"port too big", func(a *Account) { a.User, a.Port = "carol", 65536 }, ErrInvalid},
		{"negative port", func(a *Account) { a.User, a.Port = "carol", -1 }, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := s.Accounts(ctx)
			a := alice()
			tc.edit(&a)
			_, err := s.CreateAccount(ctx, a, []byte("pw"))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("CreateAccount: %v, want %v", err, tc.wantErr)
			}
			after, _ := s.Accounts(ctx)
			if tc.wantErr != nil && len(after) != len(before) {
				t.Fatal("a failed create left a row behind")
			}
		})
	}
	// A rename onto a taken key fails and changes nothing.
	bob := alice()
	bob.User = "bob"
	bid := mustAccount(t, s, bob)
	bob.ID, bob.User = bid, "alice"
	if err := s.UpdateAccount(ctx, bob); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("rename onto alice: %v", err)
	}
	if got, _ := s.Account(ctx, bid); got.User != "bob" {
		t.Fatalf("failed rename changed the row: %+v", got)
	}
}

func TestLockedVault(t *testing.T) {
	s, v := newTestStore(t)
	ctx := context.Background()
	id, err := s.CreateAccount(ctx, alice(), []byte("pw1"))
	if err != nil {
		t.Fatal(err)
	}
	v.Lock()
	// Clear columns still read; secrets do not.
	if a, err := s.Account(ctx, id); err != nil || !a.HasPassword {
		t.Fatalf("Account while locked: %+v, %v", a, err)
	}
	if _, err := s.AccountPassword(ctx, id); !errors.Is(err, vault.ErrLocked) {
		t.Fatalf("AccountPassword while locked: %v", err)
	}
	bob := alice()
	bob.User = "bob"
	if _, err := s.CreateAccount(ctx, bob, []byte("pw2")); !errors.Is(err, vault.ErrLocked) {
		t.Fatalf("CreateAccount with password while locked: %v", err)
	}
	if all, _ := s.Accounts(ctx); len(all) != 1 {
		t.Fatal("a create that could not seal left a row behind")
	}
	if err := s.SetAccountPassword(ctx, id, nil); err != nil {
		t.Fatalf("forgetting a password while locked: %v", err)
	}

	s.SetSealer(nil)
	if _, err := s.CreateAccount(ctx, bob, []byte("pw2")); !errors.Is(err, ErrNoSealer) {
		t.Fatalf("no sealer: %v", err)
	}
}

func TestMovedSecretFailsToOpen(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	a := mustAccount(t, s, alice())
	bob := alice()
	bob.User = "bob"
	b := mustAccount(t, s, bob)
	if err := s.SetAccountPassword(ctx, a, []byte("alice-pw")); err != nil {
		t.Fatal(err)
	}
	// Someone with the SD card copies alice's sealed password onto bob's row.
	if _, err := s.db.ExecContext(ctx, `UPDATE accounts SET password = (SELECT password FROM accounts WHERE id = ?) WHERE id = ?`, a, b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AccountPassword(ctx, b); !errors.Is(err, vault.ErrTampered) {
		t.Fatalf("moved password: %v, want vault.ErrTampered", err)
	}
}

func TestContactsAndGroups(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	acc := mustAccount(t, s, alice())
	fam, err := s.AddGroup(ctx, "Family")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddGroup(ctx, "Family"); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate group: %v", err)
	}
	c := Contact{AccountID: acc, Address: "bob@example.org", DisplayName: "Bob", GroupID: fam}
	cid, err := s.AddContact(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	c.ID = cid
	if got, err := s.Contact(ctx, cid); err != nil || got != c {
		t.Fatalf("Contact: %+v, %v", got, err)
	}
	for name, tc := range map[string]struct {
		c    Contact
		want error
	}{
		"duplicate address": {Contact{AccountID: acc, Address: "bob@example.org"}, ErrDuplicate},
		"missing account":   {Contact{AccountID: 999, Address: "x@y"}, ErrNotFound},
		"missing group":     {Contact{AccountID: acc, Address: "x@y", GroupID: 999}, ErrNotFound},
		"no address":        {Contact{AccountID: acc}, ErrInvalid},
	} {
		if _, err := s.AddContact(ctx, tc.c); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	c.DisplayName = "Bobby"
	if err := s.UpdateContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.RenameGroup(ctx, fam, "Kin"); err != nil {
		t.Fatal(err)
	}
	if gs, _ := s.Groups(ctx); len(gs) != 1 || gs[0] != (Group{fam, "Kin"}) {
		t.Fatalf("Groups: %+v", gs)
	}
	if err := s.DeleteGroup(ctx, fam); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Contact(ctx, cid)
	if got.GroupID != 0 || got.DisplayName != "Bobby" {
		t.Fatalf("after group delete: %+v", got)
	}
	if cs, _ := s.Contacts(ctx, 0); len(cs) != 1 {
		t.Fatalf("Contacts(all): %+v", cs)
	}
	if err := s.DeleteAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	if cs, _ := s.Contacts(ctx, acc); len(cs) != 0 {
		t.Fatalf("contacts survived their account: %+v", cs)
	}
	if err := s.DeleteContact(ctx, cid); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete cascaded contact: %v", err)
	}
}

func TestSettings(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	st, err := s.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{LogCallHistory: true, RequirePrivateMessaging: true, RequireEndToEndCalls: true, RequireEncryptedCalls: true}
	if st != want {
		t.Fatalf("defaults: %+v, want %+v", st, want)
	}
	for name, def := range Defaults {
		if got, err := s.Bool(ctx, name); err != nil || got != def {
			t.Errorf("%s default: %v, %v", name, got, err)
		}
	}
	if err := s.SetBool(ctx, LogChatHistory, true); err != nil {
		t.Fatal(err)
	}
	if on, _ := s.Bool(ctx, LogChatHistory); !on {
		t.Fatal("SetBool did not stick")
	}
	want = Settings{LogChatHistory: true, PacketLogging: true, KeepUnlocked: true}
	if err := s.SaveSettings(ctx, want); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Settings(ctx); st != want {
		t.Fatalf("saved %+v, read %+v", want, st)
	}
	if err := s.SetBool(ctx, "no_such", true); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown setting: %v", err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE settings SET value = 'yes' WHERE key = 'packet_logging'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Bool(ctx, PacketLogging); !errors.Is(err, ErrInvalid) {
		t.Fatalf("corrupt value: %v", err)
	}
}

func TestHistory(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	acc := mustAccount(t, s, alice())
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)

	chat := HistoryEntry{AccountID: acc, Contact: "bob@example.org", Time: t0, Direction: In, Kind: Chat, Body: []byte("hi")}
	if _, err := s.AddHistory(ctx, chat); !errors.Is(err, ErrHistoryOff) {
		t.Fatalf("chat logging is off by default, got %v", err)
	}
	if err := s.SetBool(ctx, LogChatHistory, true); err != nil {
		t.Fatal(err)
	}
	var want []HistoryEntry
	for i, e := range []HistoryEntry{
		chat,
		{AccountID: acc, Contact: "bob@example.org", Time: t0.Add(time.Second), Direction: Out, Kind: Chat, Body: []byte("hello back")},
		{AccountID: acc, Contact: "carol@example.org", Time: t0.Add(2 * time.Second), Direction: In, Kind: Call, Body: []byte("missed")},
		{AccountID: acc, Contact: "bob@example.org", Time: t0.Add(3 * time.Second), Direction: Out, Kind: Call, Body: nil},
	} {
		id, err := s.AddHistory(ctx, e)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		e.ID = id
		want = append([]HistoryEntry{e}, want...) // newest first
	}
	check := func(f HistoryFilter, want []HistoryEntry) {
		t.Helper()
		got, err := s.History(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%+v: %d entries, want %d", f, len(got), len(want))
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.ID != w.ID || g.Contact != w.Contact || !g.Time.Equal(w.Time) || g.Direction != w.Direction || g.Kind != w.Kind || !bytes.Equal(g.Body, w.Body) {
				t.Fatalf("%+v entry %d: %+v, want %+v", f, i, g, w)
			}
		}
	}
	check(HistoryFilter{}, want)
	check(HistoryFilter{Limit: 2}, want[:2])
	check(HistoryFilter{AccountID: acc, Contact: "bob@example.org"}, []HistoryEntry{want[0], want[2], want[3]})
	check(HistoryFilter{Kind: Call}, want[:2])

	for name, e := range map[string]HistoryEntry{
		"bad kind":        {AccountID: acc, Contact: "x", Direction: In, Kind: "sms"},
		"bad direction":   {AccountID: acc, Contact: "x", Direction: "up", Kind: Chat},
		"missing account": {AccountID: 999, Contact: "x", Direction: In, Kind: Chat},
	} {
		if _, err := s.AddHistory(ctx, e); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}

	n, err := s.PurgeContactHistory(ctx, acc, "bob@example.org")
	if err != nil || n != 3 {
		t.Fatalf("PurgeContactHistory: %d, %v", n, err)
	}
	check(HistoryFilter{}, want[1:2])
	n, err = s.PurgeHistory(ctx)
	if err != nil || n != 1 {
		t.Fatalf("PurgeHistory: %d, %v", n, err)
	}
	check(HistoryFilter{}, nil)
}

func TestKeys(t *testing.T) {
	s, v := newTestStore(t)
	ctx := context.Background()
	acc := mustAccount(t, s, alice())
	id, err := s.PutKey(ctx, Key{AccountID: acc, Kind: "otr-private", Blob: []byte("dsa key")})
	if err != nil {
		t.Fatal(err)
	}
	id2, err := s.PutKey(ctx, Key{AccountID: acc, Kind: "otr-private", Blob: []byte("new dsa key")})
	if err != nil || id2 != id {
		t.Fatalf("replace: id %d (was %d), %v", id2, id, err)
	}
	for _, zid := range []string{"zid-b", "zid-a"} {
		if _, err := s.PutKey(ctx, Key{AccountID: acc, Kind: "zrtp-cache", Name: zid, Blob: []byte("rs1 of " + zid)}); err != nil {
			t.Fatal(err)
		}
	}
	k, err := s.Key(ctx, acc, "otr-private", "")
	if err != nil || string(k.Blob) != "new dsa key" {
		t.Fatalf("Key: %+v, %v", k, err)
	}
	ks, err := s.Keys(ctx, acc, "zrtp-cache")
	if err != nil || len(ks) != 2 || ks[0].Name != "zid-a" || string(ks[1].Blob) != "rs1 of zid-b" {
		t.Fatalf("Keys: %+v, %v", ks, err)
	}
	if _, err := s.Key(ctx, acc, "zrtp-cache", "zid-c"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing key: %v", err)
	}
	if _, err := s.PutKey(ctx, Key{AccountID: 999, Kind: "x"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("key of missing account: %v", err)
	}
	if err := s.DeleteKey(ctx, acc, "zrtp-cache", "zid-a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteKey(ctx, acc, "zrtp-cache", "zid-a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	v.Lock()
	if _, err := s.Key(ctx, acc, "otr-private", ""); !errors.Is(err, vault.ErrLocked) {
		t.Fatalf("Key while locked: %v", err)
	}
	if _, err := s.PutKey(ctx, Key{AccountID: acc, Kind: "otr-private", Blob: []byte("x")}); !errors.Is(err, vault.ErrLocked) {
		t.Fatalf("PutKey while locked: %v", err)
	}
	if err := v.Unlock([]byte("pw")); err != nil {
		t.Fatal(err)
	}
	if k, _ := s.Key(ctx, acc, "otr-private", ""); string(k.Blob) != "new dsa key" {
		t.Fatalf("failed PutKey changed the key: %q", k.Blob)
	}
}

// TestDeviceKeys: account 0 is the device itself (the ZRTP ZID and cache),
// kept apart from any account's keys and sealed under its own row identity.
func TestDeviceKeys(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	acc := mustAccount(t, s, alice())
	if _, err := s.PutKey(ctx, Key{Kind: "zrtp-zid", Blob: []byte("twelve bytes")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutKey(ctx, Key{AccountID: acc, Kind: "zrtp-zid", Blob: []byte("account's")}); err != nil {
		t.Fatal(err)
	}
	for _, zid := range []string{"peer-2", "peer-1"} {
		if _, err := s.PutKey(ctx, Key{Kind: "zrtp-cache", Name: zid, Blob: []byte("rs of " + zid)}); err != nil {
			t.Fatal(err)
		}
	}
	k, err := s.Key(ctx, 0, "zrtp-zid", "")
	if err != nil || string(k.Blob) != "twelve bytes" {
		t.Fatalf("device key: %q %v", k.Blob, err)
	}
	ks, err := s.Keys(ctx, 0, "zrtp-cache")
	if err != nil || len(ks) != 2 || ks[0].Name != "peer-1" || string(ks[1].Blob) != "rs of peer-2" {
		t.Fatalf("device keys: %+v %v", ks, err)
	}
	if err := s.DeleteAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Key(ctx, 0, "zrtp-zid", ""); err != nil {
		t.Fatalf("deleting an account took the device key: %v", err)
	}
	// A device key's sealed blob moved into another row does not open.
	var a []byte
	s.db.QueryRowContext(ctx, `SELECT blob FROM device_keys WHERE name = 'peer-1'`).Scan(&a)
	if _, err := s.db.ExecContext(ctx, `UPDATE device_keys SET blob = ? WHERE name = 'peer-2'`, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Key(ctx, 0, "zrtp-cache", "peer-2"); !errors.Is(err, vault.ErrTampered) {
		t.Fatalf("moved device key: %v", err)
	}
	if err := s.DeleteKey(ctx, 0, "zrtp-cache", "peer-1"); err != nil {
		t.Fatal(err)
	}
}

func TestChangePasswordKeepsSecrets(t *testing.T) {
	s, v := newTestStore(t)
	ctx := context.Background()
	id, err := s.CreateAccount(ctx, alice(), []byte("sip-pw"))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.ChangePassword([]byte("pw"), []byte("new"), func([]byte) error { return nil }); err != nil {
		t.Fatal(err)
	}
	v.Lock()
	if err := v.Unlock([]byte("new")); err != nil {
		t.Fatal(err)
	}
	if pw, err := s.AccountPassword(ctx, id); err != nil || string(pw) != "sip-pw" {
		t.Fatalf("after password change: %q, %v", pw, err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	s, _ := newTestStore(t)
	s.SetHistoryLimits(HistoryLimits{}) // entries dated 1970
	ctx := context.Background()
	acc := mustAccount(t, s, alice())
	errs := make(chan error, 4)
	for w := range 4 {
		go func() {
			for i := range 25 {
				_, err := s.AddHistory(ctx, HistoryEntry{AccountID: acc, Contact: "bob", Time: time.UnixMilli(int64(w*100 + i)), Direction: In, Kind: Call, Body: []byte{byte(i)}})
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if h, _ := s.History(ctx, HistoryFilter{}); len(h) != 100 {
		t.Fatalf("%d entries, want 100", len(h))
	}
}
