package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Contact is a peer of one account (a SIP URI user@host or an XMPP JID).
type Contact struct {
	ID          int64 // set by the store
	AccountID   int64
	Address     string
	DisplayName string
	GroupID     int64 // 0: in no group
}

func (c Contact) what() string {
	return fmt.Sprintf("contact %s of account %d", c.Address, c.AccountID)
}

// Group is a named group of contacts, shared by all accounts.
type Group struct {
	ID   int64 // set by the store
	Name string
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// AddContact adds a contact and returns its id. The account (and group, if
// not 0) must exist (else ErrNotFound); the address must be new for that
// account (else ErrDuplicate).
func (s *Store) AddContact(ctx context.Context, c Contact) (int64, error) {
	if c.Address == "" {
		return 0, fmt.Errorf("%w: contact needs an address", ErrInvalid)
	}
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO contacts (account_id, address, display_name, group_id) VALUES (?, ?, ?, ?)`,
			c.AccountID, c.Address, c.DisplayName, nullID(c.GroupID))
		if err != nil {
			return sqlErr(err, c.what())
		}
		id, err = res.LastInsertId()
		return sqlErr(err, c.what())
	})
	return id, err
}

// UpdateContact replaces the address, display name and group of contact c.ID
// (its account stays).
func (s *Store) UpdateContact(ctx context.Context, c Contact) error {
	if c.Address == "" {
		return fmt.Errorf("%w: contact needs an address", ErrInvalid)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE contacts SET address = ?, display_name = ?, group_id = ? WHERE id = ?`,
			c.Address, c.DisplayName, nullID(c.GroupID), c.ID)
		return mustAffect(res, err, fmt.Sprintf("contact %d", c.ID))
	})
}

// DeleteContact deletes a contact. Its history stays until purged
// (PurgeContactHistory), since history is kept by address.
func (s *Store) DeleteContact(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM contacts WHERE id = ?`, id)
		return mustAffect(res, err, fmt.Sprintf("contact %d", id))
	})
}

const contactColumns = `id, account_id, address, display_name, coalesce(group_id, 0)`

func scanContact(sc interface{ Scan(...any) error }) (Contact, error) {
	var c Contact
	err := sc.Scan(&c.ID, &c.AccountID, &c.Address, &c.DisplayName, &c.GroupID)
	return c, err
}

// Contact returns one contact.
func (s *Store) Contact(ctx context.Context, id int64) (Contact, error) {
	c, err := scanContact(s.db.QueryRowContext(ctx, `SELECT `+contactColumns+` FROM contacts WHERE id = ?`, id))
	if err != nil {
		return Contact{}, sqlErr(err, fmt.Sprintf("contact %d", id))
	}
	return c, nil
}

// Contacts returns the contacts of one account, or of all accounts when
// accountID is 0, ordered by account and address.
func (s *Store) Contacts(ctx context.Context, accountID int64) ([]Contact, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+contactColumns+` FROM contacts
		WHERE ?1 = 0 OR account_id = ?1 ORDER BY account_id, address`, accountID)
	if err != nil {
		return nil, sqlErr(err, "contacts")
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, sqlErr(err, "contacts")
		}
		out = append(out, c)
	}
	return out, sqlErr(rows.Err(), "contacts")
}

// AddGroup adds a group and returns its id (ErrDuplicate if the name is taken).
func (s *Store) AddGroup(ctx context.Context, name string) (int64, error) {
	if name == "" {
		return 0, fmt.Errorf("%w: group needs a name", ErrInvalid)
	}
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO contact_groups (name) VALUES (?)`, name)
		if err != nil {
			return sqlErr(err, "group "+name)
		}
		id, err = res.LastInsertId()
		return sqlErr(err, "group "+name)
	})
	return id, err
}

// RenameGroup renames a group.
func (s *Store) RenameGroup(ctx context.Context, id int64, name string) error {
	if name == "" {
		return fmt.Errorf("%w: group needs a name", ErrInvalid)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE contact_groups SET name = ? WHERE id = ?`, name, id)
		return mustAffect(res, err, "group "+name)
	})
}

// DeleteGroup deletes a group; its contacts stay, in no group.
func (s *Store) DeleteGroup(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM contact_groups WHERE id = ?`, id)
		return mustAffect(res, err, fmt.Sprintf("group %d", id))
	})
}

// Groups returns every group, by name.
func (s *Store) Groups(ctx context.Context) ([]Group, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name FROM contact_groups ORDER BY name`)
	if err != nil {
		return nil, sqlErr(err, "groups")
	}
	defer rows.Close()
	var out []Group
	for rows.Next() {
		var g Group
		if err := rows.Scan(&g.ID, &g.Name); err != nil {
			return nil, sqlErr(err, "groups")
		}
		out = append(out, g)
	}
	return out, sqlErr(rows.Err(), "groups")
}
