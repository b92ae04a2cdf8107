package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Setting names a boolean setting. Values are stored as "0" or "1"; a
// setting never written has its default.
type Setting string

const (
	LogChatHistory          Setting = "log_chat_history"          // default off
	LogCallHistory          Setting = "log_call_history"          // default on
	PacketLogging           Setting = "packet_logging"            // default off
	RequirePrivateMessaging Setting = "require_private_messaging" // default on
	// RequireEndToEndCalls: no audio until ZRTP (end to end) secures the
	// call. RequireEncryptedCalls: no audio in clear, but SDES-SRTP over
	// SIP-TLS (encrypted, not end to end) will do. They replace the one
	// "require_encrypted_calls" of before (legacyRequireEncryptedCalls),
	// which meant the first; migrateSettings carries its value over.
	RequireEndToEndCalls  Setting = "require_e2e_calls"       // default on
	RequireEncryptedCalls Setting = "require_encrypted_media" // default on
	// KeepUnlocked records the user's choice to keep the vault unlocked
	// across reboots. The key file itself is managed by store/vaultfile; set
	// both (see vaultfile.KeepUnlocked).
	KeepUnlocked Setting = "keep_unlocked" // default off
)

// Defaults holds every boolean setting with its default value.
var Defaults = map[Setting]bool{
	LogChatHistory:          false,
	LogCallHistory:          true,
	PacketLogging:           false,
	RequirePrivateMessaging: true,
	RequireEndToEndCalls:    true,
	RequireEncryptedCalls:   true,
	KeepUnlocked:            false,
}

// legacyRequireEncryptedCalls is the setting the two above replace.
const legacyRequireEncryptedCalls = "require_encrypted_calls"

// Replaces lists what a retired setting's value now sets (an old backup
// still names it): require_encrypted_calls becomes both call settings.
func Replaces(name string) []Setting {
	if name == legacyRequireEncryptedCalls {
		return []Setting{RequireEndToEndCalls, RequireEncryptedCalls}
	}
	return nil
}

// Settings is every boolean setting at once, for a settings page.
type Settings struct {
	LogChatHistory          bool
	LogCallHistory          bool
	PacketLogging           bool
	RequirePrivateMessaging bool
	RequireEndToEndCalls    bool
	RequireEncryptedCalls   bool
	KeepUnlocked            bool
}

func (st *Settings) fields() map[Setting]*bool {
	return map[Setting]*bool{
		LogChatHistory:          &st.LogChatHistory,
		LogCallHistory:          &st.LogCallHistory,
		PacketLogging:           &st.PacketLogging,
		RequirePrivateMessaging: &st.RequirePrivateMessaging,
		RequireEndToEndCalls:    &st.RequireEndToEndCalls,
		RequireEncryptedCalls:   &st.RequireEncryptedCalls,
		KeepUnlocked:            &st.KeepUnlocked,
	}
}

// Bool returns one setting, or its default when never set.
func (s *Store) Bool(ctx context.Context, name Setting) (bool, error) {
	return boolSetting(ctx, s.db, name)
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func boolSetting(ctx context.Context, q queryRower, name Setting) (bool, error) {
	def, ok := Defaults[name]
	if !ok {
		return false, fmt.Errorf("%w: unknown setting %q", ErrInvalid, name)
	}
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, string(name)).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return def, nil
	case err != nil:
		return false, sqlErr(err, "setting "+string(name))
	}
	switch v {
	case "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, fmt.Errorf("%w: setting %s holds %q, want 0 or 1", ErrInvalid, name, v)
}

// SetBool sets one setting.
func (s *Store) SetBool(ctx context.Context, name Setting, on bool) error {
	if _, ok := Defaults[name]; !ok {
		return fmt.Errorf("%w: unknown setting %q", ErrInvalid, name)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		return setBool(ctx, tx, name, on)
	})
}

// SetBools writes several switches in one transaction: a form saved at
// once is applied at once, or not at all.
func (s *Store) SetBools(ctx context.Context, values map[Setting]bool) error {
	for name := range values {
		if _, ok := Defaults[name]; !ok {
			return fmt.Errorf("%w: unknown setting %q", ErrInvalid, name)
		}
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		for name, on := range values {
			if err := setBool(ctx, tx, name, on); err != nil {
				return err
			}
		}
		return nil
	})
}

func setBool(ctx context.Context, tx *sql.Tx, name Setting, on bool) error {
	return setValue(ctx, tx, string(name), boolValue(on))
}

// setValue writes one row of the settings table, replacing what was there.
func setValue(ctx context.Context, tx *sql.Tx, key, value string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return sqlErr(err, "setting "+key)
}

// boolValue is how the settings table spells a switch.
func boolValue(on bool) string {
	if on {
		return "1"
	}
	return "0"
}

// Settings returns every boolean setting (defaults for those never set).
func (s *Store) Settings(ctx context.Context) (Settings, error) {
	var st Settings
	for name, p := range st.fields() {
		v, err := s.Bool(ctx, name)
		if err != nil {
			return Settings{}, err
		}
		*p = v
	}
	return st, nil
}

// SaveSettings writes every boolean setting in one transaction.
func (s *Store) SaveSettings(ctx context.Context, st Settings) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		for name, p := range st.fields() {
			if err := setBool(ctx, tx, name, *p); err != nil {
				return err
			}
		}
		return nil
	})
}

// migrateSettings moves the old require_encrypted_calls into the two
// settings that replace it, once: on (ZRTP required) requires end-to-end
// encryption and so any encryption; off requires neither, as before. It
// runs at every open and does nothing once the old key is gone. (A data
// change, not a schema one: it needs no schema version.)
func (s *Store) migrateSettings(ctx context.Context) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var v string
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, legacyRequireEncryptedCalls).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return sqlErr(err, "setting "+legacyRequireEncryptedCalls)
		}
		if v != "0" && v != "1" {
			return fmt.Errorf("%w: setting %s holds %q, want 0 or 1", ErrInvalid, legacyRequireEncryptedCalls, v)
		}
		for _, name := range []Setting{RequireEndToEndCalls, RequireEncryptedCalls} {
			if err := setBool(ctx, tx, name, v == "1"); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, legacyRequireEncryptedCalls)
		return sqlErr(err, "setting "+legacyRequireEncryptedCalls)
	})
}
