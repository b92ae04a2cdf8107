package admin

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestClientAgainstAStub: the client sends what the web admin's script
// sends (and the stub refuses anything else), and reads CSRF, state and
// registration as the real pages show them.
func TestClientAgainstAStub(t *testing.T) {
	var registered atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("POST /setup", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("password") != "pw pw pw pw pw" || r.FormValue("confirm") != r.FormValue("password") ||
			r.Header.Get("Sec-Fetch-Site") != "same-origin" || r.Header.Get("X-Requested-With") != "fetch" {
			http.Error(w, "bad setup", http.StatusBadRequest)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1"})
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err != nil || c.Value != "s1" {
			http.Error(w, "no session", http.StatusForbidden)
			return
		}
		w.Write([]byte(`<head><meta name="csrf" content="c0ffee"></head>`))
	})
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"idle"}`)) })
	mux.HandleFunc("POST /accounts", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-CSRF-Token") != "c0ffee" || r.FormValue("port") != "5070" || r.FormValue("kind") != "sip" {
			http.Error(w, "bad account", http.StatusBadRequest)
			return
		}
		registered.Store(true)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /accounts", func(w http.ResponseWriter, r *http.Request) {
		if registered.Load() {
			w.Write([]byte(`<li data-status="registered">alice</li>`))
		}
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	c := New(srv.URL, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	csrf := c.SetUp(t, "pw pw pw pw pw")
	if csrf != "c0ffee" {
		t.Fatalf("CSRF %q", csrf)
	}
	if v := c.WaitState(t, "status", "idle"); v["status"] != "idle" {
		t.Errorf("state %v", v)
	}
	c.AddRegisteredSIPAccount(t, csrf, SIPAccount{User: "alice", Password: "x", Server: "127.0.0.1", Port: 5070})
	if r, body := c.Do(t, http.MethodPost, "/accounts", nil, ""); r.StatusCode != http.StatusBadRequest || !strings.Contains(body, "bad account") {
		t.Errorf("POST without the token: %s %q", r.Status, body)
	}
}
