package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/crypto/vault"
)

func TestPhonebookRoundTripAndSealed(t *testing.T) {
	s, v := newTestStore(t)
	ctx := context.Background()
	id, err := s.AddPhonebookEntry(ctx, PhonebookEntry{Name: "Zoë Ward", Addresses: []string{"zoe@example.org", "+44 20 7946 0000"}, Favourite: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddPhonebookEntry(ctx, PhonebookEntry{Name: "alice", Addresses: []string{"1001"}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Phonebook(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "alice" || got[1].ID != id || got[1].Favourite != 2 || got[1].Addresses[1] != "+44 20 7946 0000" {
		t.Fatalf("phonebook = %+v", got)
	}
	// Nothing of the person is in clear in the database file.
	var raw []byte
	if err := s.db.QueryRow(`SELECT entry FROM phonebook WHERE id = ?`, id).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "Ward") || strings.Contains(string(raw), "zoe@") {
		t.Fatalf("entry stored in clear: %q", raw)
	}
	// A sealed entry copied to another row does not open there.
	if _, err := s.db.Exec(`UPDATE phonebook SET entry = ? WHERE id <> ?`, raw, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Phonebook(ctx); !errors.Is(err, vault.ErrTampered) {
		t.Fatalf("moved entry: err = %v, want ErrTampered", err)
	}
	v.Lock()
	if _, err := s.PhonebookEntry(ctx, id); !errors.Is(err, vault.ErrLocked) {
		t.Fatalf("locked: err = %v, want ErrLocked", err)
	}
}

func TestPhonebookRefuses(t *testing.T) {
	long := strings.Repeat("x", MaxNameLen+1)
	many := make([]string, MaxEntryAddresses+1)
	for i := range many {
		many[i] = "1"
	}
	for _, tc := range []struct {
		name string
		e    PhonebookEntry
		want error
	}{
		{"no name", PhonebookEntry{Name: " ", Addresses: []string{"1"}}, ErrInvalid},
		{"long name", PhonebookEntry{Name: long, Addresses: []string{"1"}}, ErrInvalid},
		{"newline in name", PhonebookEntry{Name: "a\nb", Addresses: []string{"1"}}, ErrInvalid},
		{"no address", PhonebookEntry{Name: "a"}, ErrInvalid},
		{"too many addresses", PhonebookEntry{Name: "a", Addresses: many}, ErrInvalid},
		{"tab in address", PhonebookEntry{Name: "a", Addresses: []string{"a\tb@c"}}, ErrInvalid},
		{"favourite out of range", PhonebookEntry{Name: "a", Addresses: []string{"1"}, Favourite: MaxFavourite + 1}, ErrInvalid},
		{"favourite taken", PhonebookEntry{Name: "b", Addresses: []string{"2"}, Favourite: 1}, ErrDuplicate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestStore(t)
			ctx := context.Background()
			if _, err := s.AddPhonebookEntry(ctx, PhonebookEntry{Name: "first", Addresses: []string{"9"}, Favourite: 1}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AddPhonebookEntry(ctx, tc.e); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if es, _ := s.Phonebook(ctx); len(es) != 1 {
				t.Fatalf("phonebook has %d entries after a refused add, want 1", len(es))
			}
		})
	}
}

func TestPhonebookImportIsAllOrNothing(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	batch := []PhonebookEntry{
		{Name: "a", Addresses: []string{"1"}, Favourite: 1},
		{Name: "b", Addresses: []string{"2"}, Favourite: 1}, // clashes with a
	}
	if _, err := s.AddPhonebookEntries(ctx, batch); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("err = %v, want ErrDuplicate", err)
	}
	if es, _ := s.Phonebook(ctx); len(es) != 0 {
		t.Fatalf("refused import left %d entries", len(es))
	}
	batch[1].Favourite = 2
	ids, err := s.AddPhonebookEntries(ctx, batch)
	if err != nil || len(ids) != 2 {
		t.Fatalf("ids %v, err %v", ids, err)
	}
	// Moving b to a's position is refused; moving it to a free one works.
	b := batch[1]
	b.ID, b.Favourite = ids[1], 1
	if err := s.UpdatePhonebookEntry(ctx, b); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("update onto a taken position: %v", err)
	}
	b.Favourite = 3
	if err := s.UpdatePhonebookEntry(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePhonebookEntry(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePhonebookEntry(ctx, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if err := s.UpdatePhonebookEntry(ctx, PhonebookEntry{ID: 999, Name: "x", Addresses: []string{"1"}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update of a missing entry: %v", err)
	}
}
