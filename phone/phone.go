// Package phone is the brain of the desk phone: one event loop that owns all
// call state and policy. Buttons, telephony drivers and the web admin post
// events; the loop steps the state machine (step), tells the drivers what to
// do, and sets the lamps from the state (lamps).
package phone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/hw"
)

// Board is the physical panel: three buttons in, three lamps out.
type Board interface {
	Presses() <-chan hw.Press
	SetLamp(l hw.Lamp, p hw.Pattern)
}

// Telephony places and controls calls (SIP, the local test line). Methods
// must not block on the network: results come back as call.Events.
type Telephony interface {
	Dial(target string) (call.ID, error)
	Answer(id call.ID) error
	Reject(id call.ID, why call.RejectReason) error
	Hangup(id call.ID) error // cancels a call not yet answered, ends one that is
	Hold(id call.ID, on bool) error
	SetVerified(id call.ID, verified bool) error // the SAS was compared (ZRTP cache flag)
	Events() <-chan call.Event
}

// Transferer is a Telephony that can transfer calls (SIP REFER): hand
// the peer of a call to someone else, and call someone because a peer
// asked (the peer then hears how it went).
type Transferer interface {
	Transfer(id call.ID, target string) error
	DialReferred(target string, by call.ID) (call.ID, error)
}

// DTMFSender is a Telephony that can send keypad digits into a call
// (RFC 4733). Drivers without it simply cannot.
type DTMFSender interface {
	SendDTMF(id call.ID, digits string) error
}

// Conference is the media side of the local conference: which calls
// Padlock mixes together (cmd/appliance routes them through media/mix).
type Conference interface {
	// Mix sets the legs of the conference; none: every call's audio is
	// its own again. A leg not Mixed is neither heard nor fed.
	Mix(legs []ConferenceLeg)
}

// ConferenceLeg is one call in the conference.
type ConferenceLeg struct {
	ID    call.ID
	Mixed bool
}

// Voice is what the phone says into the headset.
type Voice interface {
	Ring(on bool, caller string) // the ring tone for an incoming call; caller (its Remote) is said between rings
	Waiting(on bool)             // the soft call-waiting tone: a call rings while the person talks
	SaySAS(leg int, sas string)  // "call secured, please compare" and the SAS word by word; leg > 0: "caller <leg>" first
	Announce(a Announcement)     // a spoken status or warning
	SayFavourite(f Favourite)    // speed dial: the favourite's position, then who
}

// Announcement is something the phone tells the person in words.
type Announcement uint8

const (
	SASConfirmed     Announcement = iota + 1 // the SAS was marked as compared
	EncryptionFailed                         // ZRTP failed: the call is not encrypted
	KeyChanged                               // the peer's retained secret changed: possible eavesdropper
	ThrottleCleared                          // HANGUP + SAS held: the login throttle was cleared
	CallOnHold                               // a call ended and another waits on hold: ANSWER resumes it
	Transferring                             // the peer transferred us: the phone calls who it named
	TransferFailed                           // our transfer did not go through: the call goes on
	NotEndToEnd                              // encrypted by SDES only: no SAS, the proxies hold the keys
	NotVerifiable                            // encrypted by DTLS-SRTP: no SAS, the XMPP server vouched for the keys
	NoFavourites                             // speed dial asked for with no favourites in the phonebook
	DoNotDisturbOn                           // do-not-disturb was turned on
	DoNotDisturbOff                          // do-not-disturb was turned off
)

// Config wires a Phone to its drivers.
type Config struct {
	Board      Board
	Telephony  Telephony
	Voice      Voice
	History    History    // where finished calls are logged; nil: nowhere
	Conference Conference // the local conference's mixer; nil: calls cannot be merged
	Log        *slog.Logger
	Now        func() time.Time // defaults to time.Now
	TickEvery  time.Duration    // how often Tick is sent; defaults to 250 ms
	Initial    State            // e.g. VaultLocked at boot
	// Favourites reads the phonebook's favourites in position order, for
	// speed dial (a long ANSWER press with no call). May be nil: none.
	Favourites func() []Favourite
	// OwnerPresent is called when HANGUP and SAS were held together for
	// hw.OwnerHold: the person is at the phone (the web admin clears its
	// login throttle). May be nil.
	OwnerPresent func()
}

// Phone runs the brain. Create it with New, then call Run once.
type Phone struct {
	cfg    Config
	events chan Event
	done   chan struct{} // closed when Run returns
	state  atomic.Pointer[State]
	lamps  atomic.Pointer[Lamps]

	mu       sync.Mutex
	watchers map[chan struct{}]struct{}
}

// ErrStopped is returned by Post after Run has returned.
var ErrStopped = errors.New("phone: stopped")

// New makes a Phone. Nothing runs until Run.
func New(cfg Config) *Phone {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TickEvery == 0 {
		cfg.TickEvery = 250 * time.Millisecond
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	p := &Phone{cfg: cfg, events: make(chan Event, 32), done: make(chan struct{}), watchers: map[chan struct{}]struct{}{}}
	s := cfg.Initial.clone()
	l := lamps(s)
	p.state.Store(&s)
	p.lamps.Store(&l)
	return p
}

// Post queues an event for the loop. It blocks only while the queue is full.
func (p *Phone) Post(ctx context.Context, ev Event) error {
	select {
	case p.events <- ev:
		return nil
	case <-p.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

// State is a snapshot of the current state; the caller may keep it.
func (p *Phone) State() State { return p.state.Load().clone() }

// Lamps is what the lamps show now.
func (p *Phone) Lamps() Lamps { return *p.lamps.Load() }

// Watch returns a channel that receives (coalesced) whenever State or Lamps
// change, and a function that stops the watch.
func (p *Phone) Watch() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	p.mu.Lock()
	p.watchers[ch] = struct{}{}
	p.mu.Unlock()
	return ch, func() {
		p.mu.Lock()
		delete(p.watchers, ch)
		p.mu.Unlock()
	}
}

// Run is the loop. It returns when ctx is done.
func (p *Phone) Run(ctx context.Context) error {
	defer close(p.done)
	log := p.cfg.Log
	s := p.State()
	l := lamps(s)
	p.setLamps(Lamps{}, l, true)
	// The clock ticks only while Tick can change something (timed): an
	// idle phone has no timer running at all (issue 19).
	var tick *time.Ticker
	var ticks <-chan time.Time
	defer func() {
		if tick != nil {
			tick.Stop()
		}
	}()
	followClock := func() {
		switch on := s.timed(); {
		case on && tick == nil:
			tick = time.NewTicker(p.cfg.TickEvery)
			ticks = tick.C
		case !on && tick != nil:
			tick.Stop()
			tick, ticks = nil, nil
		}
	}
	followClock()

	var presses <-chan hw.Press
	if p.cfg.Board != nil {
		presses = p.cfg.Board.Presses()
	}
	var calls <-chan call.Event
	if p.cfg.Telephony != nil {
		calls = p.cfg.Telephony.Events()
	}
	for {
		var ev Event
		select {
		case <-ctx.Done():
			return nil
		case ev = <-p.events:
		case pr, ok := <-presses:
			if !ok {
				presses = nil
				continue
			}
			ev = pr
		case ce, ok := <-calls:
			if !ok {
				calls = nil
				continue
			}
			ev = ce
		case <-ticks:
			ev = Tick{}
		}
		// Commands may feed events back (a dial's call ID, a driver error).
		for queue := []Event{ev}; len(queue) > 0; {
			ev, queue = queue[0], queue[1:]
			next, cmds := step(s, ev, p.cfg.Now())
			if _, quiet := ev.(Tick); !quiet || len(cmds) > 0 || len(next.Calls) != len(s.Calls) {
				log.Debug("event", "event", describe(ev), "status", next.Current().Status, "calls", len(next.Calls), "commands", len(cmds))
			}
			s = next
			if len(cmds) > 0 {
				// Show the new state before the drivers act on it: a
				// command can take a while (hanging up closes the call's
				// media, which flushes the headset's files), and the
				// lamps and the web admin must answer the press at once.
				p.publish(s, &l)
			}
			for _, c := range cmds {
				queue = append(queue, p.exec(c)...)
			}
		}
		p.publish(s, &l)
		followClock()
	}
}

// publish stores a snapshot, sets lamps that changed and wakes watchers.
func (p *Phone) publish(s State, prev *Lamps) {
	old := p.state.Load()
	nl := lamps(s)
	changed := nl != *prev || !reflect.DeepEqual(*old, s)
	p.setLamps(*prev, nl, false)
	*prev = nl
	snap := s.clone()
	p.state.Store(&snap)
	p.lamps.Store(&nl)
	if !changed {
		return
	}
	p.mu.Lock()
	for ch := range p.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	p.mu.Unlock()
}

func (p *Phone) setLamps(old, now Lamps, all bool) {
	if p.cfg.Board == nil {
		return
	}
	for _, lamp := range hw.Lamps {
		if all || old[lamp] != now[lamp] {
			p.cfg.Board.SetLamp(lamp, now[lamp])
		}
	}
}

// exec carries out one command. A driver that refuses is reported back as
// the call ending, with the driver's words as the reason.
func (p *Phone) exec(c Command) []Event {
	t, v, log := p.cfg.Telephony, p.cfg.Voice, p.cfg.Log
	var id call.ID
	var err error
	switch c := c.(type) {
	case cmdRing:
		if v != nil {
			v.Ring(c.On, c.Caller)
		}
		return nil
	case cmdWaiting:
		if v != nil {
			v.Waiting(c.On)
		}
		return nil
	case cmdSaySAS:
		if v != nil {
			v.SaySAS(c.Leg, c.SAS)
		}
		return nil
	case cmdAnnounce:
		if v != nil {
			v.Announce(c.What)
		}
		return nil
	case cmdSayFavourite:
		if v != nil {
			v.SayFavourite(c.Favourite)
		}
		return nil
	case cmdReadFavourites:
		var list []Favourite
		if p.cfg.Favourites != nil {
			list = p.cfg.Favourites()
		}
		return []Event{Favourites{List: list}}
	case cmdOwnerPresent:
		if p.cfg.OwnerPresent != nil {
			p.cfg.OwnerPresent()
		}
		log.Warn("HANGUP and SAS held together: the owner is at the phone")
		return nil
	case cmdMix:
		if p.cfg.Conference != nil {
			p.cfg.Conference.Mix(c.Legs)
		}
		return nil
	case cmdLog:
		if p.cfg.History != nil {
			p.cfg.History.CallLog(c.Record)
		}
		return nil
	case cmdDial:
		if t == nil {
			return []Event{dialFailed("no telephone line is configured")}
		}
		id, err = t.Dial(c.Target)
		if err != nil {
			return []Event{dialFailed(err.Error())}
		}
		return []Event{dialed{ID: id}}
	case cmdDialReferred:
		tr, ok := t.(Transferer)
		if !ok {
			return []Event{dialFailed("this line cannot follow a transfer")}
		}
		id, err = tr.DialReferred(c.Target, c.By)
		if err != nil {
			return []Event{dialFailed(err.Error())}
		}
		return []Event{dialed{ID: id}}
	case cmdTransfer:
		tr, ok := t.(Transferer)
		if !ok {
			return []Event{call.TransferDone{ID: c.ID, Reason: "this line cannot transfer calls"}}
		}
		if err := tr.Transfer(c.ID, c.Target); err != nil {
			return []Event{call.TransferDone{ID: c.ID, Reason: err.Error()}}
		}
		return nil
	}
	if t == nil {
		return nil
	}
	switch c := c.(type) {
	case cmdAnswer:
		id, err = c.ID, t.Answer(c.ID)
	case cmdReject:
		id, err = c.ID, t.Reject(c.ID, c.Reason)
	case cmdForward:
		// A line that cannot forward, or fails to, turns the call away
		// busy: do-not-disturb must not let it ring.
		f, ok := t.(Forwarder)
		if !ok {
			id, err = c.ID, t.Reject(c.ID, call.Busy)
			break
		}
		if ferr := f.Forward(c.ID, c.Target); ferr != nil {
			log.Warn("call not forwarded; turned away busy", "call", c.ID, "err", ferr)
			id, err = c.ID, t.Reject(c.ID, call.Busy)
		}
	case cmdHangup:
		id, err = c.ID, t.Hangup(c.ID)
	case cmdHold:
		id, err = c.ID, t.Hold(c.ID, c.On)
	case cmdVerify:
		id, err = c.ID, t.SetVerified(c.ID, c.Verified)
	case cmdDTMF:
		// A line that cannot send digits, or fails to, does not end the call.
		if d, ok := t.(DTMFSender); ok {
			if err := d.SendDTMF(c.ID, c.Digits); err != nil {
				log.Warn("DTMF not sent", "call", c.ID, "err", err)
			}
		} else {
			log.Warn("this line cannot send DTMF", "call", c.ID)
		}
		return nil
	}
	if err != nil {
		log.Warn("telephony refused", "call", id, "err", err)
		return []Event{call.Ended{ID: id, Reason: err.Error()}}
	}
	return nil
}

func describe(ev Event) string {
	switch ev := ev.(type) {
	case hw.Press:
		return "press " + ev.String()
	case Dial:
		return "dial" // the number is private; it is in the state, not the log
	}
	return fmt.Sprintf("%T", ev)
}
