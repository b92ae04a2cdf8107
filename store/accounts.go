package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Kind is the protocol of an account.
type Kind string

const (
	SIP  Kind = "sip"
	XMPP Kind = "xmpp"
)

// Transport is how an account reaches its server. XMPP accounts use tcp
// (StartTLS) or tls (direct TLS); udp is for SIP only.
type Transport string

const (
	UDP Transport = "udp"
	TCP Transport = "tcp"
	TLS Transport = "tls"
)

// Account is one SIP or XMPP account. Its password is not a field: it is
// sealed, and read and written with AccountPassword and SetAccountPassword.
type Account struct {
	ID             int64 // set by the store
	Kind           Kind
	User           string // SIP user or XMPP localpart
	Server         string // SIP domain or XMPP domain
	Port           int    // 0: the protocol's default
	Transport      Transport
	Proxy          string // SIP outbound proxy or XMPP connect host; "" = none
	DisplayName    string
	Enabled        bool
	TLSFingerprint string // pinned server certificate fingerprint; "" = none
	// AcceptAnySource (SIP): take direct calls from any address, not only
	// from the registrar and proxy. Off by default.
	AcceptAnySource bool
	HasPassword     bool // read only: a password is saved (the column is not NULL)
}

// Address is user@server, for messages.
func (a Account) Address() string { return a.User + "@" + a.Server }

func (a Account) what() string { return fmt.Sprintf("account %s %s", a.Kind, a.Address()) }

func (a Account) validate() error {
	switch {
	case a.Kind != SIP && a.Kind != XMPP:
		return fmt.Errorf("%w: account kind %q (want sip or xmpp)", ErrInvalid, a.Kind)
	case a.Transport != UDP && a.Transport != TCP && a.Transport != TLS:
		return fmt.Errorf("%w: transport %q (want udp, tcp or tls)", ErrInvalid, a.Transport)
	case a.Kind == XMPP && a.Transport == UDP:
		return fmt.Errorf("%w: XMPP does not run over udp", ErrInvalid)
	case a.User == "" || a.Server == "":
		return fmt.Errorf("%w: account needs a user and a server", ErrInvalid)
	case a.Port < 0 || a.Port > 65535:
		return fmt.Errorf("%w: port %d", ErrInvalid, a.Port)
	}
	return nil
}

func passwordAD(id int64) string { return fmt.Sprintf("accounts/%d/password", id) }

// CreateAccount adds an account and returns its id. password may be nil (not
// saved); otherwise it is sealed in the same transaction, so a locked vault
// means nothing is written.
func (s *Store) CreateAccount(ctx context.Context, a Account, password []byte) (int64, error) {
	if err := a.validate(); err != nil {
		return 0, err
	}
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO accounts
			(kind, user, server, port, transport, proxy, display_name, enabled, tls_fingerprint, accept_any_source)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.Kind, a.User, a.Server, a.Port, a.Transport, a.Proxy, a.DisplayName, a.Enabled, a.TLSFingerprint, a.AcceptAnySource)
		if err != nil {
			return sqlErr(err, a.what())
		}
		if id, err = res.LastInsertId(); err != nil {
			return sqlErr(err, a.what())
		}
		if password != nil {
			return s.setPassword(ctx, tx, id, password)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// UpdateAccount replaces every field of account a.ID except the password.
func (s *Store) UpdateAccount(ctx context.Context, a Account) error {
	return s.EditAccount(ctx, a, PasswordChange{})
}

// PasswordChange is what an account edit does to the saved password.
type PasswordChange struct {
	Change   bool   // false: leave the password as it is
	Password []byte // with Change: the new password to seal, or nil for "not saved"
}

// EditAccount replaces every field of account a.ID and, as pw says, its
// saved password, in one transaction: a power cut leaves the old account
// or the new one, never half of the edit (issue 12).
func (s *Store) EditAccount(ctx context.Context, a Account, pw PasswordChange) error {
	if err := a.validate(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET
			kind = ?, user = ?, server = ?, port = ?, transport = ?, proxy = ?,
			display_name = ?, enabled = ?, tls_fingerprint = ?, accept_any_source = ?
			WHERE id = ?`,
			a.Kind, a.User, a.Server, a.Port, a.Transport, a.Proxy, a.DisplayName, a.Enabled, a.TLSFingerprint, a.AcceptAnySource, a.ID)
		if err := mustAffect(res, err, a.what()); err != nil || !pw.Change {
			return err
		}
		if pw.Password == nil {
			res, err := tx.ExecContext(ctx, `UPDATE accounts SET password = NULL WHERE id = ?`, a.ID)
			return mustAffect(res, err, a.what())
		}
		return s.setPassword(ctx, tx, a.ID, pw.Password)
	})
}

// DeleteAccount deletes an account with its contacts, history and keys.
func (s *Store) DeleteAccount(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE id = ?`, id)
		return mustAffect(res, err, fmt.Sprintf("account %d", id))
	})
}

const accountColumns = `id, kind, user, server, port, transport, proxy, display_name, enabled, tls_fingerprint, accept_any_source, password IS NOT NULL`

func scanAccount(sc interface{ Scan(...any) error }) (Account, error) {
	var a Account
	err := sc.Scan(&a.ID, &a.Kind, &a.User, &a.Server, &a.Port, &a.Transport, &a.Proxy, &a.DisplayName, &a.Enabled, &a.TLSFingerprint, &a.AcceptAnySource, &a.HasPassword)
	return a, err
}

// Account returns one account.
func (s *Store) Account(ctx context.Context, id int64) (Account, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	if err != nil {
		return Account{}, sqlErr(err, fmt.Sprintf("account %d", id))
	}
	return a, nil
}

// Accounts returns every account, oldest first.
func (s *Store) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY id`)
	if err != nil {
		return nil, sqlErr(err, "accounts")
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, sqlErr(err, "accounts")
		}
		out = append(out, a)
	}
	return out, sqlErr(rows.Err(), "accounts")
}

// SetAccountPassword seals and saves an account's password; nil forgets it
// (NULL: "not saved"), which works even while the vault is locked.
func (s *Store) SetAccountPassword(ctx context.Context, id int64, password []byte) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if password == nil {
			res, err := tx.ExecContext(ctx, `UPDATE accounts SET password = NULL WHERE id = ?`, id)
			return mustAffect(res, err, fmt.Sprintf("account %d", id))
		}
		return s.setPassword(ctx, tx, id, password)
	})
}

func (s *Store) setPassword(ctx context.Context, tx *sql.Tx, id int64, password []byte) error {
	sealed, err := s.seal(passwordAD(id), password)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE accounts SET password = ? WHERE id = ?`, sealed, id)
	return mustAffect(res, err, fmt.Sprintf("account %d", id))
}

// AccountPassword returns an account's password, ErrNoPassword if none is
// saved, or the Sealer's error (vault.ErrLocked) if it cannot be opened.
func (s *Store) AccountPassword(ctx context.Context, id int64) ([]byte, error) {
	var sealed []byte
	err := s.db.QueryRowContext(ctx, `SELECT password FROM accounts WHERE id = ?`, id).Scan(&sealed)
	if err != nil {
		return nil, sqlErr(err, fmt.Sprintf("account %d", id))
	}
	if sealed == nil {
		return nil, fmt.Errorf("%w: account %d", ErrNoPassword, id)
	}
	return s.open(passwordAD(id), sealed)
}
