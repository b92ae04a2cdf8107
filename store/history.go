package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Direction says who started a message or call.
type Direction string

const (
	In  Direction = "in"
	Out Direction = "out"
)

// HistoryKind is chat or call.
type HistoryKind string

const (
	Chat HistoryKind = "chat"
	Call HistoryKind = "call"
)

// HistoryEntry is one logged message or call. Body is sealed at rest: the
// message text, or for a call whatever summary the caller keeps (duration,
// outcome). AccountID, Contact, Time, Direction and Kind are stored in clear.
type HistoryEntry struct {
	ID        int64 // set by the store
	AccountID int64
	Contact   string    // peer address
	Time      time.Time // stored to the millisecond, read back in UTC
	Direction Direction
	Kind      HistoryKind
	Body      []byte
}

func bodyAD(id int64) string { return fmt.Sprintf("history/%d/body", id) }

// HistoryLimits is the retention cap of the history: per kind at most so
// many entries, none older than MaxAge. AddHistory drops what falls outside
// in the same transaction as the insert, oldest first, so a flood of calls
// (issue 12: 20,000 INVITEs wrote 19,939 rows) cannot fill the SD card.
// Zero fields mean no limit of that sort.
type HistoryLimits struct {
	MaxCalls int
	MaxChats int
	MaxAge   time.Duration
	Now      func() time.Time // the clock MaxAge is measured on; time.Now if nil
}

// DefaultHistoryLimits: a thousand calls, ten thousand messages, a year.
var DefaultHistoryLimits = HistoryLimits{MaxCalls: 1000, MaxChats: 10000, MaxAge: 365 * 24 * time.Hour}

// SetHistoryLimits changes the retention cap; it applies from the next
// write on.
func (s *Store) SetHistoryLimits(l HistoryLimits) {
	s.mu.Lock()
	s.limits = l
	s.mu.Unlock()
}

// trimHistory drops entries of kind beyond the limits; in tx.
func (s *Store) trimHistory(ctx context.Context, tx *sql.Tx, kind HistoryKind) error {
	s.mu.RLock()
	l := s.limits
	s.mu.RUnlock()
	max := l.MaxChats
	if kind == Call {
		max = l.MaxCalls
	}
	if max > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM history WHERE id IN
			(SELECT id FROM history WHERE kind = ? ORDER BY time DESC, id DESC LIMIT -1 OFFSET ?)`, kind, max); err != nil {
			return sqlErr(err, "trimming history")
		}
	}
	if l.MaxAge > 0 {
		now := time.Now
		if l.Now != nil {
			now = l.Now
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM history WHERE kind = ? AND time < ?`, kind, now().Add(-l.MaxAge).UnixMilli()); err != nil {
			return sqlErr(err, "trimming history")
		}
	}
	return nil
}

// UpdateHistoryBody replaces the sealed body of entry id (a burst of
// missed calls from one caller is one entry whose count grows). It checks
// the logging setting like AddHistory.
func (s *Store) UpdateHistoryBody(ctx context.Context, id int64, kind HistoryKind, body []byte) error {
	setting := LogChatHistory
	if kind == Call {
		setting = LogCallHistory
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		on, err := boolSetting(ctx, tx, setting)
		if err != nil {
			return err
		}
		if !on {
			return fmt.Errorf("%w: %s is off", ErrHistoryOff, setting)
		}
		sealed, err := s.seal(bodyAD(id), body)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE history SET body = ? WHERE id = ? AND kind = ?`, sealed, id, kind)
		return mustAffect(res, err, fmt.Sprintf("history %d", id))
	})
}

// AddHistory logs an entry and returns its id. It checks the logging
// setting (log_chat_history, log_call_history) in the same transaction and
// returns ErrHistoryOff, writing nothing, when that kind is not logged: the
// setting holds even if a caller forgets to check it.
func (s *Store) AddHistory(ctx context.Context, e HistoryEntry) (int64, error) {
	setting := LogChatHistory
	switch {
	case e.Kind == Call:
		setting = LogCallHistory
	case e.Kind != Chat:
		return 0, fmt.Errorf("%w: history kind %q (want chat or call)", ErrInvalid, e.Kind)
	}
	if e.Direction != In && e.Direction != Out {
		return 0, fmt.Errorf("%w: direction %q (want in or out)", ErrInvalid, e.Direction)
	}
	what := fmt.Sprintf("history of account %d with %s", e.AccountID, e.Contact)
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		on, err := boolSetting(ctx, tx, setting)
		if err != nil {
			return err
		}
		if !on {
			return fmt.Errorf("%w: %s is off", ErrHistoryOff, setting)
		}
		// The body is sealed with the new row's id, which exists only after
		// the insert: insert an empty body, then fill it, in one transaction.
		res, err := tx.ExecContext(ctx, `INSERT INTO history (account_id, contact, time, direction, kind, body)
			VALUES (?, ?, ?, ?, ?, x'')`, e.AccountID, e.Contact, e.Time.UnixMilli(), e.Direction, e.Kind)
		if err != nil {
			return sqlErr(err, what)
		}
		if id, err = res.LastInsertId(); err != nil {
			return sqlErr(err, what)
		}
		sealed, err := s.seal(bodyAD(id), e.Body)
		if err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `UPDATE history SET body = ? WHERE id = ?`, sealed, id); err != nil {
			return sqlErr(err, what)
		}
		return s.trimHistory(ctx, tx, e.Kind)
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// HistoryFilter selects history entries. Zero values select everything.
type HistoryFilter struct {
	AccountID int64       // 0: all accounts
	Contact   string      // "": all contacts
	Kind      HistoryKind // "": chat and call
	Limit     int         // 0: no limit
	Offset    int         // skip this many of the newest first (paging)
}

// History returns matching entries, newest first, with their bodies opened.
// While the vault is locked it returns the Sealer's error (vault.ErrLocked).
func (s *Store) History(ctx context.Context, f HistoryFilter) ([]HistoryEntry, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, account_id, contact, time, direction, kind, body FROM history
		WHERE (?1 = 0 OR account_id = ?1) AND (?2 = '' OR contact = ?2) AND (?3 = '' OR kind = ?3)
		ORDER BY time DESC, id DESC LIMIT ?4 OFFSET ?5`, f.AccountID, f.Contact, string(f.Kind), limit, max(f.Offset, 0))
	if err != nil {
		return nil, sqlErr(err, "history")
	}
	defer rows.Close()
	var out []HistoryEntry
	for rows.Next() {
		var e HistoryEntry
		var ms int64
		var sealed []byte
		if err := rows.Scan(&e.ID, &e.AccountID, &e.Contact, &ms, &e.Direction, &e.Kind, &sealed); err != nil {
			return nil, sqlErr(err, "history")
		}
		e.Time = time.UnixMilli(ms).UTC()
		if e.Body, err = s.open(bodyAD(e.ID), sealed); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, sqlErr(rows.Err(), "history")
}

// PurgeHistory deletes all history and returns how many entries went.
func (s *Store) PurgeHistory(ctx context.Context) (int64, error) {
	return s.purge(ctx, `DELETE FROM history`)
}

// PurgeContactHistory deletes the history of one account with one contact.
func (s *Store) PurgeContactHistory(ctx context.Context, accountID int64, contact string) (int64, error) {
	return s.purge(ctx, `DELETE FROM history WHERE account_id = ? AND contact = ?`, accountID, contact)
}

func (s *Store) purge(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return sqlErr(err, "purging history")
		}
		n, err = res.RowsAffected()
		return sqlErr(err, "purging history")
	})
	if err != nil {
		return 0, err
	}
	// secure_delete zeroed the rows in the pages written to the WAL; a
	// checkpoint moves those pages into the database and truncates the WAL,
	// so older copies of the pages do not linger there. Best effort: a busy
	// reader only delays it to the next automatic checkpoint.
	s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return n, nil
}
