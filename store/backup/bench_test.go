package backup

import (
	"fmt"
	"testing"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/store"
)

// fullSnapshot is a phone at its bounds' worth of phonebook.
func fullSnapshot() store.Snapshot {
	sn := sample()
	sn.Phonebook = nil
	for i := range store.MaxPhonebookEntries {
		sn.Phonebook = append(sn.Phonebook, store.PhonebookEntry{Name: fmt.Sprintf("Person %d", i),
			Addresses: []string{fmt.Sprintf("+44 20 7946 %04d", i), fmt.Sprintf("p%d@example.org", i)}})
	}
	return sn
}

// BenchmarkExportShipped is a backup of a full phonebook at the shipped
// argon2id cost (what the person waits for on the Backup page).
func BenchmarkExportShipped(b *testing.B) {
	sn := fullSnapshot()
	var n int
	for b.Loop() {
		f, err := Export(sn, []byte("correct horse battery staple"), vault.DefaultParams, when)
		if err != nil {
			b.Fatal(err)
		}
		n = len(f)
	}
	b.ReportMetric(float64(n), "file-bytes")
}

// BenchmarkOpenShipped is the restore side's check and decryption.
func BenchmarkOpenShipped(b *testing.B) {
	f, err := Export(fullSnapshot(), []byte("correct horse battery staple"), vault.DefaultParams, when)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Open(f, []byte("correct horse battery staple")); err != nil {
			b.Fatal(err)
		}
	}
}
