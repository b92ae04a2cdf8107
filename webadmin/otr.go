package webadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/padlock-phone/padlock/messaging"
	"github.com/padlock-phone/padlock/store"
)

// routeOTR adds the OTR pieces: the account's key page (generate, with its
// progress polled), and the chat page's privacy actions (start, end,
// authenticate buddy by fingerprint or SMP).
func (s *Server) routeOTR() {
	s.handle("GET /xmpp/{id}/otr", s.otrPage)
	s.handle("GET /xmpp/{id}/otr/key", s.otrKeyStatus)
	s.handle("POST /xmpp/{id}/otr/key", s.otrGenerate)
	s.handle("POST /xmpp/{id}/otr/{action}", s.otrAction)
}

// otrView is a conversation's privacy as the chat page shows it.
type otrView struct {
	messaging.OTRState
	Text string `json:"text"`
}

// lockText says the lock state in words.
var lockText = map[string]string{
	messaging.LockPlaintext:  "Not private: messages are not encrypted",
	messaging.LockUnverified: "Private, unverified: encrypted, but you have not checked who holds the other key",
	messaging.LockVerified:   "Private and verified",
}

func (s *Server) otrViewOf(ctx context.Context, id int64, with string) otrView {
	if s.cfg.Messaging == nil {
		return otrView{OTRState: messaging.OTRState{Lock: messaging.LockPlaintext}, Text: lockText[messaging.LockPlaintext]}
	}
	st := s.cfg.Messaging.Private(ctx, id, with)
	return otrView{OTRState: st, Text: lockText[st.Lock]}
}

type otrPageData struct {
	Account      store.Account
	Key          messaging.KeyStatus
	Fingerprints []messaging.KnownFingerprint
}

func (s *Server) otrPage(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	s.renderOTR(w, r, http.StatusOK, a, "")
}

func (s *Server) renderOTR(w http.ResponseWriter, r *http.Request, status int, a store.Account, errMsg string) {
	d := otrPageData{Account: a}
	if s.cfg.Messaging != nil {
		d.Key = s.cfg.Messaging.OTRKey(r.Context(), a.ID)
		fps, err := s.cfg.Messaging.Fingerprints(r.Context(), a.ID)
		if err != nil && errMsg == "" {
			errMsg = "cannot read the contacts' fingerprints: " + err.Error()
		}
		d.Fingerprints = fps
	} else if errMsg == "" {
		errMsg = "chat is not running on this phone"
	}
	s.render(w, r, status, "otr", page{Title: "Private messaging key of " + a.Address(), Error: errMsg, Data: d})
}

// otrKeyStatus answers the key page's polling while a key is generated.
func (s *Server) otrKeyStatus(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	var st messaging.KeyStatus
	if s.cfg.Messaging != nil {
		st = s.cfg.Messaging.OTRKey(r.Context(), a.ID)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(st)
}

func (s *Server) otrGenerate(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	if s.cfg.Messaging == nil {
		s.renderOTR(w, r, http.StatusServiceUnavailable, a, "")
		return
	}
	if err := s.cfg.Messaging.GenerateOTRKey(a.ID); err != nil {
		s.renderOTR(w, r, http.StatusBadRequest, a, err.Error())
		return
	}
	seeOther(w, r, fmt.Sprintf("/xmpp/%d/otr", a.ID), "")
}

// otrAction runs one privacy action of the chat page on the contact in
// the "with" field.
func (s *Server) otrAction(w http.ResponseWriter, r *http.Request) {
	a, ok := s.xmppAccount(w, r)
	if !ok {
		return
	}
	with := strings.ToLower(strings.TrimSpace(r.PostFormValue("with")))
	if with == "" || !strings.Contains(with, "@") || len(with) > 300 {
		http.Error(w, "no contact chosen", http.StatusBadRequest)
		return
	}
	var do func(ctx context.Context, m *messaging.Service) error
	switch r.PathValue("action") {
	case "start":
		do = func(ctx context.Context, m *messaging.Service) error { return m.StartOTR(ctx, a.ID, with) }
	case "end":
		do = func(ctx context.Context, m *messaging.Service) error { return m.EndOTR(ctx, a.ID, with) }
	case "verify", "unverify":
		fp, verified := r.PostFormValue("fingerprint"), r.PathValue("action") == "verify"
		do = func(ctx context.Context, m *messaging.Service) error {
			return m.VerifyFingerprint(ctx, a.ID, with, fp, verified)
		}
	case "smp":
		question, err := formText(r, "question", 200)
		if err != nil {
			s.renderChat(w, r, http.StatusBadRequest, a, with, err.Error())
			return
		}
		// The answer or secret is not trimmed: it is compared exactly.
		secret := r.PostFormValue("secret")
		if secret == "" || len(secret) > 500 || !utf8.ValidString(secret) {
			s.renderChat(w, r, http.StatusBadRequest, a, with, "enter the answer or shared secret (at most 500 bytes)")
			return
		}
		do = func(ctx context.Context, m *messaging.Service) error {
			return m.AuthenticateSMP(ctx, a.ID, with, question, secret)
		}
	case "smp-abort":
		do = func(ctx context.Context, m *messaging.Service) error { return m.AbortSMP(ctx, a.ID, with) }
	default:
		http.NotFound(w, r)
		return
	}
	s.xmppDo(w, r, a, fmt.Sprintf("/xmpp/%d/chat?with=%s", a.ID, with), "", do)
}
