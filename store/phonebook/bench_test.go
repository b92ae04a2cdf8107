package phonebook

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/store"
)

// BenchmarkLookupFull is the cost of naming a caller with a full phonebook
// (every entry opened: the worst case, a number nobody has).
func BenchmarkLookupFull(b *testing.B) {
	v, err := vault.Create([]byte("pw"), vault.TestParams)
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "padlock.db"), v)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	es := make([]store.PhonebookEntry, store.MaxPhonebookEntries)
	for i := range es {
		es[i] = store.PhonebookEntry{Name: fmt.Sprintf("Person %d", i), Addresses: []string{fmt.Sprintf("+44 20 7946 %04d", i), fmt.Sprintf("p%d@example.org", i)}}
	}
	if _, err := st.AddPhonebookEntries(context.Background(), es); err != nil {
		b.Fatal(err)
	}
	book := Book{St: st}
	b.ResetTimer()
	for b.Loop() {
		if n := book.Lookup(context.Background(), "nobody@example.org"); n != "" {
			b.Fatal(n)
		}
	}
}
