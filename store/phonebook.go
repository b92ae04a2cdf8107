package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Bounds of the phonebook. They keep every lookup (which opens every sealed
// entry) and every import cheap on a small board.
const (
	MaxPhonebookEntries = 2000
	MaxEntryAddresses   = 16
	MaxNameLen          = 200 // bytes
	MaxAddressLen       = 256 // bytes, like the dial box
	MaxFavourite        = 99
)

// PhonebookEntry is one person of the phonebook. All of it is sealed at rest.
type PhonebookEntry struct {
	ID        int64    `json:"-"` // set by the store
	Name      string   `json:"name"`
	Addresses []string `json:"addresses"` // SIP addresses (user@host) or numbers, as typed
	Favourite int      `json:"favourite"` // position among the favourites, 1..MaxFavourite; 0: not one
}

func entryAD(id int64) string { return fmt.Sprintf("phonebook/%d/entry", id) }

func (e PhonebookEntry) validate() error {
	switch {
	case strings.TrimSpace(e.Name) == "":
		return fmt.Errorf("%w: a phonebook entry needs a name", ErrInvalid)
	case len(e.Name) > MaxNameLen || !utf8.ValidString(e.Name) || strings.ContainsAny(e.Name, "\x00\r\n"):
		return fmt.Errorf("%w: name %.40q: at most %d bytes of text on one line", ErrInvalid, e.Name, MaxNameLen)
	case len(e.Addresses) == 0:
		return fmt.Errorf("%w: %s needs at least one number or SIP address", ErrInvalid, e.Name)
	case len(e.Addresses) > MaxEntryAddresses:
		return fmt.Errorf("%w: %s has %d addresses; at most %d", ErrInvalid, e.Name, len(e.Addresses), MaxEntryAddresses)
	case e.Favourite < 0 || e.Favourite > MaxFavourite:
		return fmt.Errorf("%w: favourite position %d (want 1..%d, or none)", ErrInvalid, e.Favourite, MaxFavourite)
	}
	for _, a := range e.Addresses {
		if a == "" || len(a) > MaxAddressLen || !utf8.ValidString(a) || strings.ContainsAny(a, "\x00\r\n\t") || strings.TrimSpace(a) != a {
			return fmt.Errorf("%w: address %.40q of %s: at most %d bytes on one line", ErrInvalid, a, e.Name, MaxAddressLen)
		}
	}
	return nil
}

// AddPhonebookEntry adds a person and returns the id.
func (s *Store) AddPhonebookEntry(ctx context.Context, e PhonebookEntry) (int64, error) {
	ids, err := s.AddPhonebookEntries(ctx, []PhonebookEntry{e})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// AddPhonebookEntries adds several people in one transaction (an import):
// all of them, or none when one is invalid, a favourite position is taken,
// or the phonebook would grow past MaxPhonebookEntries.
func (s *Store) AddPhonebookEntries(ctx context.Context, es []PhonebookEntry) ([]int64, error) {
	for _, e := range es {
		if err := e.validate(); err != nil {
			return nil, err
		}
	}
	var ids []int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		have, err := s.phonebook(ctx, tx)
		if err != nil {
			return err
		}
		if len(have)+len(es) > MaxPhonebookEntries {
			return fmt.Errorf("%w: the phonebook holds at most %d people (%d now, %d more asked)", ErrInvalid, MaxPhonebookEntries, len(have), len(es))
		}
		if err := checkFavourites(append(have, es...)); err != nil {
			return err
		}
		for _, e := range es {
			// Sealing needs the id: insert an empty entry first (same transaction).
			res, err := tx.ExecContext(ctx, `INSERT INTO phonebook (entry) VALUES (x'')`)
			if err != nil {
				return sqlErr(err, "phonebook entry "+e.Name)
			}
			id, err := res.LastInsertId()
			if err != nil {
				return sqlErr(err, "phonebook entry "+e.Name)
			}
			if err := s.putEntry(ctx, tx, id, e); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// UpdatePhonebookEntry replaces entry e.ID.
func (s *Store) UpdatePhonebookEntry(ctx context.Context, e PhonebookEntry) error {
	if err := e.validate(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		have, err := s.phonebook(ctx, tx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(have, func(h PhonebookEntry) bool { return h.ID == e.ID })
		if i < 0 {
			return fmt.Errorf("%w: phonebook entry %d", ErrNotFound, e.ID)
		}
		have[i] = e
		if err := checkFavourites(have); err != nil {
			return err
		}
		return s.putEntry(ctx, tx, e.ID, e)
	})
}

// DeletePhonebookEntry deletes one person.
func (s *Store) DeletePhonebookEntry(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM phonebook WHERE id = ?`, id)
		return mustAffect(res, err, fmt.Sprintf("phonebook entry %d", id))
	})
}

// Phonebook returns every person, by name, opened. While the vault is
// locked it returns the Sealer's error (vault.ErrLocked).
func (s *Store) Phonebook(ctx context.Context) ([]PhonebookEntry, error) {
	es, err := s.phonebook(ctx, s.db)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(es, func(a, b PhonebookEntry) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return es, nil
}

// PhonebookEntry returns one person.
func (s *Store) PhonebookEntry(ctx context.Context, id int64) (PhonebookEntry, error) {
	var sealed []byte
	if err := s.db.QueryRowContext(ctx, `SELECT entry FROM phonebook WHERE id = ?`, id).Scan(&sealed); err != nil {
		return PhonebookEntry{}, sqlErr(err, fmt.Sprintf("phonebook entry %d", id))
	}
	return s.openEntry(id, sealed)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) phonebook(ctx context.Context, q querier) ([]PhonebookEntry, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, entry FROM phonebook ORDER BY id`)
	if err != nil {
		return nil, sqlErr(err, "phonebook")
	}
	defer rows.Close()
	var out []PhonebookEntry
	for rows.Next() {
		var id int64
		var sealed []byte
		if err := rows.Scan(&id, &sealed); err != nil {
			return nil, sqlErr(err, "phonebook")
		}
		e, err := s.openEntry(id, sealed)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, sqlErr(rows.Err(), "phonebook")
}

func (s *Store) openEntry(id int64, sealed []byte) (PhonebookEntry, error) {
	b, err := s.open(entryAD(id), sealed)
	if err != nil {
		return PhonebookEntry{}, err
	}
	var e PhonebookEntry
	if err := json.Unmarshal(b, &e); err != nil {
		return PhonebookEntry{}, fmt.Errorf("store: phonebook entry %d does not decode: %w", id, err)
	}
	e.ID = id
	return e, nil
}

func (s *Store) putEntry(ctx context.Context, tx *sql.Tx, id int64, e PhonebookEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("store: phonebook entry %s: %w", e.Name, err)
	}
	sealed, err := s.seal(entryAD(id), b)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE phonebook SET entry = ? WHERE id = ?`, sealed, id)
	return mustAffect(res, err, "phonebook entry "+e.Name)
}

// checkFavourites refuses two people at one favourite position.
func checkFavourites(es []PhonebookEntry) error {
	at := map[int]string{}
	for _, e := range es {
		if e.Favourite == 0 {
			continue
		}
		if other, ok := at[e.Favourite]; ok {
			return fmt.Errorf("%w: favourite %d is both %s and %s; choose another position", ErrDuplicate, e.Favourite, other, e.Name)
		}
		at[e.Favourite] = e.Name
	}
	return nil
}
