package webadmin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/padlock-phone/padlock/internal/fingerprint"
	"github.com/padlock-phone/padlock/messaging"
	"github.com/padlock-phone/padlock/store"
)

// routeXMPP adds the chat pages: contacts and requests per account, a
// chat per contact, in-band registration and password change.
func (s *Server) routeXMPP() {
	s.handle("POST /xmpp/register", s.xmppRegister)
	s.handle("GET /xmpp/{id}", s.xmppPage)
	s.handle("GET /xmpp/{id}/events", s.xmppEvents)
	s.handle("POST /xmpp/{id}/contacts", s.xmppAddContact)
	s.handle("POST /xmpp/{id}/contacts/{action}", s.xmppContactAction)
	s.handle("POST /xmpp/{id}/groups", s.xmppCreateGroup)
	s.handle("POST /xmpp/{id}/requests/{action}", s.xmppRequest)
	s.handle("POST /xmpp/{id}/password", s.xmppPassword)
	s.handle("POST /xmpp/{id}/pin", s.xmppPin)
	s.handle("GET /xmpp/{id}/chat", s.xmppChatPage)
	s.handle("POST /xmpp/{id}/chat", s.xmppSend)
	s.routeOTR()
	s.routeRooms()
}

// xmppAccount loads the XMPP account named by {id}, answering itself when
// there is none.
func (s *Server) xmppAccount(w http.ResponseWriter, r *http.Request) (store.Account, bool) {
	a, ok := s.accountFromPath(w, r)
	if ok && a.Kind != store.XMPP {
		http.Error(w, "that is not an XMPP account", http.StatusNotFound)
		return a, false
	}
	return a, ok
}

type xmppPageData struct {
	Account store.Account
	View    messaging.Account // its Contacts: only this page's
	Running bool
	Pager   pager
}

// contactsPerPage is one page of the contacts table: a roster of
// thousands is paged rather than drawn (and kept live) all at once.
const contactsPerPage = 100

// contactsPage keeps page pg of v's contacts in v, and says whether a
// later page exists.
func contactsPage(v *messaging.Account, pg int) (more bool) {
	from := min((pg-1)*contactsPerPage, len(v.Contacts))
	to := min(from+contactsPerPage, len(v.Contacts))
	more = to < len(v.Contacts)
	v.Contacts = v.Contacts[from:to]
	return more
}

func (s *Server) xmppView(a store.Account) (messaging.Account, bool) {
	if s.cfg.Messaging == nil {
		return messaging.Account{ID: a.ID, Address: a.Address(), Status: "chat is not running on this phone"}, false
	}
	v, ok := s.cfg.Messaging.Account(a.ID)
	if !ok {
		v = messaging.Account{ID: a.ID, Address: a.Address(), Status: "not running: enable the account and enter its password"}
	}
	return v, ok
}

func (s *Server) xmppPage(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	s.renderXMPP(w, r, http.StatusOK, a, "")
}

func (s *Server) renderXMPP(w http.ResponseWriter, r *http.Request, status int, a store.Account, errMsg string) {
	v, running := s.xmppView(a)
	pg := pageNumber(r.URL.Query().Get("page"))
	more := contactsPage(&v, pg)
	s.render(w, r, status, "xmpp", page{Title: "Contacts of " + a.Address(), Error: errMsg,
		Data: xmppPageData{Account: a, View: v, Running: running,
			Pager: pagerOf(fmt.Sprintf("/xmpp/%d", a.ID), nil, pg, more, "Previous contacts", "More contacts")}})
}

// xmppEvents streams, as Server-Sent Events, the account's contacts page,
// or with ?with= one conversation, or with ?room= one room: everything in
// the first event, then on every change only what changed (xmppDelta).
func (s *Server) xmppEvents(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok || s.cfg.Messaging == nil {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	with := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("with")))
	if len(with) > 300 {
		http.Error(w, "no such contact", http.StatusBadRequest)
		return
	}
	room := ""
	if q := r.URL.Query().Get("room"); q != "" {
		var err error
		if room, err = roomAddress(q); err != nil {
			http.Error(w, "no such room", http.StatusBadRequest)
			return
		}
	}
	pg := pageNumber(r.URL.Query().Get("page"))
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	ch, stop := s.cfg.Messaging.Watch()
	defer stop()
	var d xmppDelta
	for {
		var ev xmppEvent
		switch {
		case room != "":
			rv, _ := s.cfg.Messaging.Room(a.ID, room)
			ev.Room = part(&d.room, rv)
			d.setLines(&ev, s.cfg.Messaging.RoomConversation(r.Context(), a.ID, room))
			s.cfg.Messaging.MarkRoomRead(a.ID, room)
		case with != "":
			ev.OTR = part(&d.otr, s.otrViewOf(r.Context(), a.ID, with))
			lines := s.cfg.Messaging.Conversation(r.Context(), a.ID, with)
			for i := range lines {
				lines[i].Body = shownText(lines[i].Body) // as the page shows it (text.go)
			}
			d.setLines(&ev, lines)
			s.cfg.Messaging.MarkRead(a.ID, with)
		default:
			v, _ := s.xmppView(a)
			contactsPage(&v, pg)
			d.account(&ev, v)
		}
		if !d.sent || !ev.empty() {
			b, _ := json.Marshal(ev)
			if _, err := fmt.Fprintf(w, "event: xmpp\ndata: %s\n\n", b); err != nil {
				return
			}
			fl.Flush()
			d.sent = true
		}
		select {
		case <-r.Context().Done():
			return
		case <-ch:
		}
	}
}

// formText reads a trimmed field and checks it is a short single line.
func formText(r *http.Request, name string, max int) (string, error) {
	v := strings.TrimSpace(r.PostFormValue(name))
	if utf8.RuneCountInString(v) > max || strings.ContainsAny(v, "\r\n\x00") || !utf8.ValidString(v) {
		return "", fmt.Errorf("the %s is too long or not a single line", strings.ReplaceAll(name, "_", " "))
	}
	return v, nil
}

// contactAddress checks an XMPP address typed by the person.
func contactAddress(r *http.Request) (string, error) {
	j, err := formText(r, "jid", 300)
	if err != nil {
		return "", err
	}
	at := strings.IndexByte(j, '@')
	if j == "" || at < 1 || at == len(j)-1 || strings.ContainsAny(j, " \t<>\"'/") {
		return "", fmt.Errorf("enter the contact's address as user@server")
	}
	return strings.ToLower(j), nil
}

// xmppDo runs a messaging action and answers the form.
func (s *Server) xmppDo(w http.ResponseWriter, r *http.Request, a store.Account, back, okMsg string, f func(ctx context.Context, m *messaging.Service) error) {
	if s.cfg.Messaging == nil {
		s.renderXMPP(w, r, http.StatusServiceUnavailable, a, "chat is not running on this phone")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	if err := f(ctx, s.cfg.Messaging); err != nil {
		if back != "" && strings.Contains(back, "/chat") {
			s.renderChat(w, r, http.StatusBadRequest, a, r.PostFormValue("with"), err.Error())
			return
		}
		s.renderXMPP(w, r, http.StatusBadRequest, a, err.Error())
		return
	}
	seeOther(w, r, back, okMsg)
}

func (s *Server) xmppAddContact(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	j, err := contactAddress(r)
	name, err2 := formText(r, "name", 100)
	group, err3 := formText(r, "group", 100)
	if err = errors.Join(err, err2, err3); err != nil {
		s.renderXMPP(w, r, http.StatusBadRequest, a, err.Error())
		return
	}
	s.xmppDo(w, r, a, fmt.Sprintf("/xmpp/%d", a.ID), "Contact "+j+" added; they are asked to authorise you.",
		func(ctx context.Context, m *messaging.Service) error { return m.AddContact(ctx, a.ID, j, name, group) })
}

func (s *Server) xmppContactAction(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	j, err := contactAddress(r)
	if err != nil {
		s.renderXMPP(w, r, http.StatusBadRequest, a, err.Error())
		return
	}
	back := fmt.Sprintf("/xmpp/%d", a.ID)
	switch r.PathValue("action") {
	case "rename":
		name, err := formText(r, "name", 100)
		if err != nil {
			s.renderXMPP(w, r, http.StatusBadRequest, a, err.Error())
			return
		}
		s.xmppDo(w, r, a, back, "Contact renamed.", func(ctx context.Context, m *messaging.Service) error { return m.RenameContact(ctx, a.ID, j, name) })
	case "move":
		group, err := formText(r, "group", 100)
		if err != nil {
			s.renderXMPP(w, r, http.StatusBadRequest, a, err.Error())
			return
		}
		s.xmppDo(w, r, a, back, "Contact moved.", func(ctx context.Context, m *messaging.Service) error { return m.MoveContact(ctx, a.ID, j, group) })
	case "remove":
		s.xmppDo(w, r, a, back, "Contact "+j+" removed.", func(ctx context.Context, m *messaging.Service) error { return m.RemoveContact(ctx, a.ID, j) })
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) xmppCreateGroup(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	name, err := formText(r, "group", 100)
	if err == nil && name == "" {
		err = errors.New("enter the group's name")
	}
	if err != nil {
		s.renderXMPP(w, r, http.StatusBadRequest, a, err.Error())
		return
	}
	s.xmppDo(w, r, a, fmt.Sprintf("/xmpp/%d", a.ID), "Group "+name+" created: move contacts into it.",
		func(ctx context.Context, m *messaging.Service) error { return m.CreateGroup(ctx, a.ID, name) })
}

func (s *Server) xmppRequest(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	j, err := contactAddress(r)
	if err != nil {
		s.renderXMPP(w, r, http.StatusBadRequest, a, err.Error())
		return
	}
	back := fmt.Sprintf("/xmpp/%d", a.ID)
	switch r.PathValue("action") {
	case "authorize":
		s.xmppDo(w, r, a, back, j+" authorised.", func(ctx context.Context, m *messaging.Service) error { return m.Authorize(ctx, a.ID, j) })
	case "deny":
		s.xmppDo(w, r, a, back, j+" denied.", func(ctx context.Context, m *messaging.Service) error { return m.Deny(ctx, a.ID, j) })
	case "ignore":
		s.xmppDo(w, r, a, back, "Request of "+j+" ignored (it stays pending).", func(ctx context.Context, m *messaging.Service) error {
			m.Ignore(a.ID, j)
			return nil
		})
	default:
		http.NotFound(w, r)
	}
}

// xmppPassword changes the account's password on the server, and only
// once the server confirmed stores it (sealed if it was saved before).
func (s *Server) xmppPassword(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	pw, again := r.PostFormValue("new_password"), r.PostFormValue("new_password_again")
	switch {
	case pw == "":
		s.renderXMPP(w, r, http.StatusBadRequest, a, "enter the new password")
		return
	case pw != again:
		s.renderXMPP(w, r, http.StatusBadRequest, a, "the two new passwords differ")
		return
	}
	s.xmppDo(w, r, a, fmt.Sprintf("/xmpp/%d", a.ID), "Password changed on the server and saved; logging in again with it.",
		func(ctx context.Context, m *messaging.Service) error {
			if err := m.ChangePassword(ctx, a.ID, []byte(pw)); err != nil {
				return err
			}
			if err := s.cfg.Keyring.SetAccountPassword(ctx, a.ID, []byte(pw), a.HasPassword); err != nil {
				return fmt.Errorf("the server took the new password but the phone could not keep it: %w", err)
			}
			s.cfg.AccountsChanged()
			return nil
		})
}

// xmppPin trusts a server certificate by its SHA-256 fingerprint, which the
// page showed after verification failed.
func (s *Server) xmppPin(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	fp, err := fingerprint.Parse(strings.TrimSpace(r.PostFormValue("fingerprint")))
	if err != nil {
		s.renderXMPP(w, r, http.StatusBadRequest, a, "that is not a SHA-256 fingerprint: "+err.Error())
		return
	}
	a.TLSFingerprint = fingerprint.Format(fp)
	if err := s.cfg.Store.UpdateAccount(r.Context(), a); err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.AccountsChanged()
	seeOther(w, r, fmt.Sprintf("/xmpp/%d", a.ID), "Certificate pinned; connecting again.")
}

type chatData struct {
	Account store.Account
	With    string
	Name    string
	Lines   []messaging.Line
	OTR     otrView
}

func (s *Server) xmppChatPage(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	with := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("with")))
	if with == "" || !strings.Contains(with, "@") || len(with) > 300 {
		http.Error(w, "no contact chosen", http.StatusBadRequest)
		return
	}
	s.renderChat(w, r, http.StatusOK, a, with, "")
}

func (s *Server) renderChat(w http.ResponseWriter, r *http.Request, status int, a store.Account, with, errMsg string) {
	d := chatData{Account: a, With: with, Name: with, OTR: s.otrViewOf(r.Context(), a.ID, with)}
	if s.cfg.Messaging != nil {
		d.Lines = s.cfg.Messaging.Conversation(r.Context(), a.ID, with)
		s.cfg.Messaging.MarkRead(a.ID, with)
		if v, ok := s.cfg.Messaging.Account(a.ID); ok {
			for _, c := range v.Contacts {
				if c.JID == with && c.Name != "" {
					d.Name = c.Name
				}
			}
		}
	}
	s.render(w, r, status, "chat", page{Title: "Chat with " + d.Name, Error: errMsg, Data: d})
}

func (s *Server) xmppSend(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	with := strings.ToLower(strings.TrimSpace(r.PostFormValue("with")))
	body := r.PostFormValue("body")
	switch {
	case with == "" || !strings.Contains(with, "@") || len(with) > 300:
		http.Error(w, "no contact chosen", http.StatusBadRequest)
		return
	case strings.TrimSpace(body) == "":
		s.renderChat(w, r, http.StatusBadRequest, a, with, "type a message")
		return
	case len(body) > 10000 || !utf8.ValidString(body):
		s.renderChat(w, r, http.StatusBadRequest, a, with, "the message is too long")
		return
	}
	back := fmt.Sprintf("/xmpp/%d/chat?with=%s", a.ID, with)
	s.xmppDo(w, r, a, back, "", func(ctx context.Context, m *messaging.Service) error { return m.Send(ctx, a.ID, with, body) })
}

// xmppRegister creates an account on its server in-band, then saves it.
// Nothing is saved unless the server created it.
func (s *Server) xmppRegister(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	r.PostForm.Set("kind", string(store.XMPP))
	if t := r.PostForm.Get("transport"); t != string(store.TLS) {
		r.PostForm.Set("transport", string(store.TCP)) // STARTTLS unless direct TLS was asked for
	}
	a, err := parseAccount(r, store.Account{Kind: store.XMPP})
	pw := r.PostFormValue("password")
	if err == nil && pw == "" {
		err = errors.New("enter the new account's password")
	}
	if err == nil && pw != r.PostFormValue("password_again") {
		err = errors.New("the two passwords differ")
	}
	if err == nil && s.cfg.Messaging == nil {
		err = errors.New("chat is not running on this phone")
	}
	form := accountForm{New: true, Account: a, Save: true}
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "account", page{Title: "Add account", Error: err.Error(), Data: form})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	if err := s.cfg.Messaging.Register(ctx, a, []byte(pw)); err != nil {
		msg := err.Error()
		if fp, ok := messaging.UntrustedCertificate(err); ok {
			msg = fmt.Sprintf("the server's certificate is not trusted. If its SHA-256 fingerprint is %s, copy it into the fingerprint box and try again.", fp)
		}
		s.render(w, r, http.StatusConflict, "account", page{Title: "Add account", Error: msg, Data: form})
		return
	}
	id, err := s.cfg.Keyring.CreateAccount(r.Context(), a, []byte(pw), true)
	if err != nil {
		s.fail(w, r, fmt.Errorf("the account was created on the server but not saved here (add it with its password): %w", err))
		return
	}
	s.cfg.AccountsChanged()
	seeOther(w, r, fmt.Sprintf("/xmpp/%d", id), "Account "+a.Address()+" created on the server and added.")
}
