// Package store keeps the phone's accounts, contacts, settings, history and
// keys in one SQLite database, with every secret sealed by a Sealer (the
// vault) under the identity of its row.
//
// The database runs in WAL mode with synchronous=FULL, foreign keys on and a
// busy timeout; every write is one transaction, so a power cut leaves the last
// committed state. Metadata (account names, servers, contact addresses,
// history times) is stored in clear so the phone can show and register
// accounts while the vault is locked; see docs/SECURITY.md.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Sealer encrypts and authenticates secrets. ad is the identity of the row
// and column the value lives in (for example "accounts/42/password"), so a
// value copied into another row fails to open. *vault.Vault implements it.
type Sealer interface {
	Seal(ad, plaintext []byte) ([]byte, error)
	Open(ad, sealed []byte) ([]byte, error)
}

// Errors. Each is returned wrapped with details; test with errors.Is. Errors
// from the Sealer (vault.ErrLocked, vault.ErrTampered) are passed through
// wrapped, so errors.Is works for them too.
var (
	// ErrNotFound: no row with that id or key (or a row it refers to is missing).
	ErrNotFound = errors.New("store: not found")
	// ErrDuplicate: a unique key is already taken; nothing was written.
	ErrDuplicate = errors.New("store: already exists")
	// ErrInvalid: a field is out of range (unknown kind, port > 65535, empty name...).
	ErrInvalid = errors.New("store: invalid value")
	// ErrNoSealer: a secret was read or written before a vault was set up.
	ErrNoSealer = errors.New("store: no vault set up yet; secrets cannot be stored")
	// ErrNoPassword: the account has no saved password.
	ErrNoPassword = errors.New("store: no password saved for this account")
	// ErrHistoryOff: history of that kind is not being logged (settings
	// log_chat_history / log_call_history); nothing was written.
	ErrHistoryOff = errors.New("store: history logging is off for this kind")
	// ErrSchemaTooNew: the database was written by newer firmware.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this firmware")
)

// Store is an open database. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string

	mu     sync.RWMutex
	sealer Sealer
	limits HistoryLimits
}

// Open opens (creating if needed) the database at path and brings its schema
// up to date. sealer may be nil until a vault exists (then secrets give
// ErrNoSealer); see SetSealer. A locked vault is a fine sealer: reads of
// clear columns work, secrets return vault.ErrLocked.
func Open(ctx context.Context, path string, sealer Sealer) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("%w: database path %q", ErrInvalid, path)
	}
	// Pragmas are per connection, so they go in the DSN, which the driver
	// applies to every connection of the pool. BEGIN IMMEDIATE (txlock) takes
	// the write lock up front, so two writers wait (busy_timeout) instead of
	// failing on a lock upgrade. secure_delete overwrites deleted rows, so a
	// purge does not leave metadata in free pages.
	dsn := "file:" + path +
		"?_pragma=busy_timeout(10000)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(FULL)" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=secure_delete(1)" +
		"&_txlock=immediate"
	// Create the file ourselves so that it is private; SQLite gives the
	// -wal and -shm files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	f.Close()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	}
	s := &Store{db: db, path: path, sealer: sealer, limits: DefaultHistoryLimits}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	if err := s.migrateSettings(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return s.db.Close()
}

// SetSealer sets (or replaces) the Sealer, for the first boot where the vault
// is created after the store was opened.
func (s *Store) SetSealer(sealer Sealer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sealer = sealer
}

func (s *Store) seal(ad string, plaintext []byte) ([]byte, error) {
	s.mu.RLock()
	sl := s.sealer
	s.mu.RUnlock()
	if sl == nil {
		return nil, ErrNoSealer
	}
	b, err := sl.Seal([]byte(ad), plaintext)
	if err != nil {
		return nil, fmt.Errorf("store: sealing %s: %w", ad, err)
	}
	return b, nil
}

func (s *Store) open(ad string, sealed []byte) ([]byte, error) {
	s.mu.RLock()
	sl := s.sealer
	s.mu.RUnlock()
	if sl == nil {
		return nil, ErrNoSealer
	}
	b, err := sl.Open([]byte(ad), sealed)
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", ad, err)
	}
	return b, nil
}

// write runs fn in one transaction: all of it is committed, or none.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// sqlErr turns a constraint violation into one of our errors; what says
// which thing it was about ("account sip alice@example.org").
func sqlErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %s", ErrDuplicate, what)
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_DATATYPE:
			return fmt.Errorf("%w: %s: %v", ErrInvalid, what, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %s refers to a missing row", ErrNotFound, what)
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// mustAffect returns ErrNotFound when an UPDATE or DELETE matched no row.
func mustAffect(res sql.Result, err error, what string) error {
	if err != nil {
		return sqlErr(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return sqlErr(err, what)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	return nil
}

// IntegrityCheck runs PRAGMA integrity_check and returns nil when SQLite
// answers "ok".
func (s *Store) IntegrityCheck(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("store: integrity check: %w", err)
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return fmt.Errorf("store: integrity check: %w", err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: integrity check: %w", err)
	}
	if len(msgs) != 1 || msgs[0] != "ok" {
		return fmt.Errorf("store: integrity check failed: %s", strings.Join(msgs, "; "))
	}
	return nil
}
