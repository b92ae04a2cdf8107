package webadmin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/padlock-phone/padlock/internal/fingerprint"
	"github.com/padlock-phone/padlock/keyring"
	"github.com/padlock-phone/padlock/store"
)

// accountRow is an account as the pages show it: never with its password,
// only whether and where one is kept.
type accountRow struct {
	store.Account
	Password keyring.PasswordState
	Status   string // the connection, in words ("registered", an error)
}

func (s *Server) accountRows(r *http.Request) ([]accountRow, error) {
	accs, err := s.cfg.Store.Accounts(r.Context())
	if err != nil {
		return nil, err
	}
	rows := make([]accountRow, len(accs))
	for i, a := range accs {
		rows[i] = accountRow{a, s.cfg.Keyring.PasswordState(a), s.cfg.AccountStatus(a)}
	}
	return rows, nil
}

func (s *Server) accountsPage(w http.ResponseWriter, r *http.Request) {
	rows, err := s.accountRows(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "accounts", page{Title: "Accounts", Data: rows})
}

// accountForm is the add/edit form's data.
type accountForm struct {
	New     bool
	Account store.Account
	Save    bool // "save password" ticked
}

func (s *Server) accountNewPage(w http.ResponseWriter, r *http.Request) {
	kind := store.Kind(r.URL.Query().Get("kind"))
	if kind != store.XMPP {
		kind = store.SIP
	}
	a := store.Account{Kind: kind, Transport: store.UDP, Enabled: true}
	if kind == store.XMPP {
		a.Transport = store.TCP
	}
	s.render(w, r, http.StatusOK, "account", page{Title: "Add account", Data: accountForm{New: true, Account: a, Save: true}})
}

func (s *Server) accountEditPage(w http.ResponseWriter, r *http.Request) {
	a, ok := s.accountFromPath(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "account", page{Title: "Edit " + a.Address(), Data: accountForm{Account: a, Save: a.HasPassword}})
}

// accountFromPath loads the account named by {id}, answering 404 itself.
func (s *Server) accountFromPath(w http.ResponseWriter, r *http.Request) (store.Account, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		a, err := s.cfg.Store.Account(r.Context(), id)
		if err == nil {
			return a, true
		}
		if !errors.Is(err, store.ErrNotFound) {
			s.fail(w, r, err)
			return store.Account{}, false
		}
	}
	http.Error(w, "no such account (it may have been removed)", http.StatusNotFound)
	return store.Account{}, false
}

// parseAccount reads and checks the form; the error is for the person.
func parseAccount(r *http.Request, a store.Account) (store.Account, error) {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	if k := store.Kind(f("kind")); k != "" {
		a.Kind = k
	}
	a.User, a.Server, a.Proxy, a.DisplayName = f("user"), strings.ToLower(f("server")), f("proxy"), f("display_name")
	a.Transport = store.Transport(f("transport"))
	a.Enabled = r.PostFormValue("enabled") != ""
	a.AcceptAnySource = a.Kind == store.SIP && r.PostFormValue("accept_any_source") != ""
	a.Port = 0
	if p := f("port"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return a, fmt.Errorf("the port must be a number from 1 to 65535, or empty for the usual one")
		}
		a.Port = n
	}
	switch {
	case a.Kind != store.SIP && a.Kind != store.XMPP:
		return a, fmt.Errorf("choose SIP or XMPP")
	case a.User == "":
		return a, fmt.Errorf("enter the user name")
	case strings.ContainsAny(a.User, "@:/ \t<>\"") && a.Kind == store.XMPP:
		return a, fmt.Errorf("the XMPP user name is the part before the @, without spaces or @")
	case strings.ContainsAny(a.User, " \t<>\"@"):
		return a, fmt.Errorf("the user name must not contain spaces, @, quotes or angle brackets")
	case a.Server == "":
		return a, fmt.Errorf("enter the server (the domain after the @)")
	case !validHost(a.Server):
		return a, fmt.Errorf("%q is not a server name or address", a.Server)
	case a.Proxy != "" && !validHostPort(a.Proxy):
		return a, fmt.Errorf("the proxy must be host or host:port")
	case a.Transport != store.UDP && a.Transport != store.TCP && a.Transport != store.TLS:
		return a, fmt.Errorf("choose a transport")
	case a.Kind == store.XMPP && a.Transport == store.UDP:
		return a, fmt.Errorf("XMPP runs over TCP (STARTTLS) or TLS, not UDP")
	case utf8.RuneCountInString(a.DisplayName) > 100 || len(a.User) > 256:
		return a, fmt.Errorf("the name is too long")
	}
	if a.Kind == store.XMPP {
		// The pinned server certificate: empty pins nothing (or unpins).
		a.TLSFingerprint = ""
		if fp := f("fingerprint"); fp != "" {
			sum, err := fingerprint.Parse(fp)
			if err != nil {
				return a, fmt.Errorf("the certificate fingerprint: %w", err)
			}
			a.TLSFingerprint = fingerprint.Format(sum)
		}
	}
	return a, nil
}

func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}

func validHostPort(hp string) bool {
	host := hp
	if i := strings.LastIndex(hp, ":"); i > 0 && !strings.HasSuffix(hp, "]") && strings.Count(hp, ":") == 1 {
		port, err := strconv.Atoi(hp[i+1:])
		if err != nil || port < 1 || port > 65535 {
			return false
		}
		host = hp[:i]
	}
	return validHost(strings.ToLower(host))
}

func (s *Server) accountCreate(w http.ResponseWriter, r *http.Request) {
	a, err := parseAccount(r, store.Account{})
	save := r.PostFormValue("save_password") != ""
	pw := r.PostFormValue("password")
	if err == nil && pw == "" {
		err = fmt.Errorf("enter the account's password")
	}
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "account", page{Title: "Add account", Error: err.Error(), Data: accountForm{New: true, Account: a, Save: save}})
		return
	}
	if a.AcceptAnySource && !s.reauthenticatedWith(w, r, "master_password", "account", func() (page, error) {
		return page{Title: "Add account", Data: accountForm{New: true, Account: a, Save: save}}, nil
	}, directCallsWhat) {
		return
	}
	id, err := s.cfg.Keyring.CreateAccount(r.Context(), a, []byte(pw), save)
	if errors.Is(err, store.ErrDuplicate) {
		s.render(w, r, http.StatusConflict, "account", page{Title: "Add account",
			Error: fmt.Sprintf("there is already a %s account %s", strings.ToUpper(string(a.Kind)), a.Address()),
			Data:  accountForm{New: true, Account: a, Save: save}})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.AccountsChanged()
	s.cfg.Log.Info("account added", "id", id, "kind", a.Kind)
	seeOther(w, r, "/accounts", "Account "+a.Address()+" added.")
}

// directCallsWhat names the change "accept direct calls from any address"
// makes: anyone on the network may then ring the phone as whoever they
// claim (issue 12), so it needs the master password like the other
// switches that lower protection.
const directCallsWhat = "Accepting direct calls from any address"

func (s *Server) accountUpdate(w http.ResponseWriter, r *http.Request) {
	old, ok := s.accountFromPath(w, r)
	if !ok {
		return
	}
	a, err := parseAccount(r, old)
	a.Kind = old.Kind // the protocol of an account does not change
	save := r.PostFormValue("save_password") != ""
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "account", page{Title: "Edit " + old.Address(), Error: err.Error(), Data: accountForm{Account: a, Save: save}})
		return
	}
	if a.AcceptAnySource && !old.AcceptAnySource && !s.reauthenticatedWith(w, r, "master_password", "account", func() (page, error) {
		return page{Title: "Edit " + old.Address(), Data: accountForm{Account: a, Save: save}}, nil
	}, directCallsWhat) {
		return
	}
	// One transaction for the fields and the password (a new one replaces
	// the old; an empty field keeps it; the "save" box moves it between the
	// store and memory).
	var pw []byte
	if p := r.PostFormValue("password"); p != "" {
		pw = []byte(p)
	}
	err = s.cfg.Keyring.EditAccount(r.Context(), a, old, pw, save)
	if errors.Is(err, store.ErrDuplicate) {
		s.render(w, r, http.StatusConflict, "account", page{Title: "Edit " + old.Address(),
			Error: "another account already has that user and server", Data: accountForm{Account: a, Save: save}})
		return
	}
	if errors.Is(err, store.ErrNoPassword) {
		s.render(w, r, http.StatusBadRequest, "account", page{Title: "Edit " + old.Address(),
			Error: "type the password to save it: the phone does not know it yet", Data: accountForm{Account: a, Save: save}})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.AccountsChanged()
	seeOther(w, r, "/accounts", "Account "+a.Address()+" saved.")
}

// accountChange runs one change to the account named by {id}; on success
// the drivers are told and the person goes back to page with msg.
func (s *Server) accountChange(w http.ResponseWriter, r *http.Request, page string, change func(a store.Account) (msg string, err error)) {
	a, ok := s.accountFromPath(w, r)
	if !ok {
		return
	}
	msg, err := change(a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.AccountsChanged()
	seeOther(w, r, page, msg)
}

func (s *Server) accountDelete(w http.ResponseWriter, r *http.Request) {
	a, ok := s.accountFromPath(w, r)
	if !ok || !s.confirmed(w, r, confirmation{Title: "Remove this account?", Back: "/accounts", Button: "Remove " + a.Address(),
		What: "The account " + a.Address() + " is removed with its saved password, its keys and its history."}) {
		return
	}
	s.accountChange(w, r, "/accounts", func(a store.Account) (string, error) {
		return "Account " + a.Address() + " removed.", s.cfg.Keyring.DeleteAccount(r.Context(), a.ID)
	})
}

func (s *Server) accountEnabled(w http.ResponseWriter, r *http.Request) {
	s.accountChange(w, r, "/accounts", func(a store.Account) (string, error) {
		a.Enabled = r.PostFormValue("enabled") == "1"
		verb := "disabled"
		if a.Enabled {
			verb = "enabled"
		}
		return "Account " + a.Address() + " " + verb + ".", s.cfg.Store.UpdateAccount(r.Context(), a)
	})
}

// accountPassword takes the password of an account whose password is not
// saved (asked after each unlock), or sets a new one.
func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request) {
	pw := r.PostFormValue("password")
	if pw == "" {
		http.Error(w, "enter the password", http.StatusBadRequest)
		return
	}
	save := r.PostFormValue("save_password") != ""
	s.accountChange(w, r, "/accounts", func(a store.Account) (string, error) {
		return "Password for " + a.Address() + " taken.", s.cfg.Keyring.SetAccountPassword(r.Context(), a.ID, []byte(pw), save)
	})
}

func (s *Server) accountForgetPassword(w http.ResponseWriter, r *http.Request) {
	s.accountChange(w, r, "/passwords", func(a store.Account) (string, error) {
		return "Saved password of " + a.Address() + " removed.", s.cfg.Keyring.UnsavePassword(r.Context(), a.ID)
	})
}

func (s *Server) passwordsPage(w http.ResponseWriter, r *http.Request) {
	rows, err := s.accountRows(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "passwords", page{Title: "Saved passwords", Data: rows})
}

// fail reports an unexpected error without leaking details that could
// hold a secret: the log gets the error, the person a plain sentence.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.cfg.Log.Error("request failed", "path", r.URL.Path, "err", err)
	status := http.StatusInternalServerError
	msg := "Something went wrong and nothing was changed: " + err.Error()
	if errors.Is(err, keyring.ErrLocked) {
		status, msg = http.StatusServiceUnavailable, "The vault is locked: log in again."
	}
	http.Error(w, msg, status)
}
