package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/padlock-phone/padlock/crypto/vault"
)

// The old require_encrypted_calls becomes the two settings that replace
// it, once: on requires ZRTP (and so encryption), off neither; never set
// leaves the defaults; a later change to the new ones survives reopening.
func TestMigrateRequireEncryptedCalls(t *testing.T) {
	ctx := context.Background()
	v, err := vault.Create([]byte("pw"), vault.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		old      string // "" leaves it unset
		e2e, enc bool
	}{
		{"never set", "", true, true},
		{"was on", "1", true, true},
		{"was off", "0", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "padlock.db")
			s, err := Open(ctx, path, v)
			if err != nil {
				t.Fatal(err)
			}
			if tc.old != "" {
				// As an older firmware left it.
				if _, err := s.db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)`, legacyRequireEncryptedCalls, tc.old); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			if s, err = Open(ctx, path, v); err != nil {
				t.Fatal(err)
			}
			st, err := s.Settings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.RequireEndToEndCalls != tc.e2e || st.RequireEncryptedCalls != tc.enc {
				t.Errorf("after migration: end to end %v, encryption %v; want %v, %v", st.RequireEndToEndCalls, st.RequireEncryptedCalls, tc.e2e, tc.enc)
			}
			var n int
			s.db.QueryRowContext(ctx, `SELECT count(*) FROM settings WHERE key = ?`, legacyRequireEncryptedCalls).Scan(&n)
			if n != 0 {
				t.Error("the old setting is still stored")
			}
			// The person turns end-to-end off; reopening keeps that.
			if err := s.SetBool(ctx, RequireEndToEndCalls, !tc.e2e); err != nil {
				t.Fatal(err)
			}
			s.Close()
			if s, err = Open(ctx, path, v); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if on, _ := s.Bool(ctx, RequireEndToEndCalls); on != !tc.e2e {
				t.Errorf("reopening changed require_e2e_calls back to %v", on)
			}
		})
	}
}
