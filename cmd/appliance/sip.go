package main

import (
	"context"
	"log/slog"
	"net/netip"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/keyring"
	"github.com/padlock-phone/padlock/media/callmedia"
	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/protocols/sip"
	"github.com/padlock-phone/padlock/protocols/sipline"
	"github.com/padlock-phone/padlock/store"
)

// sipSide is the SIP half of the appliance: the line that follows the
// stored accounts, and a goroutine that rebuilds it on request (vault
// unlocked, accounts edited), one rebuild at a time.
type sipSide struct {
	line *sipline.Line
	kick chan struct{}
}

// poster is where driver events go: the phone brain, set once it exists.
type poster func(ev phone.Event)

func newSIPSide(st *store.Store, pw sipline.Passwords, ear callmedia.Headset, listen string, post poster, log *slog.Logger) *sipSide {
	// sipgo's own package-level logger: bounded and redacted, like ours.
	sip.SetLibraryLogger(log)
	bind := netip.IPv4Unspecified()
	if ap, err := netip.ParseAddrPort(listen); err == nil {
		bind = ap.Addr()
	}
	s := &sipSide{kick: make(chan struct{}, 1)}
	s.line = sipline.New(sipline.Config{
		Store:     st,
		Passwords: pw,
		Listen:    listen,
		Log:       log,
		OnStatus: func(a sip.AccountStatus) {
			post(phone.AccountStatus{Account: a.Account, Registered: a.Registered})
		},
		Media: func() (sip.Media, error) {
			zid, err := callmedia.DeviceZID(context.Background(), st)
			if err != nil {
				return nil, err
			}
			m, err := callmedia.New(callmedia.Config{
				ZID:     zid,
				Cache:   callmedia.StoreCache{St: st},
				Headset: ear,
				BindIP:  bind,
				// No clear audio if either setting asks for encryption; SDES
				// (over SIP-TLS) only with end to end not required.
				RequireEncryption: func() bool {
					e2e, err1 := st.Bool(context.Background(), store.RequireEndToEndCalls)
					enc, err2 := st.Bool(context.Background(), store.RequireEncryptedCalls)
					on := err1 != nil || err2 != nil || e2e || enc // unreadable: the safe side
					// Read at every call's start: the brain learns it for
					// the conference (a clear leg is not mixed in) then too.
					post(phone.RequireEncrypted{On: on})
					return on
				},
				RequireEndToEnd: func() bool {
					on, err := st.Bool(context.Background(), store.RequireEndToEndCalls)
					return err != nil || on
				},
				Emit: func(ev call.Event) { post(ev) },
				Log:  log.With("part", "media"),
			})
			return sipMedia{m}, err
		},
	})
	return s
}

// Reload asks for a rebuild; several requests in a row make one.
func (s *sipSide) Reload() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// run rebuilds on request until ctx ends, then closes the line.
func (s *sipSide) run(ctx context.Context, log *slog.Logger) {
	defer s.line.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
			if err := s.line.Reload(ctx); err != nil {
				log.Error("SIP accounts not started", "err", err)
			}
		}
	}
}

// passwordsOf reads account passwords from the keyring once it exists.
type passwordsOf func() *keyring.Keyring

func (p passwordsOf) AccountPassword(ctx context.Context, id int64) ([]byte, error) {
	return p().AccountPassword(ctx, id)
}

// sipMedia lets the SIP driver use callmedia: media never imports protocols,
// so the two meet here, where the driver's MediaSession is satisfied by a
// concrete *callmedia.Session.
type sipMedia struct{ *callmedia.Media }

func (m sipMedia) NewSession(id call.ID) (sip.MediaSession, error) {
	s, err := m.Media.NewSession(id)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return s, nil
}
