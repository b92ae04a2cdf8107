package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Desk is how the desk itself is set: the headset's levels and
// do-not-disturb, kept across restarts. The levels and the switch are
// readable while the vault is locked (the prompts of a locked phone play at
// the chosen volume); the forward target is an address, so it is sealed.
type Desk struct {
	Volume, Mic  int  // percent: 100 as the sound comes (the headset's Levels)
	DoNotDisturb bool // incoming calls are turned away and logged missed
	// ForwardTo, when set, is where do-not-disturb sends callers (a SIP
	// 302 to it) instead of turning them away busy.
	ForwardTo string
}

// The ranges of Desk's levels. The volume never goes below MinDeskVolume
// so the SAS and the warnings stay audible; the microphone may be muted.
const (
	MinDeskVolume = 10
	MaxDeskLevel  = 200
)

// DefaultDesk is the desk of a phone never set: levels as they come,
// calls ring.
var DefaultDesk = Desk{Volume: 100, Mic: 100}

const (
	deskVolume  = "desk_volume"
	deskMic     = "desk_mic"
	deskDND     = "desk_dnd"
	deskForward = "desk_forward" // sealed, base64
	forwardAD   = "settings/desk_forward"
)

// Validate checks the levels' ranges and the forward target's form.
func (d Desk) Validate() error {
	switch {
	case d.Volume < MinDeskVolume || d.Volume > MaxDeskLevel:
		return fmt.Errorf("%w: volume %d%%: between %d and %d", ErrInvalid, d.Volume, MinDeskVolume, MaxDeskLevel)
	case d.Mic < 0 || d.Mic > MaxDeskLevel:
		return fmt.Errorf("%w: microphone %d%%: between 0 and %d", ErrInvalid, d.Mic, MaxDeskLevel)
	case len(d.ForwardTo) > MaxAddressLen || !utf8.ValidString(d.ForwardTo) ||
		strings.ContainsAny(d.ForwardTo, "\x00\r\n\t <>\"") || strings.TrimSpace(d.ForwardTo) != d.ForwardTo:
		return fmt.Errorf("%w: forward target %.40q: one SIP address or number of at most %d bytes", ErrInvalid, d.ForwardTo, MaxAddressLen)
	}
	return nil
}

// Desk returns the desk's settings (DefaultDesk's for those never set).
// The forward target needs the vault: while it is locked, Desk returns
// the rest with the vault's error.
func (s *Store) Desk(ctx context.Context) (Desk, error) {
	d := DefaultDesk
	vals := map[string]string{}
	rows, err := s.db.QueryContext(ctx, `SELECT key, value FROM settings WHERE key IN (?, ?, ?, ?)`, deskVolume, deskMic, deskDND, deskForward)
	if err != nil {
		return d, sqlErr(err, "desk settings")
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return d, sqlErr(err, "desk settings")
		}
		vals[k] = v
	}
	if err := rows.Err(); err != nil {
		return d, sqlErr(err, "desk settings")
	}
	for k, into := range map[string]*int{deskVolume: &d.Volume, deskMic: &d.Mic} {
		if v, ok := vals[k]; ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				return DefaultDesk, fmt.Errorf("%w: setting %s holds %q, want a number", ErrInvalid, k, v)
			}
			*into = n
		}
	}
	switch vals[deskDND] {
	case "", "0":
	case "1":
		d.DoNotDisturb = true
	default:
		return DefaultDesk, fmt.Errorf("%w: setting %s holds %q, want 0 or 1", ErrInvalid, deskDND, vals[deskDND])
	}
	if err := d.Validate(); err != nil {
		return DefaultDesk, err
	}
	if v := vals[deskForward]; v != "" {
		sealed, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return d, fmt.Errorf("%w: setting %s is not base64", ErrInvalid, deskForward)
		}
		plain, err := s.open(forwardAD, sealed)
		if err != nil {
			return d, err
		}
		d.ForwardTo = string(plain)
	}
	return d, nil
}

// SaveDesk writes the desk's settings in one transaction; the forward
// target is sealed, so saving one needs the vault unlocked.
func (s *Store) SaveDesk(ctx context.Context, d Desk) error {
	if err := d.Validate(); err != nil {
		return err
	}
	forward := ""
	if d.ForwardTo != "" {
		sealed, err := s.seal(forwardAD, []byte(d.ForwardTo))
		if err != nil {
			return err
		}
		forward = base64.StdEncoding.EncodeToString(sealed)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		for k, v := range map[string]string{deskVolume: strconv.Itoa(d.Volume), deskMic: strconv.Itoa(d.Mic), deskDND: boolValue(d.DoNotDisturb), deskForward: forward} {
			if err := setValue(ctx, tx, k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetDoNotDisturb records the switch alone (a button toggled it): the
// rest of the desk, the sealed target included, stays as it is, so it
// works with the vault locked.
func (s *Store) SetDoNotDisturb(ctx context.Context, on bool) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		return setValue(ctx, tx, deskDND, boolValue(on))
	})
}
