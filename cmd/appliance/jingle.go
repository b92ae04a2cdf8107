package main

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/media/callmedia"
	"github.com/padlock-phone/padlock/media/headset"
	"github.com/padlock-phone/padlock/protocols/jingleline"
	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/store"
)

// newJingleLine is the voice-call half of the XMPP accounts: the Jingle
// line, fed each account's client by the messaging service. When media
// listens on loopback (-sip 127.0.0.1:…, as the end-to-end tests run it),
// ICE stays on loopback too.
func newJingleLine(st *store.Store, ear *headset.Headset, listen string, x *xmppSide, post poster, log *slog.Logger) (*jingleline.Driver, error) {
	loopback := false
	if ap, err := netip.ParseAddrPort(listen); err == nil {
		loopback = ap.Addr().IsLoopback()
	}
	line, err := jingleline.New(jingleline.Config{
		Media: &jingleMedia{st: st, ear: ear, post: post, log: log.With("part", "media")},
		RequireEncryption: func() bool {
			on, err := st.Bool(context.Background(), store.RequireEncryptedCalls)
			return err != nil || on
		},
		Loopback: loopback,
		Log:      log,
	})
	if err != nil {
		return nil, err
	}
	x.svc.WatchClients(func(account string, c *xmpp.Client) {
		if c != nil {
			if err := line.AddAccount(account, c); err != nil {
				log.Error("XMPP account not taking calls", "account", account, "err", err)
			}
			return
		}
		line.RemoveAccount(account)
	})
	return line, nil
}

// jingleMedia makes callmedia for Jingle calls, the first time a call
// needs it (the device's ZID is read from the store, which must be open).
type jingleMedia struct {
	st   *store.Store
	ear  *headset.Headset
	post poster
	log  *slog.Logger

	mu sync.Mutex
	m  *callmedia.Media
}

func (j *jingleMedia) NewICESession(id call.ID) (jingleline.MediaSession, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.m == nil {
		zid, err := callmedia.DeviceZID(context.Background(), j.st)
		if err != nil {
			return nil, err
		}
		m, err := callmedia.New(callmedia.Config{
			ZID:     zid,
			Cache:   callmedia.StoreCache{St: j.st},
			Headset: j.ear,
			RequireEncryption: func() bool {
				on, err := j.st.Bool(context.Background(), store.RequireEncryptedCalls)
				return err != nil || on
			},
			Emit: func(ev call.Event) { j.post(ev) },
			Log:  j.log,
		})
		if err != nil {
			return nil, err
		}
		j.m = m
	}
	s, err := j.m.NewICESession(id)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return s, nil
}
