package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/crypto/vault"
)

func TestDeskKeptAndSealed(t *testing.T) {
	ctx := context.Background()
	s, v := newTestStore(t)
	if d, err := s.Desk(ctx); err != nil || d != DefaultDesk {
		t.Fatalf("never set: %+v, %v; want %+v", d, err, DefaultDesk)
	}
	want := Desk{Volume: 60, Mic: 0, DoNotDisturb: true, ForwardTo: "sip:carol@example.org"}
	if err := s.SaveDesk(ctx, want); err != nil {
		t.Fatal(err)
	}
	if d, err := s.Desk(ctx); err != nil || d != want {
		t.Fatalf("saved %+v, read %+v, %v", want, d, err)
	}
	var raw string
	s.db.QueryRow(`SELECT value FROM settings WHERE key = ?`, deskForward).Scan(&raw)
	if raw == "" || strings.Contains(raw, "carol") {
		t.Fatalf("forward target stored as %q, want it sealed", raw)
	}

	// A button toggles the switch alone, with the vault locked: the rest,
	// the sealed target included, stays.
	v.Lock()
	if err := s.SetDoNotDisturb(ctx, false); err != nil {
		t.Fatal(err)
	}
	d, err := s.Desk(ctx)
	if !errors.Is(err, vault.ErrLocked) {
		t.Fatalf("locked: err = %v, want ErrLocked (the target is sealed)", err)
	}
	if d.Volume != 60 || d.Mic != 0 || d.DoNotDisturb || d.ForwardTo != "" {
		t.Fatalf("locked: %+v, want the levels, do-not-disturb off and no target", d)
	}
	if err := s.SaveDesk(ctx, want); !errors.Is(err, vault.ErrLocked) {
		t.Fatalf("saving a target while locked: %v, want ErrLocked", err)
	}
}

func TestDeskRefuses(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	for _, d := range []Desk{
		{Volume: MinDeskVolume - 1, Mic: 100},
		{Volume: MaxDeskLevel + 1, Mic: 100},
		{Volume: 100, Mic: -1},
		{Volume: 100, Mic: MaxDeskLevel + 1},
		{Volume: 100, Mic: 100, ForwardTo: "sip:a@b\r\nVia: x"},
		{Volume: 100, Mic: 100, ForwardTo: " sip:a@b"},
		{Volume: 100, Mic: 100, ForwardTo: "<sip:a@b>"},
		{Volume: 100, Mic: 100, ForwardTo: strings.Repeat("1", MaxAddressLen+1)},
	} {
		if err := s.SaveDesk(ctx, d); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err = %v, want ErrInvalid", d, err)
		}
	}
	if d, err := s.Desk(ctx); err != nil || d != DefaultDesk {
		t.Fatalf("after refusals: %+v, %v; want nothing changed", d, err)
	}
	// A value that is not a number is reported, not read as zero.
	s.db.Exec(`INSERT INTO settings (key, value) VALUES (?, 'loud')`, deskVolume)
	if _, err := s.Desk(ctx); !errors.Is(err, ErrInvalid) {
		t.Fatalf("volume 'loud': err = %v, want ErrInvalid", err)
	}
}
