package webadmin

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// sessionCookie is a __Host- cookie: the browser only accepts it over
// HTTPS, for this exact host and path /, so a sibling host on the LAN
// cannot plant or read it.
const sessionCookie = "__Host-padlock"

// Session lifetimes.
const (
	idleTimeout = 15 * time.Minute
	maxLifetime = 12 * time.Hour
)

type session struct {
	csrf     string // 128-bit token every state change must carry
	created  time.Time
	lastSeen time.Time
}

// sessions holds the logged-in browsers. Tokens are kept only as hashes,
// so reading this map (a memory dump, a debug page) does not yield a cookie.
type sessions struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[[32]byte]*session
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{now: now, m: map[[32]byte]*session{}}
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux; continuing without it would be worse
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a new session (always a new token: no fixation) and sets
// its cookie.
func (s *sessions) create(w http.ResponseWriter) *session {
	token := randomToken(32)
	csrf := make([]byte, 16)
	rand.Read(csrf)
	now := s.now()
	ss := &session{csrf: hex.EncodeToString(csrf), created: now, lastSeen: now}
	s.mu.Lock()
	s.gc(now)
	s.m[sha256.Sum256([]byte(token))] = ss
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/",
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
	return ss
}

// get returns the live session of r, refreshing its idle timer, or nil.
func (s *sessions) get(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	key := sha256.Sum256([]byte(c.Value))
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.m[key]
	if ss == nil {
		return nil
	}
	if now.Sub(ss.lastSeen) > idleTimeout || now.Sub(ss.created) > maxLifetime {
		delete(s.m, key)
		return nil
	}
	ss.lastSeen = now
	return ss
}

// destroy ends the session of r (logout) and clears its cookie.
func (s *sessions) destroy(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		delete(s.m, sha256.Sum256([]byte(c.Value)))
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}

// destroyAll ends every session (after a master password change).
func (s *sessions) destroyAll() {
	s.mu.Lock()
	clear(s.m)
	s.mu.Unlock()
}

// gc drops expired sessions; s.mu held.
func (s *sessions) gc(now time.Time) {
	for k, ss := range s.m {
		if now.Sub(ss.lastSeen) > idleTimeout || now.Sub(ss.created) > maxLifetime {
			delete(s.m, k)
		}
	}
}

// csrfOK checks the token of a state-changing request: the form field
// "csrf" or the X-CSRF-Token header (fetch), compared in constant time.
func (ss *session) csrfOK(r *http.Request) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return len(got) == len(ss.csrf) && subtle.ConstantTimeCompare([]byte(got), []byte(ss.csrf)) == 1
}
