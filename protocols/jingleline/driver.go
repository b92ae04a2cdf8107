// Package jingleline is the phone's Jingle telephony: voice calls with XMPP
// contacts on the accounts' XMPP sessions. It runs the protocols/jingle
// engine of each account on one loop, finds the callee's devices with
// service discovery, rings all of them with XEP-0353 when they speak it,
// gets the media path from ICE (media/icelink) and secures it with ZRTP
// when both sides signal a zrtp-hash, or DTLS-SRTP otherwise. It reports
// to the brain with the same call events as SIP.
package jingleline

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/media/codec"
	"github.com/padlock-phone/padlock/media/rtp"
	"github.com/padlock-phone/padlock/media/sdp"
	"github.com/padlock-phone/padlock/protocols/jingle"
)

// Prefix is how a dialled target names an XMPP contact: "xmpp:bob@example.org".
const Prefix = "xmpp:"

// Takes reports whether a dialled target is for this line.
func Takes(target string) bool { return strings.HasPrefix(target, Prefix) }

// Client is the part of an account's *xmpp.Client the line uses.
type Client interface {
	JID() (string, error)
	HandleIQ(space, local string, h func(from, typ string, payload *xml.Decoder) (result, errElem []byte))
	HandleMessage(space string, h func(from, typ string, payload *xml.Decoder))
	ObservePresence(o func(from, typ string))
	SendIQPayload(ctx context.Context, to, typ string, payload []byte) (*xml.Decoder, error)
	SendMessagePayload(ctx context.Context, to, typ string, payload []byte) error
	DropHandlers()
}

// Media makes the media of one call (callmedia through an adapter in
// cmd/appliance).
type Media interface {
	NewICESession(id call.ID) (MediaSession, error)
}

// MediaSession is one call's media as this line sees it.
type MediaSession interface {
	// Attributes are SDP-style attributes, "zrtp-hash:1.10 <hex>" first.
	Attributes() []string
	StartOn(conn rtp.PacketConn, remote sdp.Remote, f codec.Format, dir sdp.Direction) error
	StartDTLS(conn rtp.PacketConn, remote sdp.Remote, f codec.Format, dir sdp.Direction, keys rtp.Keys, localFP, peerFP string) error
	SetHold(on bool)
	SetVerified(v bool) error
	Close() error
}

// Config sets the line up.
type Config struct {
	Media Media
	// RequireEncryption is read for each call: a peer offering neither
	// ZRTP nor DTLS-SRTP is refused when it says true.
	RequireEncryption func() bool
	// STUN servers for server-reflexive candidates; none: host only.
	STUN []string
	// Loopback keeps ICE on 127.0.0.0/8 and ::1 (tests).
	Loopback bool
	// ICETimeout is how long a call may wait for a media path (20 s).
	ICETimeout time.Duration
	// Formats offered, best first (default G.722, PCMU, PCMA).
	Formats []codec.Format
	Log     *slog.Logger
}

// Driver is the Jingle line. It implements lines.Line.
type Driver struct {
	cfg    Config
	log    *slog.Logger
	events chan call.Event
	ops    chan func()
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once

	// Owned by loop.
	accounts map[string]*account // by account bare JID
	calls    map[call.ID]*jcall
	next     int
}

// New starts the line's loop. Accounts come with AddAccount.
func New(cfg Config) (*Driver, error) {
	if cfg.Media == nil {
		return nil, errors.New("jingleline: no media for calls")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.RequireEncryption == nil {
		cfg.RequireEncryption = func() bool { return true }
	}
	if cfg.ICETimeout == 0 {
		cfg.ICETimeout = 20 * time.Second
	}
	if len(cfg.Formats) == 0 {
		cfg.Formats = jingle.Formats()
	}
	d := &Driver{
		cfg: cfg, log: cfg.Log, events: make(chan call.Event, 64), ops: make(chan func(), 256), done: make(chan struct{}),
		accounts: map[string]*account{}, calls: map[call.ID]*jcall{},
	}
	d.wg.Add(1)
	go d.loop()
	return d, nil
}

func (d *Driver) loop() {
	defer d.wg.Done()
	for {
		select {
		case <-d.done:
			for _, c := range d.calls {
				c.release()
			}
			for _, a := range d.accounts {
				a.stop()
			}
			return
		case f := <-d.ops:
			f()
		}
	}
}

// post runs f on the loop; false if the line is closed.
func (d *Driver) post(f func()) bool {
	select {
	case d.ops <- f:
		return true
	case <-d.done:
		return false
	}
}

// run runs f on the loop and waits for its error.
func (d *Driver) run(f func() error) error {
	errc := make(chan error, 1)
	if !d.post(func() { errc <- f() }) {
		return errors.New("jingleline: closed")
	}
	select {
	case err := <-errc:
		return err
	case <-d.done:
		return errors.New("jingleline: closed")
	}
}

func (d *Driver) emit(ev call.Event) {
	select {
	case d.events <- ev:
	case <-d.done:
	}
}

// Events are the line's call events.
func (d *Driver) Events() <-chan call.Event { return d.events }

// Close ends every call and stops the loop.
func (d *Driver) Close() error {
	d.once.Do(func() { close(d.done) })
	d.wg.Wait()
	return nil
}

// AddAccount puts an account's session at the line's disposal: its Jingle
// IQs, XEP-0353 messages, disco#info and presence. name is its bare JID.
func (d *Driver) AddAccount(name string, c Client) error {
	return d.run(func() error {
		if old := d.accounts[name]; old != nil {
			// A new client for the account (accounts reloaded): calls on
			// the old session cannot go on.
			for _, c := range d.calls {
				if c.acct == old {
					c.end("the account was reconnected", jingle.Reason{Condition: jingle.Gone})
				}
			}
			old.stop()
		}
		a := newAccount(d, name, c)
		d.accounts[name] = a
		return nil
	})
}

// RemoveAccount ends the account's calls and lets go of its session.
func (d *Driver) RemoveAccount(name string) error {
	return d.run(func() error {
		a := d.accounts[name]
		if a == nil {
			return nil
		}
		for _, c := range d.calls {
			if c.acct == a {
				c.end("the account was removed", jingle.Reason{Condition: jingle.Gone})
			}
		}
		a.stop()
		delete(d.accounts, name)
		return nil
	})
}

// Dial calls an XMPP contact: target is "xmpp:bob@example.org".
func (d *Driver) Dial(target string) (call.ID, error) {
	bare := strings.TrimPrefix(target, Prefix)
	if !strings.Contains(bare, "@") || strings.ContainsAny(bare, "/ ") {
		return "", fmt.Errorf("jingle: %q is not an XMPP address (write xmpp:name@server)", target)
	}
	var id call.ID
	err := d.run(func() error {
		a := d.accountFor(bare)
		if a == nil {
			return errors.New("jingle: no XMPP account is connected to call from")
		}
		id = d.newID()
		c := &jcall{d: d, id: id, acct: a, bare: bare, outgoing: true}
		d.calls[id] = c
		c.dial()
		return nil
	})
	return id, err
}

func (d *Driver) newID() call.ID {
	d.next++
	return call.ID(fmt.Sprintf("jingle-%d", d.next))
}

// accountFor picks the account to call bare from: one that sees it
// online, else the first.
func (d *Driver) accountFor(bare string) *account {
	var first *account
	for _, a := range d.accounts {
		if len(a.resources[bare]) > 0 {
			return a
		}
		if first == nil || a.name < first.name {
			first = a
		}
	}
	return first
}

func (d *Driver) withCall(id call.ID, f func(c *jcall) error) error {
	return d.run(func() error {
		c := d.calls[id]
		if c == nil {
			return fmt.Errorf("jingle: no call %s", id)
		}
		return f(c)
	})
}

// Answer takes a ringing call.
func (d *Driver) Answer(id call.ID) error {
	return d.withCall(id, func(c *jcall) error { return c.answer() })
}

// Reject turns a ringing call away.
func (d *Driver) Reject(id call.ID, why call.RejectReason) error {
	return d.withCall(id, func(c *jcall) error {
		cond := jingle.Decline
		if why == call.Busy {
			cond = jingle.Busy
		}
		c.reject(cond)
		return nil
	})
}

// Hangup ends a call in any state.
func (d *Driver) Hangup(id call.ID) error {
	return d.withCall(id, func(c *jcall) error {
		c.hangup()
		return nil
	})
}

// Hold puts the call on hold or resumes it (XEP-0167 session-info).
func (d *Driver) Hold(id call.ID, on bool) error {
	return d.withCall(id, func(c *jcall) error { return c.hold(on) })
}

// SetVerified records the person's SAS confirmation in the ZRTP cache.
func (d *Driver) SetVerified(id call.ID, verified bool) error {
	var m MediaSession
	err := d.withCall(id, func(c *jcall) error {
		if c.media == nil || c.security != secZRTP {
			return errors.New("jingle: this call has no SAS to confirm")
		}
		m = c.media
		return nil
	})
	if err != nil {
		return err
	}
	return m.SetVerified(verified) // off the loop: it waits for the media's own loop
}
