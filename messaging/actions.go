package messaging

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/store"
)

// Send sends a chat message: over OTR when the conversation is private.
// When it is not and private messaging is required (the default), the
// message is held back, OTR is started, and it goes out once private
// (Private says so); without an OTR key it is refused (ErrPrivateRequired).
func (s *Service) Send(ctx context.Context, id int64, to, body string) error {
	// Unreadable setting: the safe side, require.
	on, err := s.cfg.Store.Bool(ctx, store.RequirePrivateMessaging)
	err = s.sendOTR(ctx, id, to, body, err != nil || on)
	s.changed()
	return err
}

// AddContact, RenameContact, MoveContact and RemoveContact change the roster.
func (s *Service) AddContact(ctx context.Context, id int64, jid, name, group string) error {
	return s.with(id, func(c *xmpp.Client) error { return c.AddContact(ctx, jid, name, group) })
}

func (s *Service) RenameContact(ctx context.Context, id int64, jid, name string) error {
	return s.with(id, func(c *xmpp.Client) error { return c.RenameContact(ctx, jid, name) })
}

func (s *Service) MoveContact(ctx context.Context, id int64, jid, group string) error {
	return s.with(id, func(c *xmpp.Client) error { return c.MoveContact(ctx, jid, group) })
}

func (s *Service) RemoveContact(ctx context.Context, id int64, jid string) error {
	return s.with(id, func(c *xmpp.Client) error { return c.RemoveContact(ctx, jid) })
}

// CreateGroup adds an empty group to choose from. XMPP groups live on the
// server only through their contacts, so an empty one is kept in the
// store (shared by the accounts) and comes back after a restart.
func (s *Service) CreateGroup(ctx context.Context, id int64, name string) error {
	s.mu.Lock()
	_, ok := s.accts[id]
	known := slices.Contains(s.groups, name)
	s.mu.Unlock()
	if !ok {
		return ErrNoAccount
	}
	if known {
		return nil
	}
	if s.cfg.Store != nil {
		if _, err := s.cfg.Store.AddGroup(ctx, name); err != nil && !errors.Is(err, store.ErrDuplicate) {
			return fmt.Errorf("could not keep the group %q: %w", name, err)
		}
	}
	s.mu.Lock()
	if !slices.Contains(s.groups, name) {
		s.groups = append(s.groups, name)
	}
	s.mu.Unlock()
	s.changed()
	return nil
}

// Authorize, Deny and Ignore answer a subscription request. Ignore sends
// nothing: the request stays pending on the server, which offers it again
// at the next login.
func (s *Service) Authorize(ctx context.Context, id int64, from string) error {
	return s.answer(ctx, id, from, func(c *xmpp.Client) error { return c.Authorize(ctx, from) })
}

func (s *Service) Deny(ctx context.Context, id int64, from string) error {
	return s.answer(ctx, id, from, func(c *xmpp.Client) error { return c.Deny(ctx, from) })
}

func (s *Service) Ignore(id int64, from string) {
	s.mu.Lock()
	if ac := s.accts[id]; ac != nil {
		ac.ignored[from] = true
	}
	s.mu.Unlock()
	s.changed()
}

func (s *Service) answer(ctx context.Context, id int64, from string, f func(*xmpp.Client) error) error {
	if err := s.with(id, f); err != nil {
		return err
	}
	s.mu.Lock()
	if ac := s.accts[id]; ac != nil {
		ac.pending = slices.DeleteFunc(ac.pending, func(p string) bool { return p == from })
	}
	s.mu.Unlock()
	s.changed()
	return nil
}

func (s *Service) with(id int64, f func(*xmpp.Client) error) error {
	c := s.client(id)
	if c == nil {
		return ErrNoAccount
	}
	return f(c)
}
