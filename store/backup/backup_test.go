package backup

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/store"
)

var when = time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)

func sample() store.Snapshot {
	return store.Snapshot{
		Accounts: []store.AccountSnapshot{
			{Account: store.Account{Kind: store.SIP, User: "alice", Server: "pbx.example", Transport: store.UDP, Enabled: true, HasPassword: true},
				Password: []byte("sip secret")},
			{Account: store.Account{Kind: store.XMPP, User: "alice", Server: "chat.example", Transport: store.TCP, Enabled: true},
				Contacts: []store.ContactSnapshot{{Address: "bob@chat.example", DisplayName: "Bob", Group: "Friends"}},
				Keys:     []store.Key{{Kind: "otr-private", Blob: []byte{1, 2, 3}}, {Kind: "otr-fingerprint", Name: "bob@chat.example", Blob: []byte("trusted")}}},
		},
		Groups:     []string{"Friends"},
		DeviceKeys: []store.Key{{Kind: "zrtp-zid", Blob: []byte("123456789012")}, {Kind: "zrtp-cache", Name: "aa", Blob: []byte{9}}},
		Phonebook:  []store.PhonebookEntry{{Name: "Bob", Addresses: []string{"1002"}, Favourite: 1}},
		Settings:   map[store.Setting]bool{store.LogChatHistory: true, store.RequireEncryptedCalls: true},
	}
}

func TestExportOpen(t *testing.T) {
	pass := []byte("correct horse battery staple")
	file, err := Export(sample(), pass, vault.TestParams, when)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(file, []byte("sip secret")) || bytes.Contains(file, []byte("alice")) {
		t.Fatal("the backup holds something in clear")
	}
	got, err := Open(file, pass)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sample()) {
		t.Fatalf("got  %+v\nwant %+v", got, sample())
	}
	// testdata/sample.backup (passphrase above) is a seed of the fuzz
	// targets and the format's example; it was written here once.
	seed := filepath.Join("testdata", "sample.backup")
	if _, err := os.Stat(seed); errors.Is(err, os.ErrNotExist) {
		os.WriteFile(seed, file, 0o644)
	}
	old, err := os.ReadFile(seed)
	if err != nil {
		t.Fatal(err)
	}
	// The sample was written before require_encrypted_calls was split in
	// two: its value now sets both (store.Replaces).
	want := sample()
	want.Settings[store.RequireEndToEndCalls] = want.Settings[store.RequireEncryptedCalls]
	if got, err := Open(old, pass); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("the checked-in sample no longer opens the same: %v\ngot  %+v\nwant %+v", err, got.Settings, want.Settings)
	}
}

func TestOpenRefuses(t *testing.T) {
	pass := []byte("correct horse battery staple")
	file, err := Export(sample(), pass, vault.TestParams, when)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(file)
		b[i] ^= 1
		return b
	}
	newer := bytes.Clone(file)
	newer[len(magic)] = Version + 1
	for _, tc := range []struct {
		name string
		file []byte
		pass string
		want error
	}{
		{"wrong passphrase", file, "correct horse battery stapler", ErrWrongPassphrase},
		{"empty file", nil, string(pass), ErrNotBackup},
		{"another file", []byte("BEGIN:VCARD\n"), string(pass), ErrNotBackup},
		{"cut in the magic", file[:5], string(pass), ErrTruncated},
		{"cut in the header", file[:40], string(pass), ErrTruncated},
		{"cut in the payload", file[:len(file)-10], string(pass), ErrTruncated},
		{"bytes added", append(bytes.Clone(file), 0), string(pass), ErrDamaged},
		{"newer format", newer, string(pass), ErrTooNew},
		{"version byte zero", func() []byte { b := bytes.Clone(file); b[len(magic)] = 0; return b }(), string(pass), ErrNotBackup},
		{"header salt altered", flip(prefixLen + 20), string(pass), ErrWrongPassphrase},
		{"payload altered", flip(len(file) - 30), string(pass), ErrDamaged},
		{"last byte altered", flip(len(file) - 1), string(pass), ErrDamaged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(tc.file, []byte(tc.pass))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// Every single-byte change of the file fails to open.
	for i := range file {
		if _, err := Open(flip(i), pass); err == nil {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
	}
}

// sealPlain makes a file around any payload, for the cases a correct
// firmware never writes.
func sealPlain(t *testing.T, plain, pass []byte) []byte {
	t.Helper()
	v, err := vault.Create(pass, vault.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	hdr := v.Header()
	var out bytes.Buffer
	out.WriteString(magic)
	out.WriteByte(Version)
	binary.Write(&out, binary.BigEndian, uint16(len(hdr)))
	out.Write(hdr)
	probe, _ := v.Seal(nil, nil)
	binary.Write(&out, binary.BigEndian, uint32(len(probe)+len(plain)))
	sealed, err := v.Seal(out.Bytes(), plain)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(sealed)
	return out.Bytes()
}

func TestOpenRefusesPayloads(t *testing.T) {
	pass := []byte("pass phrase here")
	good, err := encodePayload(sample(), when)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, plain string
		want        error
	}{
		{"newer payload", `{"version":2,"sections":{}}`, ErrTooNew},
		{"unknown section", string(bytes.Replace(good, []byte(`"phonebook":`), []byte(`"rooms":[],"phonebook":`), 1)), ErrUnknownSection},
		{"missing section", `{"version":1,"sections":{"accounts":[]}}`, ErrDamaged},
		{"unknown field", string(bytes.Replace(good, []byte(`"version":1`), []byte(`"version":1,"extra":true`), 1)), ErrDamaged},
		{"keep_unlocked", string(bytes.Replace(good, []byte(`"log_chat_history"`), []byte(`"keep_unlocked"`), 1)), ErrUnknownSection},
		{"not json", `PK\x03\x04`, ErrDamaged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Open(sealPlain(t, []byte(tc.plain), pass), pass); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func seeds(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "sample.backup"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
}

// FuzzSplit: the clear framing of any file is told apart (or refused)
// without deriving a key, and never reads out of bounds.
func FuzzSplit(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := split(b)
		if err != nil {
			return
		}
		if len(c.ad)+len(c.sealed) != len(b) || len(c.header) > maxHeaderLen {
			t.Fatalf("split lost bytes: %d + %d != %d", len(c.ad), len(c.sealed), len(b))
		}
	})
}

// FuzzDecodePayload: any opened payload gives a snapshot or a backup error.
func FuzzDecodePayload(f *testing.F) {
	good, err := encodePayload(sample(), when)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"version":1,"sections":{"rooms":[]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := decodePayload(b)
		if err != nil && !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrTooNew) && !errors.Is(err, ErrUnknownSection) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
