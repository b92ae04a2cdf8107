package webadmin

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

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
	if err := s.cfg.Keyring.Setup([]byte(pw)); err != nil {
		s.cfg.Log.Error("vault setup failed", "err", err)
		s.render(w, r, http.StatusInternalServerError, "setup", page{Title: "Set the master password", Error: "the vault could not be created: " + err.Error()})
		return
	}
	s.cfg.Log.Info("master password set; vault created")
	s.sessions.create(w)
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
// just logged in to another site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || len(next) > 512 {
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
	if wait := s.throttle.wait(client); wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		s.render(w, r, http.StatusTooManyRequests, "login", page{Title: "Log in", Data: loginData{s.cfg.Keyring.Locked(), safeNext(r.PostFormValue("next"))},
			Error: fmt.Sprintf("Too many wrong passwords. Wait %d seconds before trying again.", secs)})
		return
	}
	err := s.cfg.Keyring.Unlock([]byte(r.PostFormValue("password")))
	switch {
	case errors.Is(err, keyring.ErrWrongPassword):
		s.throttle.failed(client)
		s.cfg.Log.Warn("wrong master password at login", "client", client)
		s.render(w, r, http.StatusUnauthorized, "login", page{Title: "Log in", Data: loginData{s.cfg.Keyring.Locked(), safeNext(r.PostFormValue("next"))},
			Error: "Wrong master password."})
		return
	case err != nil:
		s.cfg.Log.Error("unlock failed", "err", err)
		s.render(w, r, http.StatusInternalServerError, "login", page{Title: "Log in", Data: loginData{s.cfg.Keyring.Locked(), safeNext(r.PostFormValue("next"))},
			Error: "The vault could not be opened: " + err.Error()})
		return
	}
	s.throttle.succeeded(client)
	// A new token at every login: a cookie planted before cannot ride along.
	s.sessions.destroy(w, r)
	s.sessions.create(w)
	s.cfg.Log.Info("logged in", "client", client)
	seeOther(w, r, safeNext(r.PostFormValue("next")), "")
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.sessions.destroy(w, r)
	http.Redirect(w, r, "/login?ok="+strings.ReplaceAll("Logged out.", " ", "+"), http.StatusSeeOther)
}
