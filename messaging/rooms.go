package messaging

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/store"
)

// Group chat. A room is never private: everyone in it and its server read
// every message (OTR works between two people only). So with
// require_private_messaging on, nothing is sent to a room unless the person
// allowed that room explicitly; the allowance lasts while the phone runs.

// ErrRoomNotPrivate refuses a message to a room the person has not allowed
// while private messaging is required.
var ErrRoomNotPrivate = errors.New("this room is not private: everyone in it and its server can read it. Private messaging is required, so nothing was sent; allow this room first if you accept that")

// NotPrivateNotice is what every room page says.
const NotPrivateNotice = "This room is not private: everyone in it and its server can read it."

// Occupant is one person in a room.
type Occupant struct {
	Nick        string `json:"nick"`
	Role        string `json:"role"`
	Affiliation string `json:"affiliation"`
	Show        string `json:"show"`
}

// Room is what the web admin shows of a room.
type Room struct {
	JID       string     `json:"jid"`
	Nick      string     `json:"nick"`
	Joined    bool       `json:"joined"`
	Status    string     `json:"status"`
	Allowed   bool       `json:"allowed"`
	Unread    int        `json:"unread"`
	Occupants []Occupant `json:"occupants"`
}

// Invitation is a pending invitation to a room.
type Invitation struct {
	From   string `json:"from"`
	Room   string `json:"room"`
	Reason string `json:"reason"`
}

// room is an account's state of one room it is in (or rejoins).
type room struct {
	nick, password string
	joined         bool
	status         string
	allowed        bool
	unread         int
	occupants      map[string]Occupant
}

const (
	maxRooms       = 50
	maxInvitations = 20
)

// Rooms lists an account's rooms, sorted by address.
func (s *Service) Rooms(id int64) []Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	ac := s.accts[id]
	if ac == nil {
		return nil
	}
	return roomsLocked(ac)
}

func roomsLocked(ac *acct) []Room {
	out := make([]Room, 0, len(ac.rooms))
	for j, r := range ac.rooms {
		v := Room{JID: j, Nick: r.nick, Joined: r.joined, Status: r.status, Allowed: r.allowed, Unread: r.unread}
		for _, o := range r.occupants {
			v.Occupants = append(v.Occupants, o)
		}
		sort.Slice(v.Occupants, func(a, b int) bool { return v.Occupants[a].Nick < v.Occupants[b].Nick })
		out = append(out, v)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].JID < out[b].JID })
	return out
}

// Room returns one room of an account.
func (s *Service) Room(id int64, jid string) (Room, bool) {
	for _, r := range s.Rooms(id) {
		if r.JID == jid {
			return r, true
		}
	}
	return Room{}, false
}

// Invitations lists an account's pending invitations.
func (s *Service) Invitations(id int64) []Invitation {
	s.mu.Lock()
	defer s.mu.Unlock()
	ac := s.accts[id]
	if ac == nil {
		return nil
	}
	out := make([]Invitation, 0, len(ac.invites))
	for _, inv := range ac.invites {
		out = append(out, Invitation{From: inv.From, Room: inv.Room, Reason: inv.Reason})
	}
	return out
}

// JoinRoom enters a room and bookmarks it (autojoin), so that it comes
// back after a restart. nick "" is the account's user name.
func (s *Service) JoinRoom(ctx context.Context, id int64, jid, nick, password string) error {
	return s.joinRoom(ctx, id, jid, nick, password, true)
}

// joinRoom joins, and bookmarks the room if asked (not when rejoining
// what is already bookmarked).
func (s *Service) joinRoom(ctx context.Context, id int64, jid, nick, password string, bookmark bool) error {
	ac := s.account(id)
	if ac == nil {
		return ErrNoAccount
	}
	c := s.client(id)
	if c == nil {
		return ErrNoAccount
	}
	jid = strings.ToLower(strings.TrimSpace(jid))
	if nick = strings.TrimSpace(nick); nick == "" {
		nick = ac.a.User
	}
	s.mu.Lock()
	_, known := ac.rooms[jid]
	full := !known && len(ac.rooms) >= maxRooms
	s.mu.Unlock()
	if full {
		return fmt.Errorf("already in %d rooms: leave one first", maxRooms)
	}
	// The room state exists before the join: the room sends the other
	// occupants' presence before ours.
	s.mu.Lock()
	r := ac.rooms[jid]
	if r == nil {
		r = &room{occupants: map[string]Occupant{}}
		if ac.rooms == nil {
			ac.rooms = map[string]*room{}
		}
		ac.rooms[jid] = r
	}
	r.nick, r.status = nick, "joining"
	s.mu.Unlock()
	if err := c.JoinRoom(ctx, jid, nick, password); err != nil {
		s.mu.Lock()
		if !known && ac.rooms[jid] == r {
			delete(ac.rooms, jid)
		} else {
			r.status = "could not join: " + err.Error()
		}
		s.mu.Unlock()
		s.changed()
		return err
	}
	s.mu.Lock()
	r.password, r.joined, r.status = password, true, "joined"
	ac.invites = slices.DeleteFunc(ac.invites, func(inv xmpp.Invitation) bool { return inv.Room == jid })
	s.mu.Unlock()
	s.changed()
	if !bookmark {
		return nil
	}
	if err := c.SaveBookmark(ctx, xmpp.Bookmark{Room: jid, Nick: nick, Password: password, Autojoin: true}); err != nil {
		s.cfg.Log.Warn("room joined but not bookmarked: it will not come back after a restart", "account", id, "room", jid, "err", err)
		return fmt.Errorf("joined %s, but the server would not keep it for the next start: %w", jid, err)
	}
	return nil
}

// LeaveRoom leaves a room and removes its bookmark.
func (s *Service) LeaveRoom(ctx context.Context, id int64, jid string) error {
	ac := s.account(id)
	c := s.client(id)
	if ac == nil || c == nil {
		return ErrNoAccount
	}
	err := c.LeaveRoom(ctx, jid)
	s.mu.Lock()
	delete(ac.rooms, jid)
	s.mu.Unlock()
	s.changed()
	if berr := c.RemoveBookmark(ctx, jid); berr != nil {
		err = errors.Join(err, fmt.Errorf("left %s, but its bookmark stays: %w", jid, berr))
	}
	return err
}

// AllowRoom records that the person accepts sending to a room that is not
// private (needed while private messaging is required).
func (s *Service) AllowRoom(id int64, jid string, allowed bool) error {
	s.mu.Lock()
	ac := s.accts[id]
	var r *room
	if ac != nil {
		r = ac.rooms[jid]
	}
	if r != nil {
		r.allowed = allowed
	}
	s.mu.Unlock()
	if r == nil {
		return fmt.Errorf("not in the room %s", jid)
	}
	s.changed()
	return nil
}

// SendRoom sends a message to a room. With private messaging required it
// is refused, and nothing leaves the phone, unless the room was allowed.
func (s *Service) SendRoom(ctx context.Context, id int64, jid, body string) error {
	on, err := s.cfg.Store.Bool(ctx, store.RequirePrivateMessaging)
	s.mu.Lock()
	ac := s.accts[id]
	var r *room
	if ac != nil {
		r = ac.rooms[jid]
	}
	allowed := r != nil && r.allowed
	s.mu.Unlock()
	if ac == nil {
		return ErrNoAccount
	}
	if r == nil {
		return fmt.Errorf("not in the room %s: join it first", jid)
	}
	// Unreadable setting: the safe side, require.
	if (err != nil || on) && !allowed {
		return ErrRoomNotPrivate
	}
	c := s.client(id)
	if c == nil {
		return ErrNoAccount
	}
	return c.SendRoom(ctx, jid, body)
}

// AcceptInvitation joins the room of a pending invitation.
func (s *Service) AcceptInvitation(ctx context.Context, id int64, jid, nick string) error {
	inv, ok := s.invitation(id, jid)
	if !ok {
		return fmt.Errorf("no invitation to %s", jid)
	}
	return s.JoinRoom(ctx, id, jid, nick, inv.Password)
}

// DeclineInvitation drops a pending invitation (telling the inviter when
// it came through the room).
func (s *Service) DeclineInvitation(ctx context.Context, id int64, jid string) error {
	inv, ok := s.invitation(id, jid)
	if !ok {
		return fmt.Errorf("no invitation to %s", jid)
	}
	s.mu.Lock()
	if ac := s.accts[id]; ac != nil {
		ac.invites = slices.DeleteFunc(ac.invites, func(i xmpp.Invitation) bool { return i.Room == jid })
	}
	s.mu.Unlock()
	s.changed()
	if c := s.client(id); c != nil {
		return c.Decline(ctx, inv, "")
	}
	return nil
}

func (s *Service) invitation(id int64, jid string) (xmpp.Invitation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ac := s.accts[id]; ac != nil {
		for _, inv := range ac.invites {
			if inv.Room == jid {
				return inv, true
			}
		}
	}
	return xmpp.Invitation{}, false
}

// RoomConversation is a room's messages (sealed history when it is on,
// and what is held in memory), oldest first, with the sender's nickname.
func (s *Service) RoomConversation(ctx context.Context, id int64, jid string) []Line {
	lines := s.Conversation(ctx, id, jid)
	for i := range lines {
		if lines[i].Nick == "" {
			// From history: stored as "nick: text".
			if n, body, ok := strings.Cut(lines[i].Body, ": "); ok {
				lines[i].Nick, lines[i].Body = n, body
			}
		}
	}
	return lines
}

// MarkRoomRead clears a room's unread count.
func (s *Service) MarkRoomRead(id int64, jid string) {
	s.mu.Lock()
	var had bool
	if ac := s.accts[id]; ac != nil {
		if r := ac.rooms[jid]; r != nil && r.unread > 0 {
			r.unread, had = 0, true
		}
	}
	s.mu.Unlock()
	if had {
		s.changed()
	}
}

// applyRoomLocked folds a room event into the account's state (s.mu held).
// It returns a line to record, if any.
func (s *Service) applyRoomLocked(ac *acct, ev xmpp.Event) (jid string, line *Line) {
	switch ev := ev.(type) {
	case xmpp.RoomPresence:
		r := ac.rooms[ev.Room]
		if r == nil {
			return "", nil
		}
		if ev.Self && !ev.Available {
			r.joined, r.occupants = false, map[string]Occupant{}
			r.status = "not in the room"
			if ev.Status != "" {
				r.status += ": " + ev.Status
			}
			return "", nil
		}
		if ev.Available {
			if len(r.occupants) < 1000 {
				r.occupants[ev.Nick] = Occupant{Nick: ev.Nick, Role: ev.Role, Affiliation: ev.Affiliation, Show: ev.Show}
			}
		} else {
			delete(r.occupants, ev.Nick)
		}
	case xmpp.RoomMessage:
		r := ac.rooms[ev.Room]
		if r == nil {
			return "", nil
		}
		l := Line{Time: s.cfg.Now(), In: ev.Nick != r.nick, Body: ev.Body, Nick: ev.Nick}
		if ev.Delayed {
			// Replayed on join: shown, not stored again.
			l.Time, l.Held = ev.Time, true
			h := append(ac.held[ev.Room], l)
			if len(h) > 500 {
				h = h[len(h)-500:]
			}
			ac.held[ev.Room] = h
			return "", nil
		}
		if l.In {
			r.unread++
		}
		return ev.Room, &l
	case xmpp.RoomError:
		if r := ac.rooms[ev.Room]; r != nil {
			r.status = "the room refused: " + ev.Err.Error()
		}
	case xmpp.Invitation:
		if _, in := ac.rooms[ev.Room]; in || slices.ContainsFunc(ac.invites, func(i xmpp.Invitation) bool { return i.Room == ev.Room }) {
			return "", nil
		}
		if len(ac.invites) < maxInvitations {
			ac.invites = append(ac.invites, ev)
		}
	}
	return "", nil
}

// rejoin enters again the rooms an account was in and its autojoin
// bookmarks, after each (re)connection.
func (s *Service) rejoin(ctx context.Context, ac *acct, c *xmpp.Client) {
	type target struct{ jid, nick, password string }
	var targets []target
	s.mu.Lock()
	for j, r := range ac.rooms {
		targets = append(targets, target{j, r.nick, r.password})
	}
	s.mu.Unlock()
	if bms, _, err := c.Bookmarks(ctx); err == nil {
		for _, b := range bms {
			if b.Autojoin && !slices.ContainsFunc(targets, func(t target) bool { return t.jid == b.Room }) && len(targets) < maxRooms {
				targets = append(targets, target{b.Room, b.Nick, b.Password})
			}
		}
	} else {
		s.cfg.Log.Warn("could not read the room bookmarks", "account", ac.a.ID, "err", err)
	}
	for _, t := range targets {
		if err := s.joinRoom(ctx, ac.a.ID, t.jid, t.nick, t.password, false); err != nil {
			s.cfg.Log.Warn("could not rejoin a room", "account", ac.a.ID, "room", t.jid, "err", err)
			s.mu.Lock()
			if r := ac.rooms[t.jid]; r != nil {
				r.status = "could not rejoin: " + err.Error()
			}
			s.mu.Unlock()
			s.changed()
		}
	}
}
