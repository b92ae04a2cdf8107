package messaging

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/padlock-phone/padlock/protocols/xmpp"
)

// ClientWatcher is told when an account's XMPP client starts (c set) and
// stops (c nil), so voice calls (the Jingle line) can ride on the same
// session. It must not block.
type ClientWatcher func(account string, c *xmpp.Client)

var watchers sync.Map // *Service -> ClientWatcher

// WatchClients sets the one watcher of s's clients. Set it before Reload.
func (s *Service) WatchClients(w ClientWatcher) { watchers.Store(s, w) }

func (s *Service) clientUp(account string, c *xmpp.Client) {
	if w, ok := watchers.Load(s); ok {
		w.(ClientWatcher)(account, c)
	}
}

func (s *Service) clientDown(account string) {
	if w, ok := watchers.Load(s); ok {
		w.(ClientWatcher)(account, nil)
	}
}

// jingleAudio are the disco#info features (XEP-0030) of a client that takes
// voice calls the way the Jingle line places them: Jingle (XEP-0166) RTP
// audio (XEP-0167) over ICE-UDP (XEP-0176). A contact with one such device
// online gets a "Call" button.
var jingleAudio = []string{
	"urn:xmpp:jingle:1",
	"urn:xmpp:jingle:apps:rtp:audio",
	"urn:xmpp:jingle:transports:ice-udp:1",
}

// maxProbedResources bounds the devices asked per contact, and probeWait
// how long one may take to answer.
const (
	maxProbedResources = 16
	probeWait          = 15 * time.Second
)

// probeLocked asks a roster contact's device that just came online what
// it can do, once per time it comes online; s.mu is held.
func (s *Service) probeLocked(ac *acct, bare, resource string) {
	if ac.client == nil || !slices.ContainsFunc(ac.roster, func(c xmpp.Contact) bool { return c.JID == bare }) {
		return
	}
	if ac.callable == nil {
		ac.callable = map[string]map[string]bool{}
	}
	m := ac.callable[bare]
	if m == nil {
		m = map[string]bool{}
		ac.callable[bare] = m
	}
	if _, asked := m[resource]; asked || len(m) >= maxProbedResources {
		return
	}
	m[resource] = false
	c := ac.client
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.probes <- struct{}{} // a few at a time: a roster coming online at once waits its turn
		defer func() { <-s.probes }()
		ctx, cancel := context.WithTimeout(context.Background(), probeWait)
		defer cancel()
		ok, err := takesCalls(ctx, c, bare+"/"+resource)
		if err != nil {
			s.cfg.Log.Debug("disco#info failed", "jid", bare+"/"+resource, "err", err)
		}
		if !ok {
			return
		}
		s.mu.Lock()
		_, still := ac.callable[bare][resource]
		if still && ac.client == c {
			ac.callable[bare][resource] = true
		}
		s.mu.Unlock()
		if still {
			s.changed()
		}
	}()
}

// takesCalls asks full for its features and reports whether they include
// Jingle RTP audio over ICE-UDP.
func takesCalls(ctx context.Context, c *xmpp.Client, full string) (bool, error) {
	d, err := c.SendIQPayload(ctx, full, "get", []byte(`<query xmlns="http://jabber.org/protocol/disco#info"/>`))
	if err != nil {
		return false, err
	}
	var q struct {
		Features []struct {
			Var string `xml:"var,attr"`
		} `xml:"feature"`
	}
	if err := d.Decode(&q); err != nil {
		return false, fmt.Errorf("disco#info answer: %w", err)
	}
	has := map[string]bool{}
	for _, f := range q.Features {
		has[f.Var] = true
	}
	for _, want := range jingleAudio {
		if !has[want] {
			return false, nil
		}
	}
	return true, nil
}
