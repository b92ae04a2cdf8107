package main

import (
	"context"
	"log/slog"

	"github.com/padlock-phone/padlock/messaging"
	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/protocols/jingleline"
	"github.com/padlock-phone/padlock/store"
)

// xmppSide is the XMPP half of the appliance: the messaging service that
// follows the stored accounts, and a goroutine that reloads it on request
// (vault unlocked, accounts edited), one reload at a time, like sipSide.
type xmppSide struct {
	svc  *messaging.Service
	kick chan struct{}
}

func newXMPPSide(st *store.Store, pw passwordsOf, dataDir string, post poster, log *slog.Logger) *xmppSide {
	return &xmppSide{
		kick: make(chan struct{}, 1),
		svc: messaging.New(messaging.Config{
			Store:     st,
			Passwords: pw,
			DataDir:   dataDir,
			Log:       log,
			Unread:    func(n int) { post(phone.Unread{N: n}) },
			Caps:      jingleline.Caps(), // the Jingle line answers disco#info on every account
		}),
	}
}

// Reload asks for a reload; several requests in a row make one.
func (x *xmppSide) Reload() {
	select {
	case x.kick <- struct{}{}:
	default:
	}
}

// run reloads on request until ctx ends, then stops the accounts.
func (x *xmppSide) run(ctx context.Context, log *slog.Logger) {
	defer x.svc.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case <-x.kick:
			if err := x.svc.Reload(ctx); err != nil {
				log.Error("XMPP accounts not started", "err", err)
			}
		}
	}
}

// accountStatus is an account's connection in words, from its side.
func accountStatus(sipSide *sipSide, x *xmppSide, a store.Account) string {
	if a.Kind == store.XMPP {
		return x.svc.Status(a.ID)
	}
	return sipSide.line.Status()[a.Address()]
}
