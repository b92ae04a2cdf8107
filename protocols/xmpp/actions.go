package xmpp

import (
	"context"
	"encoding/xml"
	"fmt"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// parseContact checks a contact address and returns its bare form.
func parseContact(s string) (jid.JID, error) {
	j, err := jid.Parse(s)
	if err != nil {
		return jid.JID{}, fmt.Errorf("%q is not a valid XMPP address: %w", s, err)
	}
	return j.Bare(), nil
}

// textElement is a token reader for <name>text</name>.
func textElement(name, text string) xml.TokenReader {
	return xmlstream.Wrap(xmlstream.Token(xml.CharData(text)), xml.StartElement{Name: xml.Name{Local: name}})
}

// setRosterItem sends a roster set and waits for the server's result. The
// change itself arrives as a roster push.
func (c *Client) setRosterItem(ctx context.Context, it rosterItem) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	item := xml.StartElement{Name: xml.Name{Local: "item"}, Attr: []xml.Attr{{Name: xml.Name{Local: "jid"}, Value: it.JID}}}
	if it.Name != "" {
		item.Attr = append(item.Attr, xml.Attr{Name: xml.Name{Local: "name"}, Value: it.Name})
	}
	if it.Subscription != "" {
		item.Attr = append(item.Attr, xml.Attr{Name: xml.Name{Local: "subscription"}, Value: it.Subscription})
	}
	var groups []xml.TokenReader
	for _, g := range it.Groups {
		if g != "" {
			groups = append(groups, textElement("group", g))
		}
	}
	payload := xmlstream.Wrap(xmlstream.Wrap(xmlstream.MultiReader(groups...), item), xml.StartElement{Name: xml.Name{Space: nsRoster, Local: "query"}})
	r, err := c.acct.sendIQ(ctx, s, stanza.IQ{Type: stanza.SetIQ}, payload)
	if err != nil {
		return fmt.Errorf("roster update for %s: %w", it.JID, err)
	}
	if err := replyErr(r); err != nil {
		return fmt.Errorf("roster update for %s: %w", it.JID, err)
	}
	return nil
}

// contact returns a roster entry or an error naming it.
func (c *Client) contact(j jid.JID) (Contact, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ct, ok := c.roster[j.String()]
	if !ok {
		return Contact{}, fmt.Errorf("%s is not in the contact list", j)
	}
	return ct, nil
}

func groupList(group string) []string {
	if group == "" {
		return nil
	}
	return []string{group}
}

// AddContact puts a contact in the roster with a display name and group
// ("" for none) and asks to see their presence.
func (c *Client) AddContact(ctx context.Context, contact, name, group string) error {
	j, err := parseContact(contact)
	if err != nil {
		return err
	}
	if err := c.setRosterItem(ctx, rosterItem{JID: j.String(), Name: name, Groups: groupList(group)}); err != nil {
		return err
	}
	return c.sendSubscription(ctx, j, stanza.SubscribePresence)
}

// RenameContact changes a contact's display name, keeping its groups.
func (c *Client) RenameContact(ctx context.Context, contact, name string) error {
	j, err := parseContact(contact)
	if err != nil {
		return err
	}
	ct, err := c.contact(j)
	if err != nil {
		return err
	}
	return c.setRosterItem(ctx, rosterItem{JID: ct.JID, Name: name, Groups: ct.Groups})
}

// MoveContact puts a contact in one group ("" for none), keeping its name.
func (c *Client) MoveContact(ctx context.Context, contact, group string) error {
	j, err := parseContact(contact)
	if err != nil {
		return err
	}
	ct, err := c.contact(j)
	if err != nil {
		return err
	}
	return c.setRosterItem(ctx, rosterItem{JID: ct.JID, Name: ct.Name, Groups: groupList(group)})
}

// RemoveContact deletes a contact from the roster; the server also cancels
// the presence subscriptions both ways.
func (c *Client) RemoveContact(ctx context.Context, contact string) error {
	j, err := parseContact(contact)
	if err != nil {
		return err
	}
	return c.setRosterItem(ctx, rosterItem{JID: j.String(), Subscription: "remove"})
}

// Authorize accepts a subscription request: the contact may see our
// presence, and we ask to see theirs unless we already do or asked.
func (c *Client) Authorize(ctx context.Context, contact string) error {
	j, err := parseContact(contact)
	if err != nil {
		return err
	}
	if err := c.sendSubscription(ctx, j, stanza.SubscribedPresence); err != nil {
		return err
	}
	if ct, err := c.contact(j); err == nil && (ct.Subscription == "to" || ct.Subscription == "both" || ct.Asked) {
		return nil
	}
	return c.sendSubscription(ctx, j, stanza.SubscribePresence)
}

// Deny refuses a subscription request (or withdraws an authorisation).
// To ignore a request, do nothing.
func (c *Client) Deny(ctx context.Context, contact string) error {
	j, err := parseContact(contact)
	if err != nil {
		return err
	}
	return c.sendSubscription(ctx, j, stanza.UnsubscribedPresence)
}

func (c *Client) sendSubscription(ctx context.Context, to jid.JID, typ stanza.PresenceType) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx, c.acct.cfg.Timeout)
	defer cancel()
	if err := s.Send(ctx, stanza.Presence{To: to, Type: typ}.Wrap(nil)); err != nil {
		return fmt.Errorf("send %s to %s: %w", typ, to, err)
	}
	return nil
}

// sendPresence broadcasts our availability and waits until the server
// reflects it back (RFC 6121 §4.2.2), so that once Connected is reported
// the server routes messages to this session. A server that does not
// reflect it is given Timeout, then trusted anyway.
func (c *Client) sendPresence(ctx context.Context, s interface {
	Send(context.Context, xml.TokenReader) error
}) error {
	ctx, cancel := withTimeout(ctx, c.acct.cfg.Timeout)
	defer cancel()
	echo := &presenceEcho{id: randomID(), done: make(chan struct{})}
	c.mu.Lock()
	c.presenceEcho = echo
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.presenceEcho = nil
		c.mu.Unlock()
	}()
	if err := s.Send(ctx, stanza.Presence{ID: echo.id}.Wrap(c.acct.cfg.Caps.element())); err != nil {
		return err
	}
	select {
	case <-echo.done:
	case <-ctx.Done():
		if c.ctx.Err() != nil {
			return ctx.Err()
		}
		c.acct.log.Warn("xmpp server did not reflect our presence; going on", "within", c.acct.cfg.Timeout)
	}
	return nil
}

// presenceEcho waits for the server to reflect a presence with this id.
type presenceEcho struct {
	id   string
	done chan struct{}
}

// SendChat sends a chat message (type "chat") to a contact's bare JID.
func (c *Client) SendChat(ctx context.Context, to, body string) error {
	j, err := parseContact(to)
	if err != nil {
		return err
	}
	s, err := c.session()
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx, c.acct.cfg.Timeout)
	defer cancel()
	msg := stanza.Message{ID: randomID(), To: j, Type: stanza.ChatMessage}
	if err := s.Send(ctx, msg.Wrap(textElement("body", body))); err != nil {
		return fmt.Errorf("send message to %s: %w", j, err)
	}
	return nil
}
