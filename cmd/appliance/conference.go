package main

import (
	"log/slog"
	"sync"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/media/headset"
	"github.com/padlock-phone/padlock/media/mix"
	"github.com/padlock-phone/padlock/phone"
)

// earpiece is the one headset the calls share (media/headset.Headset).
type earpiece interface {
	Attach(c headset.CallAudio) (detach func())
}

// conference routes the calls' audio. A call that is a leg of the local
// conference goes into the mixer (media/mix) and the mixer to the
// headset; any other call goes to the headset itself, the last one to
// come off hold winning as before. It is callmedia's Headset (it learns
// which call attaches) and the brain's phone.Conference (it learns which
// calls are legs), so neither media nor the brain knows the other.
type conference struct {
	ear earpiece
	log *slog.Logger

	mu          sync.Mutex
	attached    []*route         // calls whose audio flows (not on hold), oldest first
	legs        map[call.ID]bool // the brain's conference legs -> mixed
	mixer       *mix.Mixer       // the legs that are attached
	detachMixer func()           // the mixer is on the headset
	mixRate     int              // the rate it was attached at
	solo        *route           // the call on the headset when there is no conference
	detachSolo  func()
}

// route is one call's audio while it flows.
type route struct {
	id    call.ID
	audio headset.CallAudio
}

var (
	_ phone.Conference = (*conference)(nil)
	_ earpiece         = (*conference)(nil)
)

func newConference(ear earpiece, log *slog.Logger) *conference {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &conference{ear: ear, log: log, mixer: mix.New(), legs: map[call.ID]bool{}}
}

// Attach is for audio that names no call: it is never a conference leg.
func (c *conference) Attach(a headset.CallAudio) (detach func()) { return c.AttachLeg("", a) }

// AttachLeg implements callmedia.LegHeadset: call id's audio flows now,
// until detach (it went on hold or ended).
func (c *conference) AttachLeg(id call.ID, a headset.CallAudio) (detach func()) {
	r := &route{id: id, audio: a}
	c.mu.Lock()
	c.attached = append(c.attached, r)
	c.reroute()
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, x := range c.attached {
			if x == r {
				c.attached = append(c.attached[:i], c.attached[i+1:]...)
				c.reroute()
				return
			}
		}
	}
}

// Mix implements phone.Conference.
func (c *conference) Mix(legs []phone.ConferenceLeg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.legs = make(map[call.ID]bool, len(legs))
	for _, l := range legs {
		c.legs[l.ID] = l.Mixed
	}
	c.reroute()
}

// reroute makes the mixer and the headset match the legs and the calls
// that flow; c.mu held.
func (c *conference) reroute() {
	want := map[string]*route{}
	if len(c.legs) > 0 {
		for _, r := range c.attached {
			if _, leg := c.legs[r.id]; leg && r.id != "" {
				want[string(r.id)] = r
			}
		}
	}
	for _, name := range c.mixer.Legs() {
		if _, keep := want[name]; !keep {
			c.mixer.Remove(name)
		}
	}
	in := map[string]bool{}
	for _, name := range c.mixer.Legs() {
		in[name] = true
	}
	for name, r := range want {
		if !in[name] {
			if err := c.mixer.Add(name, r.audio); err != nil {
				c.log.Warn("call not mixed into the conference", "call", r.id, "err", err)
				continue
			}
		}
		c.mixer.SetMixed(name, c.legs[r.id])
	}

	if len(c.mixer.Legs()) > 0 {
		c.dropSolo()
		if c.detachMixer == nil || c.mixRate != c.mixer.Rate() {
			// The headset opens its stream at the rate of what is attached:
			// attach again when a wideband leg came or went.
			if c.detachMixer != nil {
				c.detachMixer()
			}
			c.mixRate = c.mixer.Rate()
			c.detachMixer = c.ear.Attach(c.mixer)
		}
		return
	}
	if c.detachMixer != nil {
		c.detachMixer()
		c.detachMixer, c.mixRate = nil, 0
	}
	var last *route
	if n := len(c.attached); n > 0 {
		last = c.attached[n-1]
	}
	if last != c.solo {
		c.dropSolo()
		if last != nil {
			c.solo, c.detachSolo = last, c.ear.Attach(last.audio)
		}
	}
}

func (c *conference) dropSolo() {
	if c.detachSolo != nil {
		c.detachSolo()
	}
	c.solo, c.detachSolo = nil, nil
}
