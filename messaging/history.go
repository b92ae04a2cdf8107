package messaging

import (
	"context"
	"errors"
	"sort"

	"github.com/padlock-phone/padlock/store"
)

func historyEntry(id int64, contact string, l Line) store.HistoryEntry {
	dir := store.Out
	if l.In {
		dir = store.In
	}
	return store.HistoryEntry{AccountID: id, Contact: contact, Time: l.Time, Direction: dir, Kind: store.Chat, Body: []byte(l.Body)}
}

// record logs a line to the sealed history when it is on and the vault
// open; otherwise it is held in memory only.
func (s *Service) record(id int64, contact string, l Line) {
	_, err := s.cfg.Store.AddHistory(context.Background(), historyEntry(id, contact, l))
	if err == nil {
		return
	}
	if !errors.Is(err, store.ErrHistoryOff) {
		s.cfg.Log.Info("chat message held in memory", "account", id, "why", err)
		l.toStore = true
	}
	l.Held = true
	s.mu.Lock()
	defer s.mu.Unlock()
	if ac := s.accts[id]; ac != nil {
		h := append(ac.held[contact], l)
		if len(h) > 500 {
			h = h[len(h)-500:]
		}
		ac.held[contact] = h
	}
}

// recordRoom logs a room message: to the sealed history as "nick: text"
// when it is on, else held in memory with its nickname.
func (s *Service) recordRoom(id int64, room string, l, stored Line) {
	_, err := s.cfg.Store.AddHistory(context.Background(), historyEntry(id, room, stored))
	if err == nil {
		return
	}
	if !errors.Is(err, store.ErrHistoryOff) {
		l.toStore = true
	}
	l.Held = true
	s.mu.Lock()
	defer s.mu.Unlock()
	if ac := s.accts[id]; ac != nil {
		h := append(ac.held[room], l)
		if len(h) > 500 {
			h = h[len(h)-500:]
		}
		ac.held[room] = h
	}
}

// flushHeld writes held lines to history once that works (vault unlocked,
// history on); lines that still cannot be written stay held.
func (s *Service) flushHeld(ctx context.Context) {
	if on, err := s.cfg.Store.Bool(ctx, store.LogChatHistory); err != nil || !on {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, ac := range s.accts {
		for contact, lines := range ac.held {
			var keep []Line
			for _, l := range lines {
				if !l.toStore {
					keep = append(keep, l)
					continue
				}
				stored := l
				if l.Nick != "" {
					stored.Body = l.Nick + ": " + l.Body
				}
				if _, err := s.cfg.Store.AddHistory(ctx, historyEntry(id, contact, stored)); err != nil {
					keep = append(keep, l)
				}
			}
			ac.held[contact] = keep
		}
	}
}

// Conversation is the stored history with a contact (when readable) and
// the held lines, oldest first.
func (s *Service) Conversation(ctx context.Context, id int64, contact string) []Line {
	var out []Line
	if hist, err := s.cfg.Store.History(ctx, store.HistoryFilter{AccountID: id, Contact: contact, Kind: store.Chat, Limit: 500}); err == nil {
		for _, e := range hist {
			out = append(out, Line{Time: e.Time, In: e.Direction == store.In, Body: string(e.Body)})
		}
	}
	s.mu.Lock()
	if ac := s.accts[id]; ac != nil {
		out = append(out, ac.held[contact]...)
	}
	s.mu.Unlock()
	out = append(out, s.pendingLines(id, contact)...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// Forget drops the lines held in memory with a contact on every account,
// or with everyone when contact is "" (history purged).
func (s *Service) Forget(contact string) {
	s.mu.Lock()
	for _, ac := range s.accts {
		if contact == "" {
			clear(ac.held)
		} else {
			delete(ac.held, contact)
		}
	}
	s.mu.Unlock()
	s.changed()
}

// MarkRead clears a contact's unread count (its chat page was shown).
// Nothing changes (and no watcher wakes) when there was nothing unread, so
// a chat page's event stream that marks read on every change settles.
func (s *Service) MarkRead(id int64, contact string) {
	s.mu.Lock()
	ac := s.accts[id]
	had := ac != nil && ac.unread[contact] > 0
	if had {
		delete(ac.unread, contact)
	}
	s.mu.Unlock()
	if had {
		s.changed()
	}
}
