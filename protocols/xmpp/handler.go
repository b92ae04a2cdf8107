package xmpp

import (
	"context"
	"encoding/xml"
	"fmt"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

const nsRoster = "jabber:iq:roster"

// rosterItem is a roster <item/> as sent and received.
type rosterItem struct {
	JID          string   `xml:"jid,attr"`
	Name         string   `xml:"name,attr,omitempty"`
	Subscription string   `xml:"subscription,attr,omitempty"`
	Ask          string   `xml:"ask,attr,omitempty"`
	Groups       []string `xml:"group,omitempty"`
}

func (it rosterItem) contact() Contact {
	sub := it.Subscription
	if sub == "" {
		sub = "none"
	}
	return Contact{JID: bareString(it.JID), Name: it.Name, Groups: it.Groups, Subscription: sub, Asked: it.Ask == "subscribe"}
}

type rosterQuery struct {
	XMLName xml.Name     `xml:"jabber:iq:roster query"`
	Ver     string       `xml:"ver,attr,omitempty"`
	Items   []rosterItem `xml:"item"`
}

// stanzaError is the <error/> child of an IQ, message or presence.
type stanzaError struct {
	Type     string `xml:"type,attr"`
	Children []struct {
		XMLName xml.Name
		Text    string `xml:",chardata"`
	} `xml:",any"`
}

// condition returns the defined condition and the human text, if any.
func (e *stanzaError) condition() (cond, text string) {
	for _, ch := range e.Children {
		if ch.XMLName.Local == "text" {
			text = ch.Text
		} else if cond == "" {
			cond = ch.XMLName.Local
		}
	}
	return cond, text
}

// iqReply is the part of an IQ response this package reads.
type iqReply struct {
	Type    string        `xml:"type,attr"`
	Roster  *rosterQuery  `xml:"jabber:iq:roster query"`
	Pubsub  *pubsubReply  `xml:"http://jabber.org/protocol/pubsub pubsub"`
	Private *privateReply `xml:"jabber:iq:private query"`
	Error   *stanzaError  `xml:"error"`
}

// sendIQ sends an IQ (get or set) with one payload and decodes the reply.
// An error reply is returned as a reply (see replyErr); only transport
// failures are errors.
func (a *account) sendIQ(ctx context.Context, s sessionIQ, iq stanza.IQ, payload xml.TokenReader) (*iqReply, error) {
	ctx, cancel := withTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	resp, err := s.SendIQ(ctx, iq.Wrap(payload))
	if err != nil {
		return nil, err
	}
	defer resp.Close()
	d := xml.NewTokenDecoder(resp)
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	start, ok := tok.(xml.StartElement)
	if !ok {
		return nil, fmt.Errorf("unexpected %T in IQ response", tok)
	}
	var r iqReply
	if err := d.DecodeElement(&r, &start); err != nil {
		return nil, err
	}
	return &r, nil
}

// sessionIQ is the part of *xmpp.Session sendIQ needs.
type sessionIQ interface {
	SendIQ(ctx context.Context, r xml.TokenReader) (xmlstream.TokenReadCloser, error)
}

func replyErr(r *iqReply) error {
	if r.Type != "error" {
		return nil
	}
	e := &RefusedError{Condition: "undefined-condition"}
	if r.Error != nil {
		e.Condition, e.Text = r.Error.condition()
	}
	return e
}

func (a *account) fetchRoster(ctx context.Context, s sessionIQ) (map[string]Contact, error) {
	r, err := a.sendIQ(ctx, s, stanza.IQ{Type: stanza.GetIQ}, xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: nsRoster, Local: "query"}}))
	if err != nil {
		return nil, err
	}
	if err := replyErr(r); err != nil {
		return nil, err
	}
	m := make(map[string]Contact)
	if r.Roster != nil {
		for _, it := range r.Roster.Items {
			ct := it.contact()
			m[ct.JID] = ct
		}
	}
	return m, nil
}

// Incoming stanzas, decoded whole.
type inMessage struct {
	Type       string       `xml:"type,attr"`
	From       string       `xml:"from,attr"`
	ID         string       `xml:"id,attr"`
	Body       []string     `xml:"body"`
	Delay      *delay       `xml:"urn:xmpp:delay delay"`
	Conference *conferenceX `xml:"jabber:x:conference x"`
	MUC        *mucUser     `xml:"http://jabber.org/protocol/muc#user x"`
	Error      *stanzaError `xml:"error"`
}

type inPresence struct {
	Type   string       `xml:"type,attr"`
	From   string       `xml:"from,attr"`
	ID     string       `xml:"id,attr"`
	Show   string       `xml:"show"`
	Status string       `xml:"status"`
	MUC    *mucUser     `xml:"http://jabber.org/protocol/muc#user x"`
	Error  *stanzaError `xml:"error"`
}

type inIQ struct {
	Type   string       `xml:"type,attr"`
	ID     string       `xml:"id,attr"`
	From   string       `xml:"from,attr"`
	Roster *rosterQuery `xml:"jabber:iq:roster query"`
}

// handle is the session's stanza handler. It runs on the reader goroutine
// with the stream locked, so it must not send through the session; it only
// updates state, queues events and writes IQ results through t.
func (c *Client) handle(t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	t, done, err := c.extend(t, start) // other protocols' handlers (iq.go)
	if done || err != nil {
		return err
	}
	// The decoder must see the start element too, or it rejects the end.
	d := xml.NewTokenDecoder(xmlstream.MultiReader(xmlstream.Token(*start), t))
	switch start.Name.Local {
	case "message":
		var m inMessage
		if err := d.Decode(&m); err != nil {
			return err
		}
		c.onMessage(m)
	case "presence":
		var p inPresence
		if err := d.Decode(&p); err != nil {
			return err
		}
		c.onPresence(p)
	case "iq":
		var iq inIQ
		if err := d.Decode(&iq); err != nil {
			return err
		}
		// A roster push is only genuine from our own account (RFC 6121
		// §2.1.6); the session has already blanked "from" when it was our
		// bare JID. Anything else is left to the session's default
		// service-unavailable reply.
		if iq.Type == "set" && iq.Roster != nil && iq.From == "" {
			c.onRosterPush(iq.Roster.Items)
			_, err := xmlstream.Copy(t, stanza.IQ{ID: iq.ID, Type: stanza.ResultIQ}.Wrap(nil))
			return err
		}
	}
	return nil
}

func splitFrom(from string) (bare, resource string) {
	j, err := jid.Parse(from)
	if err != nil {
		return from, ""
	}
	return j.Bare().String(), j.Resourcepart()
}

func (c *Client) onMessage(m inMessage) {
	if c.onRoomMessage(m) {
		return
	}
	switch m.Type {
	case "", "normal", "chat":
	default: // error, groupchat, headline
		c.acct.log.Debug("xmpp message ignored", "type", m.Type, "from", m.From)
		return
	}
	body := ""
	for _, b := range m.Body {
		if b != "" {
			body = b
			break
		}
	}
	if body == "" {
		return // chat states and receipts without text
	}
	bare, res := splitFrom(m.From)
	c.emit(Message{From: bare, Resource: res, ID: m.ID, Body: body})
}

func (c *Client) onPresence(p inPresence) {
	c.mu.Lock()
	echo := c.presenceEcho
	if echo != nil && p.ID == echo.id && p.Type == "" {
		// The server reflecting our initial presence: it is now in effect.
		c.presenceEcho = nil
		close(echo.done)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if c.onRoomPresence(p) {
		return
	}
	bare, res := splitFrom(p.From)
	switch p.Type {
	case "":
		c.emit(Presence{From: bare, Resource: res, Available: true, Show: p.Show, Status: p.Status})
	case "unavailable":
		c.emit(Presence{From: bare, Resource: res, Status: p.Status})
	case "subscribe":
		c.emit(SubscriptionRequest{From: bare})
	default: // subscribed, unsubscribe(d), probe, error: the roster push says what changed
		c.acct.log.Debug("xmpp presence", "type", p.Type, "from", p.From)
	}
}

func (c *Client) onRosterPush(items []rosterItem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.connecting {
		// The roster is being fetched: the answer may predate this push.
		c.heldPushes = append(c.heldPushes, items)
		return
	}
	c.applyPushLocked(items)
	c.events.push(RosterChanged{Contacts: c.snapshotLocked()})
}

// emit queues an event, or holds it while the session is being set up.
func (c *Client) emit(ev Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.connecting {
		c.heldEvents = append(c.heldEvents, ev)
		return
	}
	c.events.push(ev)
}

// installRosterLocked takes a fetched roster and applies the pushes held
// while it was fetched.
func (c *Client) installRosterLocked(contacts map[string]Contact) {
	c.roster = contacts
	for _, items := range c.heldPushes {
		c.applyPushLocked(items)
	}
	c.heldPushes = nil
}

func (c *Client) applyPushLocked(items []rosterItem) {
	if c.roster == nil {
		c.roster = make(map[string]Contact)
	}
	for _, it := range items {
		ct := it.contact()
		if it.Subscription == "remove" {
			delete(c.roster, ct.JID)
			continue
		}
		c.roster[ct.JID] = ct
	}
}
