package xmpp

import (
	"context"
	"errors"
)

// LoginOnce makes one login attempt exactly as Dial's first would, but
// without the TLS 1.2 retry, so tests can see how a server answers a
// tls-exporter binding.
func LoginOnce(ctx context.Context, cfg Config) error {
	a, err := newAccount(cfg)
	if err != nil {
		return err
	}
	at := &attempt{}
	sess, err := a.open(ctx, at, a.loginFeatures(at, a.cfg.Password))
	if sess != nil {
		sess.Conn().Close()
	}
	if err == nil && at.binding == "" {
		return errors.New("logged in without channel binding")
	}
	return err
}
