package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Key is a sealed secret that a protocol engine keeps: an OTR private key
// of an account, or (AccountID 0) a secret of the device itself such as the
// ZRTP ZID and its retained-secret cache. Kind and Name (clear) say which
// one; Blob is sealed at rest and opaque to the store.
type Key struct {
	ID        int64 // set by the store
	AccountID int64
	Kind      string // for example "otr-private", "zrtp-cache"
	Name      string // which one of that kind (a peer, a ZID); "" when there is one
	Blob      []byte
}

func (k Key) what() string {
	if k.AccountID == 0 {
		return fmt.Sprintf("device key %s/%q", k.Kind, k.Name)
	}
	return fmt.Sprintf("key %s/%q of account %d", k.Kind, k.Name, k.AccountID)
}

// keyPlace is where keys of an account (or of the device, account 0) live:
// the table, and the condition selecting that account's rows.
type keyPlace struct {
	table, owner string
	args         []any
}

func placeOf(accountID int64) keyPlace {
	if accountID == 0 {
		return keyPlace{table: "device_keys", owner: "1 = 1"}
	}
	return keyPlace{table: "keys", owner: "account_id = ?", args: []any{accountID}}
}

func (p keyPlace) ad(id int64) string { return fmt.Sprintf("%s/%d/blob", p.table, id) }

func (p keyPlace) with(args ...any) []any { return append(append([]any(nil), p.args...), args...) }

// PutKey stores a key, replacing the one with the same account, kind and
// name, and returns its id (unchanged on replace).
func (s *Store) PutKey(ctx context.Context, k Key) (int64, error) {
	if k.Kind == "" {
		return 0, fmt.Errorf("%w: key needs a kind", ErrInvalid)
	}
	p := placeOf(k.AccountID)
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM `+p.table+` WHERE `+p.owner+` AND kind = ? AND name = ?`,
			p.with(k.Kind, k.Name)...).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			// Sealing needs the id: insert an empty blob first (same transaction).
			var res sql.Result
			if k.AccountID == 0 {
				res, err = tx.ExecContext(ctx, `INSERT INTO device_keys (kind, name, blob) VALUES (?, ?, x'')`, k.Kind, k.Name)
			} else {
				res, err = tx.ExecContext(ctx, `INSERT INTO keys (account_id, kind, name, blob) VALUES (?, ?, ?, x'')`,
					k.AccountID, k.Kind, k.Name)
			}
			if err != nil {
				return sqlErr(err, k.what())
			}
			id, err = res.LastInsertId()
		}
		if err != nil {
			return sqlErr(err, k.what())
		}
		sealed, err := s.seal(p.ad(id), k.Blob)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE `+p.table+` SET blob = ? WHERE id = ?`, sealed, id)
		return sqlErr(err, k.what())
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// Key returns one key with its blob opened.
func (s *Store) Key(ctx context.Context, accountID int64, kind, name string) (Key, error) {
	k := Key{AccountID: accountID, Kind: kind, Name: name}
	p := placeOf(accountID)
	var sealed []byte
	err := s.db.QueryRowContext(ctx, `SELECT id, blob FROM `+p.table+` WHERE `+p.owner+` AND kind = ? AND name = ?`,
		p.with(kind, name)...).Scan(&k.ID, &sealed)
	if err != nil {
		return Key{}, sqlErr(err, k.what())
	}
	if k.Blob, err = s.open(p.ad(k.ID), sealed); err != nil {
		return Key{}, err
	}
	return k, nil
}

// Keys returns every key of one kind of an account, by name, blobs opened.
func (s *Store) Keys(ctx context.Context, accountID int64, kind string) ([]Key, error) {
	p := placeOf(accountID)
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, blob FROM `+p.table+` WHERE `+p.owner+` AND kind = ? ORDER BY name`,
		p.with(kind)...)
	if err != nil {
		return nil, sqlErr(err, "keys")
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		k := Key{AccountID: accountID, Kind: kind}
		var sealed []byte
		if err := rows.Scan(&k.ID, &k.Name, &sealed); err != nil {
			return nil, sqlErr(err, "keys")
		}
		if k.Blob, err = s.open(p.ad(k.ID), sealed); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, sqlErr(rows.Err(), "keys")
}

// DeleteKey deletes one key.
func (s *Store) DeleteKey(ctx context.Context, accountID int64, kind, name string) error {
	k := Key{AccountID: accountID, Kind: kind, Name: name}
	p := placeOf(accountID)
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM `+p.table+` WHERE `+p.owner+` AND kind = ? AND name = ?`, p.with(kind, name)...)
		return mustAffect(res, err, k.what())
	})
}
