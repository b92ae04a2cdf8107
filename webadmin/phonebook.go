package webadmin

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/padlock-phone/padlock/store"
	"github.com/padlock-phone/padlock/store/phonebook"
)

func (s *Server) routePhonebook() {
	s.handle("GET /phonebook", s.phonebookPage)
	s.handle("POST /phonebook", s.phonebookAdd)
	s.handle("GET /phonebook/export.vcf", s.phonebookExport)
	s.handle("POST /phonebook/import", s.phonebookImport)
	s.handle("GET /phonebook/{id}", s.phonebookEditPage)
	s.handle("POST /phonebook/{id}", s.phonebookUpdate)
	s.handle("POST /phonebook/{id}/delete", s.phonebookDelete)
}

// xmppPerson is a roster contact shown beside the phonebook (read through
// messaging; kept on the XMPP server, so edited on the account's page).
type xmppPerson struct {
	AccountID int64
	Account   string
	JID, Name string
}

type phonebookData struct {
	Entries []store.PhonebookEntry
	XMPP    []xmppPerson
	Form    store.PhonebookEntry // the add form, refilled after an error
}

func (s *Server) phonebookPage(w http.ResponseWriter, r *http.Request) {
	s.renderPhonebook(w, r, http.StatusOK, store.PhonebookEntry{}, "")
}

func (s *Server) renderPhonebook(w http.ResponseWriter, r *http.Request, status int, form store.PhonebookEntry, errMsg string) {
	es, err := s.cfg.Store.Phonebook(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := phonebookData{Entries: es, Form: form}
	if s.cfg.Messaging != nil {
		accs, err := s.cfg.Store.Accounts(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, a := range accs {
			if a.Kind != store.XMPP {
				continue
			}
			v, ok := s.cfg.Messaging.Account(a.ID)
			if !ok {
				continue
			}
			for _, c := range v.Contacts {
				d.XMPP = append(d.XMPP, xmppPerson{AccountID: a.ID, Account: a.Address(), JID: c.JID, Name: c.Name})
			}
		}
	}
	s.render(w, r, status, "phonebook", page{Title: "Phonebook", Error: errMsg, Data: d})
}

// entryForm reads the add and edit forms: a name, one number or SIP
// address per line, and an optional favourite position.
func entryForm(r *http.Request) (store.PhonebookEntry, error) {
	var e store.PhonebookEntry
	name, err := formText(r, "name", store.MaxNameLen)
	if err != nil {
		return e, err
	}
	e.Name = name
	raw := r.PostFormValue("addresses")
	if len(raw) > store.MaxEntryAddresses*(store.MaxAddressLen+2) {
		return e, fmt.Errorf("at most %d numbers or addresses, one per line", store.MaxEntryAddresses)
	}
	for _, l := range strings.Split(raw, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			e.Addresses = append(e.Addresses, l)
		}
	}
	if f := strings.TrimSpace(r.PostFormValue("favourite")); f != "" {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > store.MaxFavourite {
			return e, fmt.Errorf("the favourite position is a number from 1 to %d, or empty", store.MaxFavourite)
		}
		e.Favourite = n
	}
	if e.Name == "" {
		return e, errors.New("enter a name")
	}
	if len(e.Addresses) == 0 {
		return e, errors.New("enter at least one number or SIP address")
	}
	return e, nil
}

// entryError turns a refusal of the store into words for the form.
func entryError(err error) (string, bool) {
	if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrDuplicate) {
		msg := err.Error()
		for _, p := range []string{store.ErrInvalid.Error() + ": ", store.ErrDuplicate.Error() + ": "} {
			msg = strings.TrimPrefix(msg, p)
		}
		return "Not saved: " + msg + ".", true
	}
	return "", false
}

func (s *Server) phonebookAdd(w http.ResponseWriter, r *http.Request) {
	e, err := entryForm(r)
	if err != nil {
		s.renderPhonebook(w, r, http.StatusBadRequest, e, "Not saved: "+err.Error()+".")
		return
	}
	if _, err := s.cfg.Store.AddPhonebookEntry(r.Context(), e); err != nil {
		if msg, ok := entryError(err); ok {
			s.renderPhonebook(w, r, http.StatusBadRequest, e, msg)
			return
		}
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/phonebook", e.Name+" added.")
}

func (s *Server) entryFromPath(w http.ResponseWriter, r *http.Request) (store.PhonebookEntry, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		e, err := s.cfg.Store.PhonebookEntry(r.Context(), id)
		if err == nil {
			return e, true
		}
		if !errors.Is(err, store.ErrNotFound) {
			s.fail(w, r, err)
			return e, false
		}
	}
	http.Error(w, "no such person in the phonebook (deleted?)", http.StatusNotFound)
	return store.PhonebookEntry{}, false
}

func (s *Server) phonebookEditPage(w http.ResponseWriter, r *http.Request) {
	e, ok := s.entryFromPath(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "phonebook-entry", page{Title: "Edit " + e.Name, Data: e})
}

func (s *Server) phonebookUpdate(w http.ResponseWriter, r *http.Request) {
	old, ok := s.entryFromPath(w, r)
	if !ok {
		return
	}
	e, err := entryForm(r)
	e.ID = old.ID
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "phonebook-entry", page{Title: "Edit " + old.Name, Data: e, Error: "Not saved: " + err.Error() + "."})
		return
	}
	if err := s.cfg.Store.UpdatePhonebookEntry(r.Context(), e); err != nil {
		if msg, ok := entryError(err); ok {
			s.render(w, r, http.StatusBadRequest, "phonebook-entry", page{Title: "Edit " + old.Name, Data: e, Error: msg})
			return
		}
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/phonebook", e.Name+" saved.")
}

func (s *Server) phonebookDelete(w http.ResponseWriter, r *http.Request) {
	e, ok := s.entryFromPath(w, r)
	if !ok || !s.confirmed(w, r, confirmation{Title: "Delete " + e.Name + "?", Back: "/phonebook/" + strconv.FormatInt(e.ID, 10), Button: "Delete " + e.Name,
		What: e.Name + " is deleted from the phonebook with every number and address."}) {
		return
	}
	if err := s.cfg.Store.DeletePhonebookEntry(r.Context(), e.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/phonebook", e.Name+" deleted.")
}

// phonebookExport downloads the whole phonebook as vCard 4.0.
func (s *Server) phonebookExport(w http.ResponseWriter, r *http.Request) {
	es, err := s.cfg.Store.Phonebook(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/vcard; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="padlock-phonebook.vcf"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(phonebook.Encode(es))
}

// phonebookImport adds the people of an uploaded vCard file, all in one
// transaction: a file the phone cannot read, or one person the store
// refuses, adds nobody. Cards with no number or SIP address (an e-mail
// contact) are left out and counted.
func (s *Server) phonebookImport(w http.ResponseWriter, r *http.Request) {
	// The guard has parsed the multipart form already (its CSRF field), so
	// the file is read from there, bounded again here.
	f, _, err := r.FormFile("file")
	if err != nil {
		s.renderPhonebook(w, r, http.StatusBadRequest, store.PhonebookEntry{},
			fmt.Sprintf("Nothing imported: choose a vCard file (.vcf) of at most %d KiB.", phonebook.MaxVCardBytes>>10))
		return
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, phonebook.MaxVCardBytes+1))
	if err != nil {
		s.renderPhonebook(w, r, http.StatusBadRequest, store.PhonebookEntry{}, "Nothing imported: the upload broke off.")
		return
	}
	es, err := phonebook.Decode(b)
	if err != nil {
		s.renderPhonebook(w, r, http.StatusBadRequest, store.PhonebookEntry{}, "Nothing imported: "+err.Error()+".")
		return
	}
	var keep []store.PhonebookEntry
	for _, e := range es {
		if len(e.Addresses) > 0 {
			keep = append(keep, e)
		}
	}
	if len(keep) == 0 {
		s.renderPhonebook(w, r, http.StatusBadRequest, store.PhonebookEntry{}, "Nothing imported: no card in the file has a number or SIP address.")
		return
	}
	if _, err := s.cfg.Store.AddPhonebookEntries(r.Context(), keep); err != nil {
		if msg, ok := entryError(err); ok {
			s.renderPhonebook(w, r, http.StatusBadRequest, store.PhonebookEntry{}, "Nothing imported. "+msg)
			return
		}
		s.fail(w, r, err)
		return
	}
	msg := capitalize(count(len(keep), "person", "people")) + " imported."
	if n := len(es) - len(keep); n > 0 {
		msg += " " + capitalize(count(n, "card has", "cards have")) + " no number or SIP address and " + map[bool]string{true: "was", false: "were"}[n == 1] + " left out."
	}
	s.cfg.Log.Info("phonebook imported", "people", len(keep))
	seeOther(w, r, "/phonebook", msg)
}
