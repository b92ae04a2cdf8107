package sip

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/padlock-phone/padlock/call"
)

// Config sets up the driver.
type Config struct {
	Accounts []Account
	Media    Media
	Log      *slog.Logger
	// OnStatus is told whenever an account's registration changes. It is
	// called from the account's goroutine and must not block for long.
	OnStatus func(AccountStatus)
	// Backoff is how long to wait before registration attempt n+1 after n
	// failures (n from 0). Defaults to 1 s doubling up to 1 min.
	Backoff func(n int) time.Duration
	// KeepAlive is how often a registered account pings its registrar with
	// OPTIONS to notice it is gone; 0 means 30 s, negative turns it off.
	KeepAlive time.Duration
	// RequestTimeout bounds REGISTER and OPTIONS round trips; 4 s by default.
	RequestTimeout time.Duration
	// Rand is the source of tags, branches and Call-IDs; crypto/rand by default.
	Rand io.Reader
}

// DefaultBackoff doubles from 1 s to 1 min.
func DefaultBackoff(n int) time.Duration {
	d := time.Second
	for i := 0; i < n && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}

// Driver is the phone's SIP telephony: every account's user agent, and
// all their calls. It implements the phone's Telephony interface.
type Driver struct {
	cfg    Config
	log    *slog.Logger
	uas    []*ua
	events chan call.Event

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	randMu sync.Mutex
	calls  map[call.ID]*sipCall
	next   int
	closed bool

	referrals sync.Map // call.ID placed for a transfer -> *sipCall whose peer REFERred us (transfer.go)
}

// New binds every account's socket. Nothing is sent until Start.
func New(cfg Config) (*Driver, error) {
	if len(cfg.Accounts) == 0 {
		return nil, errors.New("sip: no account configured")
	}
	if cfg.Media == nil {
		return nil, errors.New("sip: no media for calls")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = 30 * time.Second
	}
	if cfg.KeepAlive < 0 {
		cfg.KeepAlive = 0
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 4 * time.Second
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	d := &Driver{cfg: cfg, log: cfg.Log, events: make(chan call.Event, 64), calls: map[call.ID]*sipCall{}}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	seen := map[string]bool{}
	for _, acct := range cfg.Accounts {
		if err := acct.fill(); err != nil {
			d.Close()
			return nil, err
		}
		if seen[acct.Name()] {
			d.Close()
			return nil, fmt.Errorf("sip: account %s is configured twice", acct.Name())
		}
		seen[acct.Name()] = true
		a, err := newUA(d, acct)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.uas = append(d.uas, a)
	}
	return d, nil
}

// Start begins registering every account. Registration runs until Close.
func (d *Driver) Start() {
	for _, a := range d.uas {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			a.registerLoop(d.ctx)
		}()
	}
}

// Close hangs up every call, unregisters and closes the sockets.
func (d *Driver) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	var ids []call.ID
	for id := range d.calls {
		ids = append(ids, id)
	}
	d.mu.Unlock()
	for _, id := range ids {
		d.Hangup(id)
	}
	// BYE and CANCEL run on their own timeout; registrations end with ctx.
	d.cancel()
	d.wg.Wait()
	for _, a := range d.uas {
		a.close()
	}
	return nil
}

// Status is the registration of every account, in configuration order.
func (d *Driver) Status() []AccountStatus {
	var out []AccountStatus
	for _, a := range d.uas {
		s := a.Status()
		s.Account = a.acct.Name()
		out = append(out, s)
	}
	return out
}

// Events is where calls report what happened to them.
func (d *Driver) Events() <-chan call.Event { return d.events }

func (d *Driver) emit(ev call.Event) {
	d.referOutcome(ev) // a call placed for a transfer: tell the referrer
	select {
	case d.events <- ev:
	case <-d.ctx.Done():
	}
}

func (d *Driver) backoff(n int) time.Duration { return d.cfg.Backoff(n) }

// token is a random hex string of n bytes, for tags, branches and Call-IDs.
func (d *Driver) token(n int) string {
	b := make([]byte, n)
	d.randMu.Lock()
	_, err := io.ReadFull(d.cfg.Rand, b)
	d.randMu.Unlock()
	if err != nil {
		panic("sip: random source failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// smallRandom is a random first CSeq number below 2^15 (RFC 3261 8.1.1.5
// asks for less than 2^31; small ones leave room to count up).
func (d *Driver) smallRandom() uint32 {
	n, _ := strconv.ParseUint(d.token(2), 16, 32)
	return uint32(n&0x7fff) + 1
}

// accountFor picks the account to call target from: the one whose domain
// the target names, else the first.
func (d *Driver) accountFor(target string) *ua {
	t := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(target), "sip:"), "sips:")
	if _, dom, ok := strings.Cut(t, "@"); ok {
		for _, a := range d.uas {
			if strings.EqualFold(dom, a.acct.Domain) {
				return a
			}
		}
	}
	return d.uas[0]
}

func (d *Driver) newCallID(a *ua) call.ID {
	d.next++
	return call.ID(fmt.Sprintf("%s#%d", a.acct.Name(), d.next))
}

func (d *Driver) call(id call.ID) (*sipCall, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.calls[id]
	if !ok {
		return nil, fmt.Errorf("sip: no call %s", id)
	}
	return c, nil
}
