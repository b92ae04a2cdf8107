package webadmin

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/padlock-phone/padlock/keyring"
)

// handle registers a handler that needs a logged-in session; a POST also
// needs the session's CSRF token.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if !s.cfg.Keyring.Initialized() {
			http.Redirect(w, r, "/setup", http.StatusSeeOther)
			return
		}
		ss := s.sessions.get(r)
		if ss == nil {
			if r.Method == http.MethodGet && r.URL.Path != "/events" && r.URL.Path != "/state" {
				to := "/login"
				if r.URL.Path != "/" {
					to += "?next=" + url.QueryEscape(r.URL.RequestURI())
				}
				http.Redirect(w, r, to, http.StatusSeeOther)
				return
			}
			http.Error(w, "log in first: your session is missing or has expired", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodGet && !ss.csrfOK(r) {
			// A page on another site can make the browser post here, but
			// cannot read the token out of our pages.
			http.Error(w, "this form is stale or did not come from the web admin (CSRF token missing or wrong); reload the page and try again", http.StatusForbidden)
			return
		}
		streamWithoutDeadlines(w, r)
		h(w, r)
	})
}

// sameOrigin refuses posts that a page on another site could send before
// there is a session (setup and login), using the browser's fetch metadata
// or, failing that, the Origin header.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	return o == "" || o == "https://"+r.Host
}

func clientAddr(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

func (s *Server) setupPage(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Keyring.Initialized() {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "setup", page{Title: "Set the master password"})
}

func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Keyring.Initialized() {
		http.Error(w, "the master password is already set; log in instead", http.StatusConflict)
		return
	}
	if !sameOrigin(r) {
		http.Error(w, "cross-site request refused", http.StatusForbidden)
		return
	}
	pw, confirm := r.PostFormValue("password"), r.PostFormValue("confirm")
	if err := checkNewPassword(pw, confirm); err != nil {
		s.render(w, r, http.StatusBadRequest, "setup", page{Title: "Set the master password", Error: err.Error()})
		return
	}
	if err := s.cfg.Keyring.Setup([]byte(pw)); errors.Is(err, keyring.ErrBusy) {
		s.render(w, r, http.StatusTooManyRequests, "setup", page{Title: "Set the master password", Error: slowDownMessage(w, busyRetry, err)})
		return
	} else if err != nil {
		s.cfg.Log.Error("vault setup failed", "err", err)
		s.render(w, r, http.StatusInternalServerError, "setup", page{Title: "Set the master password", Error: "the vault could not be created: " + err.Error()})
		return
	}
	s.cfg.Log.Info("master password set; vault created")
	s.sessions.create(w)
	s.markDevice(w, r)
	seeOther(w, r, "/", "Master password set. The phone's secrets are now protected by it.")
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.Keyring.Initialized() {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", page{Title: "Log in", Data: loginData{s.cfg.Keyring.Locked(), safeNext(r.URL.Query().Get("next"))}})
}

// loginData is what the login page shows: whether the phone is locked, and
// where to go after logging in.
type loginData struct {
	Locked bool
	Next   string
}

// safeNext keeps only a local path, so a link cannot send a person who
// just logged in to another site. Browsers drop tabs and newlines from a
// URL and read a backslash as a slash, so "/\t/evil.example" would be
// "//evil.example" to them (issue 12): any control character, space or
// backslash refuses the whole value.
func safeNext(next string) string {
	if len(next) > 512 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return "/"
	}
	return next
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.Keyring.Initialized() {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return
	}
	if !sameOrigin(r) {
		http.Error(w, "cross-site request refused", http.StatusForbidden)
		return
	}
	client := clientAddr(r)
	pw := r.PostFormValue("password")
	if len(pw) > maxPasswordLen {
		s.render(w, r, http.StatusBadRequest, "login", page{Title: "Log in", Data: loginData{s.cfg.Keyring.Locked(), safeNext(r.PostFormValue("next"))},
			Error: "Wrong master password."})
		return
	}
	wait, err := s.tryPassword(r, func() error { return s.cfg.Keyring.Unlock([]byte(pw)) })
	switch {
	case wait > 0:
		s.render(w, r, http.StatusTooManyRequests, "login", page{Title: "Log in", Data: loginData{s.cfg.Keyring.Locked(), safeNext(r.PostFormValue("next"))},
			Error: slowDownMessage(w, wait, err)})
		return
	case errors.Is(err, keyring.ErrWrongPassword):
		s.render(w, r, http.StatusUnauthorized, "login", page{Title: "Log in", Data: loginData{s.cfg.Keyring.Locked(), safeNext(r.PostFormValue("next"))},
			Error: "Wrong master password."})
		return
	case err != nil:
		s.cfg.Log.Error("unlock failed", "err", err)
		s.render(w, r, http.StatusInternalServerError, "login", page{Title: "Log in", Data: loginData{s.cfg.Keyring.Locked(), safeNext(r.PostFormValue("next"))},
			Error: "The vault could not be opened: " + err.Error()})
		return
	}
	// A new token at every login: a cookie planted before cannot ride along.
	s.sessions.destroy(w, r)
	s.sessions.create(w)
	s.markDevice(w, r)
	s.cfg.Log.Info("logged in", "client", client)
	seeOther(w, r, safeNext(r.PostFormValue("next")), "")
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.sessions.destroy(w, r)
	http.Redirect(w, r, "/login?ok=logged-out", http.StatusSeeOther)
}
