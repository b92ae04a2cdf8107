package xmpp

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// Group chat: XEP-0045 rooms (join with a nickname and an optional
// password, leave, occupants, messages) and invitations, direct (XEP-0249)
// or through the room (XEP-0045 §7.8.2).

const (
	nsMUC        = "http://jabber.org/protocol/muc"
	nsMUCUser    = "http://jabber.org/protocol/muc#user"
	nsConference = "jabber:x:conference"
	nsDelay      = "urn:xmpp:delay"
)

// RoomPresence: an occupant of a room came, changed or left. Self marks
// our own occupant (the server's status 110): the first available one
// means we are in, an unavailable one that we are out (left, kicked,
// banned, or the room was destroyed).
type RoomPresence struct {
	Room, Nick        string
	Available         bool
	Role, Affiliation string
	Self              bool
	Show, Status      string
}

// RoomMessage is a message sent to a room (type groupchat). Nick is the
// sender's nickname ("" for the room itself); Delayed marks history the
// room replays on join, with the time it was first sent.
type RoomMessage struct {
	Room, Nick, ID, Body string
	Delayed              bool
	Time                 time.Time
}

// RoomError: the room refused something we sent it (a message, a nick
// change) after we joined.
type RoomError struct {
	Room string
	Err  error
}

// Invitation to a room. Direct invitations (XEP-0249) come from the person;
// mediated ones (XEP-0045) through the room, From then being the inviter
// the room names. Accept by joining; Decline tells a mediated inviter.
type Invitation struct {
	From, Room, Password, Reason string
	Direct                       bool
}

func (RoomPresence) isEvent() {}
func (RoomMessage) isEvent()  {}
func (RoomError) isEvent()    {}
func (Invitation) isEvent()   {}

// mucUser is <x xmlns='http://jabber.org/protocol/muc#user'/>.
type mucUser struct {
	Items []struct {
		Affiliation string `xml:"affiliation,attr"`
		Role        string `xml:"role,attr"`
	} `xml:"item"`
	Status []struct {
		Code int `xml:"code,attr"`
	} `xml:"status"`
	Invite *struct {
		From   string `xml:"from,attr"`
		Reason string `xml:"reason"`
	} `xml:"invite"`
	Password string `xml:"password"`
}

func (m *mucUser) has(code int) bool {
	for _, s := range m.Status {
		if s.Code == code {
			return true
		}
	}
	return false
}

// conferenceX is XEP-0249's <x xmlns='jabber:x:conference'/>.
type conferenceX struct {
	JID      string `xml:"jid,attr"`
	Password string `xml:"password,attr"`
	Reason   string `xml:"reason,attr"`
}

type delay struct {
	Stamp string `xml:"stamp,attr"`
}

// roomState is what the client knows of a room it is in or joining.
type roomState struct {
	nick   string
	joined chan error // closed with the join's outcome; nil once joined
}

// parseRoom checks a room address and returns its bare form.
func parseRoom(s string) (jid.JID, error) {
	j, err := jid.Parse(s)
	if err != nil || j.Localpart() == "" {
		return jid.JID{}, fmt.Errorf("%q is not a room address (write it as room@conference.server)", s)
	}
	return j.Bare(), nil
}

// JoinRoom enters a room with a nickname (and the room's password, if it
// has one) and returns once the room let us in, or why it did not: a wrong
// or missing password (not-authorized), the nickname in use (conflict),
// members only (registration-required), banned (forbidden), full
// (service-unavailable). The room's history, its occupants and then live
// messages follow as events. Joining a room we are in is a no-op.
func (c *Client) JoinRoom(ctx context.Context, room, nick, password string) error {
	r, err := parseRoom(room)
	if err != nil {
		return err
	}
	nick = strings.TrimSpace(nick)
	full, err := r.WithResource(nick)
	if err != nil || nick == "" {
		return fmt.Errorf("%q is not a usable nickname", nick)
	}
	s, err := c.session()
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	c.mu.Lock()
	if c.rooms == nil {
		c.rooms = map[string]*roomState{}
	}
	if st, ok := c.rooms[r.String()]; ok && st.joined == nil && st.nick == nick {
		c.mu.Unlock()
		return nil
	}
	c.rooms[r.String()] = &roomState{nick: nick, joined: done}
	c.mu.Unlock()
	var x []xml.TokenReader
	if password != "" {
		x = append(x, textElement("password", password))
	}
	// Ask for a little history: enough to see what was said just before.
	x = append(x, xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Local: "history"}, Attr: []xml.Attr{{Name: xml.Name{Local: "maxstanzas"}, Value: "20"}}}))
	payload := xmlstream.Wrap(xmlstream.MultiReader(x...), xml.StartElement{Name: xml.Name{Space: nsMUC, Local: "x"}})
	ctx, cancel := withTimeout(ctx, c.acct.cfg.Timeout)
	defer cancel()
	if err := s.Send(ctx, stanza.Presence{To: full}.Wrap(payload)); err != nil {
		c.forgetRoom(r.String(), done)
		return fmt.Errorf("join %s: %w", r, err)
	}
	select {
	case err := <-done:
		if err != nil {
			c.forgetRoom(r.String(), done)
			return fmt.Errorf("join %s as %s: %w", r, nick, roomRefusal(err))
		}
		return nil
	case <-ctx.Done():
		c.forgetRoom(r.String(), done)
		return fmt.Errorf("join %s: the room did not answer: %w", r, ctx.Err())
	}
}

func (c *Client) forgetRoom(room string, joining chan error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.rooms[room]; ok && st.joined == joining {
		delete(c.rooms, room)
	}
}

// roomRefusal explains a room's error presence.
func roomRefusal(err error) error {
	var re *RefusedError
	if !errors.As(err, &re) {
		return err
	}
	switch re.Condition {
	case "not-authorized":
		return fmt.Errorf("the room needs a password, or this one is wrong (%w)", err)
	case "conflict":
		return fmt.Errorf("that nickname is taken in the room, choose another (%w)", err)
	case "registration-required":
		return fmt.Errorf("the room is for members only (%w)", err)
	case "forbidden":
		return fmt.Errorf("you are banned from the room (%w)", err)
	case "service-unavailable":
		return fmt.Errorf("the room is full (%w)", err)
	case "item-not-found":
		return fmt.Errorf("the room does not exist and cannot be created (%w)", err)
	}
	return err
}

// LeaveRoom leaves a room (an unavailable presence to our occupant).
func (c *Client) LeaveRoom(ctx context.Context, room string) error {
	r, err := parseRoom(room)
	if err != nil {
		return err
	}
	c.mu.Lock()
	st, ok := c.rooms[r.String()]
	delete(c.rooms, r.String())
	c.mu.Unlock()
	if !ok {
		return nil
	}
	s, err := c.session()
	if err != nil {
		return err
	}
	full, err := r.WithResource(st.nick)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx, c.acct.cfg.Timeout)
	defer cancel()
	return s.Send(ctx, stanza.Presence{To: full, Type: stanza.UnavailablePresence}.Wrap(nil))
}

// SendRoom sends a message to everyone in a room we are in.
func (c *Client) SendRoom(ctx context.Context, room, body string) error {
	r, err := parseRoom(room)
	if err != nil {
		return err
	}
	c.mu.Lock()
	st, ok := c.rooms[r.String()]
	in := ok && st.joined == nil
	c.mu.Unlock()
	if !in {
		return fmt.Errorf("not in the room %s: join it first", r)
	}
	s, err := c.session()
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx, c.acct.cfg.Timeout)
	defer cancel()
	msg := stanza.Message{ID: randomID(), To: r, Type: stanza.GroupChatMessage}
	if err := s.Send(ctx, msg.Wrap(textElement("body", body))); err != nil {
		return fmt.Errorf("send to room %s: %w", r, err)
	}
	return nil
}

// Invite invites a contact to a room directly (XEP-0249).
func (c *Client) Invite(ctx context.Context, room, contact, reason string) error {
	r, err := parseRoom(room)
	if err != nil {
		return err
	}
	to, err := parseContact(contact)
	if err != nil {
		return err
	}
	s, err := c.session()
	if err != nil {
		return err
	}
	attrs := []xml.Attr{{Name: xml.Name{Local: "jid"}, Value: r.String()}}
	if reason != "" {
		attrs = append(attrs, xml.Attr{Name: xml.Name{Local: "reason"}, Value: reason})
	}
	x := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: nsConference, Local: "x"}, Attr: attrs})
	ctx, cancel := withTimeout(ctx, c.acct.cfg.Timeout)
	defer cancel()
	return s.Send(ctx, stanza.Message{ID: randomID(), To: to, Type: stanza.NormalMessage}.Wrap(x))
}

// Decline answers an invitation with no: a mediated one is declined
// through the room (XEP-0045 §7.8.2); XEP-0249 defines no answer, so a
// direct one is simply not acted on.
func (c *Client) Decline(ctx context.Context, inv Invitation, reason string) error {
	if inv.Direct {
		return nil
	}
	r, err := parseRoom(inv.Room)
	if err != nil {
		return err
	}
	s, err := c.session()
	if err != nil {
		return err
	}
	var inner []xml.TokenReader
	if reason != "" {
		inner = append(inner, textElement("reason", reason))
	}
	decl := xml.StartElement{Name: xml.Name{Local: "decline"}}
	if inv.From != "" {
		decl.Attr = []xml.Attr{{Name: xml.Name{Local: "to"}, Value: inv.From}}
	}
	x := xmlstream.Wrap(xmlstream.Wrap(xmlstream.MultiReader(inner...), decl), xml.StartElement{Name: xml.Name{Space: nsMUCUser, Local: "x"}})
	ctx, cancel := withTimeout(ctx, c.acct.cfg.Timeout)
	defer cancel()
	return s.Send(ctx, stanza.Message{ID: randomID(), To: r}.Wrap(x))
}

// roomOf returns the room state for a stanza's sender, if it is a room we
// are in or joining.
func (c *Client) roomOf(bare string) (*roomState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.rooms[bare]
	return st, ok
}

// onRoomPresence handles a presence from a room's occupant; it reports
// whether the presence was a room's.
func (c *Client) onRoomPresence(p inPresence) bool {
	bare, nick := splitFrom(p.From)
	st, ok := c.roomOf(bare)
	if !ok && p.MUC == nil {
		return false
	}
	if !ok {
		return true // a room we are not in: stale, ignore
	}
	if nick == "" && p.Type != "error" {
		return true // the room's own presence (ejabberd: its avatar), not an occupant
	}
	if p.Type == "error" {
		err := error(&RefusedError{Condition: "undefined-condition"})
		if p.Error != nil {
			cond, text := p.Error.condition()
			err = &RefusedError{Condition: cond, Text: text}
		}
		c.mu.Lock()
		joining := st.joined
		if joining != nil {
			st.joined = nil
			delete(c.rooms, bare)
		}
		c.mu.Unlock()
		if joining != nil {
			joining <- err
			return true
		}
		c.emit(RoomError{Room: bare, Err: err})
		return true
	}
	ev := RoomPresence{Room: bare, Nick: nick, Available: p.Type == "", Show: p.Show, Status: p.Status}
	if p.MUC != nil {
		if len(p.MUC.Items) > 0 {
			ev.Role, ev.Affiliation = p.MUC.Items[0].Role, p.MUC.Items[0].Affiliation
		}
		ev.Self = p.MUC.has(110)
	}
	c.mu.Lock()
	if ev.Self || nick == st.nick {
		ev.Self = true
		if ev.Available && st.joined != nil {
			st.joined <- nil
			st.joined = nil
		}
		if !ev.Available {
			delete(c.rooms, bare)
		}
	}
	c.mu.Unlock()
	c.emit(ev)
	return true
}

// onRoomMessage handles groupchat messages, room errors and invitations;
// it reports whether the message was one of those.
func (c *Client) onRoomMessage(m inMessage) bool {
	bare, nick := splitFrom(m.From)
	switch {
	case m.Conference != nil && m.Conference.JID != "":
		room, err := parseRoom(m.Conference.JID)
		if err != nil {
			return true
		}
		c.emit(Invitation{From: bare, Room: room.String(), Password: m.Conference.Password, Reason: m.Conference.Reason, Direct: true})
		return true
	case m.MUC != nil && m.MUC.Invite != nil:
		c.emit(Invitation{From: bareString(m.MUC.Invite.From), Room: bare, Password: m.MUC.Password, Reason: m.MUC.Invite.Reason})
		return true
	}
	if _, ok := c.roomOf(bare); !ok {
		return false
	}
	switch m.Type {
	case "groupchat":
		body := firstBody(m.Body)
		if body == "" {
			return true // a subject change or a chat state
		}
		ev := RoomMessage{Room: bare, Nick: nick, ID: m.ID, Body: body}
		if m.Delay != nil {
			if ts, err := time.Parse(time.RFC3339, m.Delay.Stamp); err == nil {
				ev.Delayed, ev.Time = true, ts
			}
		}
		c.emit(ev)
	case "error":
		err := error(&RefusedError{Condition: "undefined-condition"})
		if m.Error != nil {
			cond, text := m.Error.condition()
			err = &RefusedError{Condition: cond, Text: text}
		}
		c.emit(RoomError{Room: bare, Err: err})
	default:
		return false // a private message through the room: a chat
	}
	return true
}

func firstBody(bodies []string) string {
	for _, b := range bodies {
		if b != "" {
			return b
		}
	}
	return ""
}
