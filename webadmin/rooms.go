package webadmin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/padlock-phone/padlock/messaging"
	"github.com/padlock-phone/padlock/store"
)

// routeRooms adds the group chat pages: join, a page per room (messages
// live over SSE, occupants, allow, leave), invitations.
func (s *Server) routeRooms() {
	s.handle("POST /xmpp/{id}/rooms", s.roomJoin)
	s.handle("GET /xmpp/{id}/room", s.roomPage)
	s.handle("POST /xmpp/{id}/room/{action}", s.roomAction)
	s.handle("POST /xmpp/{id}/invitations/{action}", s.roomInvitation)
}

// roomAddress checks a room address typed by the person or sent back by a
// form.
func roomAddress(v string) (string, error) {
	j := strings.ToLower(strings.TrimSpace(v))
	at := strings.IndexByte(j, '@')
	if j == "" || len(j) > 300 || at < 1 || at == len(j)-1 || strings.ContainsAny(j, " \t\r\n<>\"'/") {
		return "", fmt.Errorf("enter the room's address as room@conference.server")
	}
	return j, nil
}

func roomPath(id int64, room string) string {
	return fmt.Sprintf("/xmpp/%d/room?jid=%s", id, url.QueryEscape(room))
}

func (s *Server) roomJoin(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	room, err := roomAddress(r.PostFormValue("room"))
	nick, err2 := formText(r, "nick", 100)
	if err == nil {
		err = err2
	}
	pw := r.PostFormValue("room_password")
	if err == nil && len(pw) > 200 {
		err = fmt.Errorf("the room password is too long")
	}
	if err != nil {
		s.renderXMPP(w, r, http.StatusBadRequest, a, err.Error())
		return
	}
	// No flash message: the room page's address already has a query.
	s.xmppDo(w, r, a, roomPath(a.ID, room), "", func(ctx context.Context, m *messaging.Service) error {
		return m.JoinRoom(ctx, a.ID, room, nick, pw)
	})
}

type roomData struct {
	Account store.Account
	Room    messaging.Room
	Lines   []messaging.Line
	Notice  string
	// Required: private messaging is required, so sending needs the
	// room allowed.
	Required bool
}

func (s *Server) roomPage(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	room, err := roomAddress(r.URL.Query().Get("jid"))
	if err != nil {
		http.Error(w, "no room chosen", http.StatusBadRequest)
		return
	}
	s.renderRoom(w, r, http.StatusOK, a, room, "")
}

func (s *Server) renderRoom(w http.ResponseWriter, r *http.Request, status int, a store.Account, room, errMsg string) {
	d := roomData{Account: a, Room: messaging.Room{JID: room}, Notice: messaging.NotPrivateNotice, Required: true}
	if on, err := s.cfg.Store.Bool(r.Context(), store.RequirePrivateMessaging); err == nil && !on {
		d.Required = false
	}
	if s.cfg.Messaging != nil {
		if v, ok := s.cfg.Messaging.Room(a.ID, room); ok {
			d.Room = v
		}
		d.Lines = s.cfg.Messaging.RoomConversation(r.Context(), a.ID, room)
		s.cfg.Messaging.MarkRoomRead(a.ID, room)
	}
	s.render(w, r, status, "room", page{Title: "Room " + room, Error: errMsg, Data: d})
}

func (s *Server) roomAction(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	room, err := roomAddress(r.PostFormValue("jid"))
	if err != nil {
		http.Error(w, "no room chosen", http.StatusBadRequest)
		return
	}
	back := roomPath(a.ID, room)
	fail := func(ctx context.Context, f func(m *messaging.Service) error) {
		if s.cfg.Messaging == nil {
			s.renderRoom(w, r, http.StatusServiceUnavailable, a, room, "chat is not running on this phone")
			return
		}
		if err := f(s.cfg.Messaging); err != nil {
			s.renderRoom(w, r, http.StatusBadRequest, a, room, err.Error())
			return
		}
		seeOther(w, r, back, "")
	}
	switch r.PathValue("action") {
	case "send":
		body := r.PostFormValue("body")
		switch {
		case strings.TrimSpace(body) == "":
			s.renderRoom(w, r, http.StatusBadRequest, a, room, "type a message")
			return
		case len(body) > 10000 || !utf8.ValidString(body):
			s.renderRoom(w, r, http.StatusBadRequest, a, room, "the message is too long")
			return
		}
		fail(r.Context(), func(m *messaging.Service) error { return m.SendRoom(r.Context(), a.ID, room, body) })
	case "allow":
		allow := r.PostFormValue("allow") == "1"
		fail(r.Context(), func(m *messaging.Service) error { return m.AllowRoom(a.ID, room, allow) })
	case "leave":
		s.xmppDo(w, r, a, fmt.Sprintf("/xmpp/%d", a.ID), "Left "+room+".", func(ctx context.Context, m *messaging.Service) error {
			return m.LeaveRoom(ctx, a.ID, room)
		})
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) roomInvitation(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	room, err := roomAddress(r.PostFormValue("jid"))
	if err != nil {
		s.renderXMPP(w, r, http.StatusBadRequest, a, err.Error())
		return
	}
	switch r.PathValue("action") {
	case "accept":
		nick, err := formText(r, "nick", 100)
		if err != nil {
			s.renderXMPP(w, r, http.StatusBadRequest, a, err.Error())
			return
		}
		s.xmppDo(w, r, a, roomPath(a.ID, room), "", func(ctx context.Context, m *messaging.Service) error {
			return m.AcceptInvitation(ctx, a.ID, room, nick)
		})
	case "decline":
		s.xmppDo(w, r, a, fmt.Sprintf("/xmpp/%d", a.ID), "Invitation to "+room+" declined.", func(ctx context.Context, m *messaging.Service) error {
			return m.DeclineInvitation(ctx, a.ID, room)
		})
	default:
		http.NotFound(w, r)
	}
}
