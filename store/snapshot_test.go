package store

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/padlock-phone/padlock/crypto/vault"
)

// filledStore is an old phone: a SIP and an XMPP account with a saved
// password, OTR keys, a ZRTP ZID and cache, a phonebook and settings.
func filledStore(t *testing.T) *Store {
	t.Helper()
	s, _ := newTestStore(t)
	ctx := context.Background()
	sip, err := s.CreateAccount(ctx, alice(), []byte("sip secret"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := s.CreateAccount(ctx, Account{Kind: XMPP, User: "alice", Server: "chat.example", Transport: TCP, Enabled: true, TLSFingerprint: "ab:cd"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = sip
	g, _ := s.AddGroup(ctx, "Friends")
	if _, err := s.AddContact(ctx, Contact{AccountID: x, Address: "bob@chat.example", DisplayName: "Bob", GroupID: g}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []Key{
		{AccountID: x, Kind: "otr-private", Blob: []byte("dsa key")},
		{AccountID: x, Kind: "otr-fingerprint", Name: "bob@chat.example", Blob: []byte("fp trusted")},
		{Kind: "zrtp-zid", Blob: []byte("123456789012")},
		{Kind: "zrtp-cache", Name: "peer", Blob: []byte("rs1 rs2 verified")},
	} {
		if _, err := s.PutKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddPhonebookEntry(ctx, PhonebookEntry{Name: "Bob", Addresses: []string{"1002"}, Favourite: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetBool(ctx, LogChatHistory, true); err != nil {
		t.Fatal(err)
	}
	return s
}

// freshStore is a new phone after first-run setup, with its own vault
// (and perhaps a ZID of its own already).
func freshStore(t *testing.T) *Store {
	t.Helper()
	v, err := vault.Create([]byte("another master password"), vault.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "padlock.db"), v)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.PutKey(context.Background(), Key{Kind: "zrtp-zid", Blob: []byte("new phone id")}); err != nil {
		t.Fatal(err)
	}
	return s
}

// comparable drops the ids that a restore renumbers.
func comparable(sn Snapshot) Snapshot {
	for i := range sn.Accounts {
		sn.Accounts[i].Account.ID = 0
		for j := range sn.Accounts[i].Keys {
			sn.Accounts[i].Keys[j].ID, sn.Accounts[i].Keys[j].AccountID = 0, 0
		}
	}
	for i := range sn.DeviceKeys {
		sn.DeviceKeys[i].ID = 0
	}
	for i := range sn.Phonebook {
		sn.Phonebook[i].ID = 0
	}
	return sn
}

func TestSnapshotRestore(t *testing.T) {
	ctx := context.Background()
	old := filledStore(t)
	sn, err := old.TakeSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sn.Accounts) != 2 || string(sn.Accounts[0].Password) != "sip secret" || len(sn.Accounts[1].Keys) != 2 || len(sn.DeviceKeys) != 2 {
		t.Fatalf("snapshot %+v", sn)
	}
	if _, ok := sn.Settings[KeepUnlocked]; ok {
		t.Fatal("keep_unlocked is in the snapshot")
	}
	neu := freshStore(t)
	if err := neu.Restore(ctx, sn); err != nil {
		t.Fatal(err)
	}
	got, err := neu.TakeSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := comparable(sn); !reflect.DeepEqual(comparable(got), want) {
		t.Fatalf("restored\n%+v\nwant\n%+v", comparable(got), want)
	}
	// The contact kept its group by name.
	cs, _ := neu.Contacts(ctx, 0)
	gs, _ := neu.Groups(ctx)
	if len(cs) != 1 || len(gs) != 1 || cs[0].GroupID != gs[0].ID {
		t.Fatalf("contacts %+v groups %+v", cs, gs)
	}
	// A second restore is refused: the phone is no longer fresh.
	if err := neu.Restore(ctx, sn); !errors.Is(err, ErrNotFresh) {
		t.Fatalf("second restore: %v", err)
	}
}

func TestRestoreIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	sn, err := filledStore(t).TakeSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The same account twice fails half-way through the transaction.
	sn.Accounts = append(sn.Accounts, sn.Accounts[0])
	neu := freshStore(t)
	before, _ := neu.TakeSnapshot(ctx)
	if err := neu.Restore(ctx, sn); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("err = %v, want ErrDuplicate", err)
	}
	after, _ := neu.TakeSnapshot(ctx)
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("a failed restore changed the phone:\n%+v\n%+v", before, after)
	}
	sn.Accounts = sn.Accounts[:2]
	sn.Settings[KeepUnlocked] = true
	if err := neu.Restore(ctx, sn); !errors.Is(err, ErrInvalid) {
		t.Fatalf("keep_unlocked restored: %v", err)
	}
}
