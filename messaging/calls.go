package messaging

import (
	"sync"

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
