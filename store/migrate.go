package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations[i] brings the schema from version i to i+1 (PRAGMA
// user_version). Each runs in its own transaction together with the version
// bump, so a power cut mid-migration leaves the previous version intact.
// Never edit a migration that has shipped; append a new one.
//
// Sealed columns (accounts.password, history.body, keys.blob, phonebook.entry) hold values
// sealed with the row identity "<table>/<id>/<column>" as associated data.
// AUTOINCREMENT keeps ids from being reused, so a deleted row's sealed value
// can never become valid for a new row.
var migrations = []string{
	// 1: first schema.
	`
CREATE TABLE accounts (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	kind            TEXT    NOT NULL CHECK (kind IN ('sip', 'xmpp')),
	user            TEXT    NOT NULL CHECK (user <> ''),
	server          TEXT    NOT NULL CHECK (server <> ''),
	port            INTEGER NOT NULL DEFAULT 0 CHECK (port BETWEEN 0 AND 65535), -- 0: the protocol's default
	transport       TEXT    NOT NULL CHECK (transport IN ('udp', 'tcp', 'tls')),
	proxy           TEXT    NOT NULL DEFAULT '',
	display_name    TEXT    NOT NULL DEFAULT '',
	enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
	password        BLOB,                                  -- sealed; NULL: not saved
	tls_fingerprint TEXT    NOT NULL DEFAULT '',           -- pinned server certificate, '' = none
	UNIQUE (kind, user, server),
	CHECK (kind = 'sip' OR transport <> 'udp')
) STRICT;

CREATE TABLE contact_groups (
	id   INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT    NOT NULL UNIQUE CHECK (name <> '')
) STRICT;

CREATE TABLE contacts (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	address      TEXT    NOT NULL CHECK (address <> ''),
	display_name TEXT    NOT NULL DEFAULT '',
	group_id     INTEGER REFERENCES contact_groups (id) ON DELETE SET NULL,
	UNIQUE (account_id, address)
) STRICT;
CREATE INDEX contacts_group ON contacts (group_id);

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

CREATE TABLE history (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	contact    TEXT    NOT NULL,                          -- peer address, in or out of contacts
	time       INTEGER NOT NULL,                          -- Unix milliseconds, UTC
	direction  TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
	kind       TEXT    NOT NULL CHECK (kind IN ('chat', 'call')),
	body       BLOB    NOT NULL                           -- sealed
) STRICT;
CREATE INDEX history_contact ON history (account_id, contact, time);
CREATE INDEX history_time ON history (time);

CREATE TABLE keys (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	kind       TEXT    NOT NULL CHECK (kind <> ''),       -- 'otr-private', 'otr-fingerprint', 'zrtp-cache', ...
	name       TEXT    NOT NULL DEFAULT '',               -- which one of that kind (a peer, a ZID); '' if only one
	blob       BLOB    NOT NULL,                          -- sealed
	UNIQUE (account_id, kind, name)
) STRICT;
`,
	// 2: keys of the device itself rather than of an account: the ZRTP ZID
	// (one per device, RFC 6189) and its cache of retained secrets per peer.
	`
CREATE TABLE device_keys (
	id   INTEGER PRIMARY KEY AUTOINCREMENT,
	kind TEXT    NOT NULL CHECK (kind <> ''),
	name TEXT    NOT NULL DEFAULT '',
	blob BLOB    NOT NULL,                                -- sealed as device_keys/<id>/blob
	UNIQUE (kind, name)
) STRICT;
`,
	// 3: a SIP account may take direct calls from any address; off by
	// default, as the registrar's addresses are the only trusted ones
	// (issue 12).
	`
ALTER TABLE accounts ADD COLUMN accept_any_source INTEGER NOT NULL DEFAULT 0 CHECK (accept_any_source IN (0, 1));
`,
	// 4: the phonebook: people with their SIP addresses and numbers and
	// favourite positions. Everything about a person is personal data, so
	// the whole entry is one sealed value (phonebook/<id>/entry); lookups
	// open the entries, which a phonebook's size bounds (MaxPhonebookEntries).
	`
CREATE TABLE phonebook (
	id    INTEGER PRIMARY KEY AUTOINCREMENT,
	entry BLOB    NOT NULL                                -- sealed JSON: name, addresses, favourite
) STRICT;
`,
}

func (s *Store) migrate(ctx context.Context) error {
	for {
		done, err := s.migrateOne(ctx)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next migration, if any, in one transaction.
func (s *Store) migrateOne(ctx context.Context) (done bool, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		var v int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			return fmt.Errorf("reading schema version: %w", err)
		}
		switch {
		case v > len(migrations):
			return fmt.Errorf("%w: version %d, this firmware knows up to %d", ErrSchemaTooNew, v, len(migrations))
		case v == len(migrations):
			done = true
			return nil
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		// PRAGMA takes no bound parameters; v+1 is our own integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		return nil
	})
	return done, err
}
