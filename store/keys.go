package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Key is a sealed secret of an account that a protocol engine keeps: an OTR
// private key, a ZRTP retained-secret cache entry. Kind and Name (clear)
// say which one; Blob is sealed at rest and opaque to the store.
type Key struct {
	ID        int64 // set by the store
	AccountID int64
	Kind      string // for example "otr-private", "zrtp-cache"
	Name      string // which one of that kind (a peer, a ZID); "" when there is one
	Blob      []byte
}

func (k Key) what() string {
	return fmt.Sprintf("key %s/%q of account %d", k.Kind, k.Name, k.AccountID)
}

func keyAD(id int64) string { return fmt.Sprintf("keys/%d/blob", id) }

// PutKey stores a key, replacing the one with the same account, kind and
// name, and returns its id (unchanged on replace).
func (s *Store) PutKey(ctx context.Context, k Key) (int64, error) {
	if k.Kind == "" {
		return 0, fmt.Errorf("%w: key needs a kind", ErrInvalid)
	}
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM keys WHERE account_id = ? AND kind = ? AND name = ?`,
			k.AccountID, k.Kind, k.Name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			// Sealing needs the id: insert an empty blob first (same transaction).
			var res sql.Result
			res, err = tx.ExecContext(ctx, `INSERT INTO keys (account_id, kind, name, blob) VALUES (?, ?, ?, x'')`,
				k.AccountID, k.Kind, k.Name)
			if err != nil {
				return sqlErr(err, k.what())
			}
			id, err = res.LastInsertId()
		}
		if err != nil {
			return sqlErr(err, k.what())
		}
		sealed, err := s.seal(keyAD(id), k.Blob)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE keys SET blob = ? WHERE id = ?`, sealed, id)
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
	var sealed []byte
	err := s.db.QueryRowContext(ctx, `SELECT id, blob FROM keys WHERE account_id = ? AND kind = ? AND name = ?`,
		accountID, kind, name).Scan(&k.ID, &sealed)
	if err != nil {
		return Key{}, sqlErr(err, k.what())
	}
	if k.Blob, err = s.open(keyAD(k.ID), sealed); err != nil {
		return Key{}, err
	}
	return k, nil
}

// Keys returns every key of one kind of an account, by name, blobs opened.
func (s *Store) Keys(ctx context.Context, accountID int64, kind string) ([]Key, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, blob FROM keys WHERE account_id = ? AND kind = ? ORDER BY name`,
		accountID, kind)
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
		if k.Blob, err = s.open(keyAD(k.ID), sealed); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, sqlErr(rows.Err(), "keys")
}

// DeleteKey deletes one key.
func (s *Store) DeleteKey(ctx context.Context, accountID int64, kind, name string) error {
	k := Key{AccountID: accountID, Kind: kind, Name: name}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM keys WHERE account_id = ? AND kind = ? AND name = ?`, accountID, kind, name)
		return mustAffect(res, err, k.what())
	})
}
