package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// A migration that fails leaves the schema version and data as they were,
// and a later firmware with a working migration picks up from there.
func TestFailedMigrationChangesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := mustAccount(t, s, alice())
	s.Close()

	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = append(append([]string(nil), saved...),
		`ALTER TABLE accounts ADD COLUMN note TEXT NOT NULL DEFAULT '';
		 UPDATE accounts SET user = 'changed';
		 THIS IS NOT SQL;`)
	if _, err := Open(ctx, path, nil); err == nil {
		t.Fatal("a broken migration succeeded")
	}

	migrations = saved
	s, err = Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != len(saved) {
		t.Fatalf("user_version %d, %v; want %d", v, err, len(saved))
	}
	if a, err := s.Account(ctx, id); err != nil || a.User != "alice" {
		t.Fatalf("account after failed migration: %+v, %v", a, err)
	}
	s.Close()

	migrations = append(append([]string(nil), saved...), `ALTER TABLE accounts ADD COLUMN note TEXT NOT NULL DEFAULT ''`)
	s, err = Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var note string
	if err := s.db.QueryRowContext(ctx, "SELECT note FROM accounts WHERE id = ?", id).Scan(&note); err != nil {
		t.Fatalf("new column after the fixed migration: %v", err)
	}
	if _, err := s.Account(ctx, id); errors.Is(err, ErrNotFound) {
		t.Fatal("account lost")
	}
}
