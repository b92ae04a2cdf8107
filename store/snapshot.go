package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Snapshot is what a backup carries, opened: the accounts with their saved
// passwords, contacts and keys (OTR keys and trust), the device's keys (the
// ZRTP ZID and cache), the phonebook and the settings. History is not in it
// (it stays on the old phone), nor keep_unlocked, which belongs to one
// device's key file. It holds secrets in clear: keep it in memory only, and
// Wipe it when done.
type Snapshot struct {
	Accounts   []AccountSnapshot
	Groups     []string // contact group names
	DeviceKeys []Key
	Phonebook  []PhonebookEntry
	Settings   map[Setting]bool
}

// AccountSnapshot is one account with what hangs off it. Ids inside are the
// old phone's; Restore gives new ones.
type AccountSnapshot struct {
	Account  Account
	Password []byte // nil: not saved
	Contacts []ContactSnapshot
	Keys     []Key
}

// ContactSnapshot is a contact with its group by name (group ids are not
// kept across phones).
type ContactSnapshot struct {
	Address, DisplayName, Group string
}

// Wipe overwrites the secrets of the snapshot. Go may have left copies
// elsewhere (docs/SECURITY.md); this clears the ones the snapshot owns.
func (sn *Snapshot) Wipe() {
	zero := func(b []byte) {
		for i := range b {
			b[i] = 0
		}
	}
	for _, a := range sn.Accounts {
		zero(a.Password)
		for _, k := range a.Keys {
			zero(k.Blob)
		}
	}
	for _, k := range sn.DeviceKeys {
		zero(k.Blob)
	}
}

// ErrNotFresh: Restore was asked of a phone that already has accounts or
// a phonebook, which a restore would mix with the backup's.
var ErrNotFresh = errors.New("store: this phone already has accounts or a phonebook; restore a backup only on a freshly set up phone (factory reset first)")

// TakeSnapshot reads everything a backup carries. It needs the vault
// unlocked; every value is opened, so a damaged secret fails the backup
// rather than being left out.
func (s *Store) TakeSnapshot(ctx context.Context) (Snapshot, error) {
	var sn Snapshot
	accs, err := s.Accounts(ctx)
	if err != nil {
		return sn, err
	}
	groups, err := s.Groups(ctx)
	if err != nil {
		return sn, err
	}
	groupName := map[int64]string{}
	for _, g := range groups {
		sn.Groups = append(sn.Groups, g.Name)
		groupName[g.ID] = g.Name
	}
	for _, a := range accs {
		as := AccountSnapshot{Account: a}
		if a.HasPassword {
			if as.Password, err = s.AccountPassword(ctx, a.ID); err != nil {
				return sn, err
			}
		}
		cs, err := s.Contacts(ctx, a.ID)
		if err != nil {
			return sn, err
		}
		for _, c := range cs {
			as.Contacts = append(as.Contacts, ContactSnapshot{c.Address, c.DisplayName, groupName[c.GroupID]})
		}
		if as.Keys, err = s.allKeys(ctx, a.ID); err != nil {
			return sn, err
		}
		sn.Accounts = append(sn.Accounts, as)
	}
	if sn.DeviceKeys, err = s.allKeys(ctx, 0); err != nil {
		return sn, err
	}
	if sn.Phonebook, err = s.Phonebook(ctx); err != nil {
		return sn, err
	}
	sn.Settings = map[Setting]bool{}
	for name := range Defaults {
		if name == KeepUnlocked {
			continue
		}
		if sn.Settings[name], err = s.Bool(ctx, name); err != nil {
			return sn, err
		}
	}
	return sn, nil
}

// allKeys returns every key of an account (0: the device), opened.
func (s *Store) allKeys(ctx context.Context, accountID int64) ([]Key, error) {
	p := placeOf(accountID)
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, name, blob FROM `+p.table+` WHERE `+p.owner+` ORDER BY kind, name`, p.args...)
	if err != nil {
		return nil, sqlErr(err, "keys")
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		k := Key{AccountID: accountID}
		var sealed []byte
		if err := rows.Scan(&k.ID, &k.Kind, &k.Name, &sealed); err != nil {
			return nil, sqlErr(err, "keys")
		}
		if k.Blob, err = s.open(p.ad(k.ID), sealed); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, sqlErr(rows.Err(), "keys")
}

// Restore writes a snapshot into this store in one transaction, sealing
// every secret anew under this phone's vault and rows: all of it, or
// nothing. The phone must be fresh (ErrNotFresh otherwise): no accounts and
// an empty phonebook. Its device keys (the ZRTP ZID a fresh phone may have
// made already) are replaced by the backup's, so peers' caches still match.
func (s *Store) Restore(ctx context.Context, sn Snapshot) error {
	for _, a := range sn.Accounts {
		if err := a.Account.validate(); err != nil {
			return err
		}
	}
	for _, e := range sn.Phonebook {
		if err := e.validate(); err != nil {
			return err
		}
	}
	if err := checkFavourites(sn.Phonebook); err != nil {
		return err
	}
	if len(sn.Phonebook) > MaxPhonebookEntries {
		return fmt.Errorf("%w: %d phonebook entries; at most %d", ErrInvalid, len(sn.Phonebook), MaxPhonebookEntries)
	}
	for name := range sn.Settings {
		if _, ok := Defaults[name]; !ok || name == KeepUnlocked {
			return fmt.Errorf("%w: setting %q cannot be restored", ErrInvalid, name)
		}
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM accounts) + (SELECT count(*) FROM phonebook)`).Scan(&n); err != nil {
			return sqlErr(err, "restore")
		}
		if n > 0 {
			return ErrNotFresh
		}
		groupID := map[string]int64{}
		for _, g := range sn.Groups {
			if g == "" {
				return fmt.Errorf("%w: a contact group without a name", ErrInvalid)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO contact_groups (name) VALUES (?) ON CONFLICT (name) DO NOTHING`, g); err != nil {
				return sqlErr(err, "group "+g)
			}
			var id int64
			if err := tx.QueryRowContext(ctx, `SELECT id FROM contact_groups WHERE name = ?`, g).Scan(&id); err != nil {
				return sqlErr(err, "group "+g)
			}
			groupID[g] = id
		}
		for _, as := range sn.Accounts {
			a := as.Account
			res, err := tx.ExecContext(ctx, `INSERT INTO accounts
				(kind, user, server, port, transport, proxy, display_name, enabled, tls_fingerprint)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				a.Kind, a.User, a.Server, a.Port, a.Transport, a.Proxy, a.DisplayName, a.Enabled, a.TLSFingerprint)
			if err != nil {
				return sqlErr(err, a.what())
			}
			id, err := res.LastInsertId()
			if err != nil {
				return sqlErr(err, a.what())
			}
			if as.Password != nil {
				if err := s.setPassword(ctx, tx, id, as.Password); err != nil {
					return err
				}
			}
			for _, c := range as.Contacts {
				if c.Address == "" {
					return fmt.Errorf("%w: a contact of %s without an address", ErrInvalid, a.what())
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO contacts (account_id, address, display_name, group_id) VALUES (?, ?, ?, ?)`,
					id, c.Address, c.DisplayName, nullID(groupID[c.Group])); err != nil {
					return sqlErr(err, "contact "+c.Address)
				}
			}
			for _, k := range as.Keys {
				k.AccountID = id
				if err := s.insertKey(ctx, tx, k); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM device_keys`); err != nil {
			return sqlErr(err, "device keys")
		}
		for _, k := range sn.DeviceKeys {
			k.AccountID = 0
			if err := s.insertKey(ctx, tx, k); err != nil {
				return err
			}
		}
		for _, e := range sn.Phonebook {
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
		}
		for name, on := range sn.Settings {
			if err := setBool(ctx, tx, name, on); err != nil {
				return err
			}
		}
		return nil
	})
}

// insertKey adds a new key row and seals its blob under the new row's id.
func (s *Store) insertKey(ctx context.Context, tx *sql.Tx, k Key) error {
	if k.Kind == "" {
		return fmt.Errorf("%w: key needs a kind", ErrInvalid)
	}
	p := placeOf(k.AccountID)
	var res sql.Result
	var err error
	if k.AccountID == 0 {
		res, err = tx.ExecContext(ctx, `INSERT INTO device_keys (kind, name, blob) VALUES (?, ?, x'')`, k.Kind, k.Name)
	} else {
		res, err = tx.ExecContext(ctx, `INSERT INTO keys (account_id, kind, name, blob) VALUES (?, ?, ?, x'')`, k.AccountID, k.Kind, k.Name)
	}
	if err != nil {
		return sqlErr(err, k.what())
	}
	id, err := res.LastInsertId()
	if err != nil {
		return sqlErr(err, k.what())
	}
	sealed, err := s.seal(p.ad(id), k.Blob)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE `+p.table+` SET blob = ? WHERE id = ?`, sealed, id)
	return sqlErr(err, k.what())
}
