package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/media/headset"
	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/store"
)

// deskSettings keeps the desk's settings (store.Desk) and the parts that use them
// in step: the headset's levels, the brain's do-not-disturb and forward
// target. The web admin saves through it; a button's toggle of
// do-not-disturb is written back by keepDoNotDisturb.
type deskSettings struct {
	st   *store.Store
	ear  *headset.Headset
	post func(phone.Event)
	log  *slog.Logger
}

// load reads the desk as saved and applies the levels; it returns the
// do-not-disturb switch for the brain's first state. The forward target is
// sealed: it reaches the brain at unlock (unlocked).
func (d deskSettings) load(ctx context.Context) bool {
	s, err := d.st.Desk(ctx)
	if err != nil && !sealedOnly(err) {
		d.log.Warn("desk settings unreadable; using the defaults", "err", err)
		s = store.DefaultDesk
	}
	d.ear.SetLevels(headset.Level(s.Volume), headset.Level(s.Mic))
	return s.DoNotDisturb
}

// unlocked hands the brain the forward target, readable now.
func (d deskSettings) unlocked(ctx context.Context) {
	s, err := d.st.Desk(ctx)
	if err != nil {
		d.log.Warn("desk settings: forward target unreadable", "err", err)
		return
	}
	d.post(phone.SetForwardTarget{To: s.ForwardTo})
}

// Save writes the desk from the web admin and applies it at once.
func (d deskSettings) Save(ctx context.Context, s store.Desk) error {
	if err := d.st.SaveDesk(ctx, s); err != nil {
		return err
	}
	d.ear.SetLevels(headset.Level(s.Volume), headset.Level(s.Mic))
	d.post(phone.SetForwardTarget{To: s.ForwardTo})
	d.post(phone.SetDoNotDisturb{On: s.DoNotDisturb})
	return nil
}

// Load reads the desk for the web admin's form.
func (d deskSettings) Load(ctx context.Context) (store.Desk, error) { return d.st.Desk(ctx) }

// keepDoNotDisturb writes do-not-disturb to the store whenever the brain's
// changes (the buttons' HANGUP hold, the phone page's keys), so it
// survives a restart, until ctx ends.
func (d deskSettings) keepDoNotDisturb(ctx context.Context, brain *phone.Phone, was bool) {
	changed, stop := brain.Watch()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		if on := brain.State().DoNotDisturb; on != was {
			if err := d.st.SetDoNotDisturb(ctx, on); err != nil {
				d.log.Warn("do-not-disturb not saved", "err", err)
				continue
			}
			was = on
		}
	}
}

// sealedOnly reports whether err only says the sealed part could not be
// read (the vault is locked, or not made yet): the rest of the desk is good.
func sealedOnly(err error) bool {
	return errors.Is(err, vault.ErrLocked) || errors.Is(err, store.ErrNoSealer)
}
