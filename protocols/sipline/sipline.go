// Package sipline keeps the phone's SIP side matching its stored accounts:
// a protocols/sip Driver built from the enabled SIP accounts and their
// passwords, rebuilt whenever they change or the vault unlocks. It is one
// line of protocols/lines, so the phone never sees the driver being swapped.
package sipline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/protocols/sip"
	"github.com/padlock-phone/padlock/store"
)

// Passwords is where account passwords come from: keyring.Keyring.
type Passwords interface {
	AccountPassword(ctx context.Context, id int64) ([]byte, error)
}

// Config wires the SIP line.
type Config struct {
	Store     *store.Store
	Passwords Passwords
	// Media makes the call media; called at each Reload (it may need the
	// vault open, for the device's ZRTP identity).
	Media func() (sip.Media, error)
	// Listen is the local address each account binds ("0.0.0.0:0" on the
	// device: any interface, a free port).
	Listen string
	// OnStatus hears every account's registration (from driver goroutines).
	OnStatus func(sip.AccountStatus)
	Backoff  func(n int) time.Duration
	Log      *slog.Logger
}

// Line is a lines.Line over the current driver.
type Line struct {
	cfg    Config
	events chan call.Event

	mu      sync.Mutex
	drv     *sip.Driver // nil: no usable account
	stop    chan struct{}
	fwd     sync.WaitGroup
	status  map[string]sip.AccountStatus
	skipped map[string]string // account -> why it is not running
}

// New makes the line with no driver; call Reload once the vault is open.
func New(cfg Config) *Line {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.OnStatus == nil {
		cfg.OnStatus = func(sip.AccountStatus) {}
	}
	return &Line{cfg: cfg, events: make(chan call.Event, 16), status: map[string]sip.AccountStatus{}, skipped: map[string]string{}}
}

// Reload builds a driver from the enabled SIP accounts whose password is
// known, replacing the old one (whose calls end). Accounts left out are
// reported by Status with the reason.
func (l *Line) Reload(ctx context.Context) error {
	accs, err := l.cfg.Store.Accounts(ctx)
	if err != nil {
		return err
	}
	var sipAccs []sip.Account
	skipped := map[string]string{}
	for _, a := range accs {
		if a.Kind != store.SIP {
			continue
		}
		if !a.Enabled {
			skipped[a.Address()] = "disabled"
			continue
		}
		pw, err := l.cfg.Passwords.AccountPassword(ctx, a.ID)
		if errors.Is(err, store.ErrNoPassword) {
			skipped[a.Address()] = "waiting for its password (not saved)"
			continue
		}
		if err != nil {
			skipped[a.Address()] = "password unavailable: " + err.Error()
			continue
		}
		sa := sip.Account{User: a.User, Password: string(pw), Domain: a.Server, Transport: string(a.Transport), Listen: l.cfg.Listen, AcceptAnySource: a.AcceptAnySource}
		clear(pw)
		if a.Port != 0 {
			sa.Registrar = net.JoinHostPort(a.Server, strconv.Itoa(a.Port))
		}
		if a.Proxy != "" {
			sa.Proxy = a.Proxy
		}
		sipAccs = append(sipAccs, sa)
	}
	var drv *sip.Driver
	if len(sipAccs) > 0 {
		media, err := l.cfg.Media()
		if err != nil {
			return fmt.Errorf("call media: %w", err)
		}
		drv, err = sip.New(sip.Config{Accounts: sipAccs, Media: media, Log: l.cfg.Log, OnStatus: l.onStatus, Backoff: l.cfg.Backoff})
		if err != nil {
			return fmt.Errorf("SIP accounts: %w", err)
		}
	}
	l.swap(drv, skipped)
	if drv != nil {
		drv.Start()
	}
	return nil
}

// swap installs drv (maybe nil) and closes the old driver.
func (l *Line) swap(drv *sip.Driver, skipped map[string]string) {
	l.mu.Lock()
	old, oldStop := l.drv, l.stop
	l.drv, l.skipped = drv, skipped
	l.status = map[string]sip.AccountStatus{}
	l.stop = make(chan struct{})
	if drv != nil {
		l.fwd.Add(1)
		go l.forward(drv, l.stop)
	}
	l.mu.Unlock()
	if old != nil {
		close(oldStop)
		old.Close()
	}
	for name := range skipped {
		l.cfg.OnStatus(sip.AccountStatus{Account: name})
	}
}

func (l *Line) forward(d *sip.Driver, stop chan struct{}) {
	defer l.fwd.Done()
	for {
		select {
		case <-stop:
			return
		case ev := <-d.Events():
			select {
			case l.events <- ev:
			case <-stop:
				return
			}
		}
	}
}

func (l *Line) onStatus(s sip.AccountStatus) {
	l.mu.Lock()
	l.status[s.Account] = s
	l.mu.Unlock()
	l.cfg.OnStatus(s)
}

// Status says, per account address, how its registration stands, in
// plain words for the web admin.
func (l *Line) Status() map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]string{}
	for name, why := range l.skipped {
		out[name] = why
	}
	for name, s := range l.status {
		switch {
		case s.Registered:
			out[name] = "registered"
		case s.Err != nil:
			out[name] = "not registered: " + s.Err.Error()
		default:
			out[name] = "registering…"
		}
	}
	return out
}

// Events implements lines.Line.
func (l *Line) Events() <-chan call.Event { return l.events }

func (l *Line) driver() (*sip.Driver, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.drv == nil {
		return nil, errors.New("no SIP account is registered: add one in the web admin (or enter its password)")
	}
	return l.drv, nil
}

// Dial implements lines.Line.
func (l *Line) Dial(target string) (call.ID, error) {
	d, err := l.driver()
	if err != nil {
		return "", err
	}
	return d.Dial(target)
}

func (l *Line) with(f func(d *sip.Driver) error) error {
	d, err := l.driver()
	if err != nil {
		return err
	}
	return f(d)
}

// Answer, Reject, Hangup, Hold, SetVerified and SendDTMF go to the driver.
func (l *Line) Answer(id call.ID) error {
	return l.with(func(d *sip.Driver) error { return d.Answer(id) })
}

func (l *Line) Reject(id call.ID, why call.RejectReason) error {
	return l.with(func(d *sip.Driver) error { return d.Reject(id, why) })
}

// Forward implements phone.Forwarder: a SIP 302 to target.
func (l *Line) Forward(id call.ID, target string) error {
	return l.with(func(d *sip.Driver) error { return d.Forward(id, target) })
}

func (l *Line) Hangup(id call.ID) error {
	return l.with(func(d *sip.Driver) error { return d.Hangup(id) })
}

func (l *Line) Hold(id call.ID, on bool) error {
	return l.with(func(d *sip.Driver) error { return d.Hold(id, on) })
}

func (l *Line) SetVerified(id call.ID, v bool) error {
	return l.with(func(d *sip.Driver) error { return d.SetVerified(id, v) })
}

func (l *Line) SendDTMF(id call.ID, digits string) error {
	return l.with(func(d *sip.Driver) error { return d.SendDTMF(id, digits) })
}

// Close stops the driver (hanging up its calls).
func (l *Line) Close() error {
	l.swap(nil, nil)
	l.fwd.Wait()
	return nil
}
