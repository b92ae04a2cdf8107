package webadmin

import (
	"net/http"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/store"
)

// TestProfilingOffByDefault: /debug/pprof/ does not exist unless the
// appliance asked for it, and then only a logged-in owner gets profiles.
func TestProfilingOffByDefault(t *testing.T) {
	off := newAdmin(t)
	c := off.client(t)
	c.setUp()
	if r := c.get("/debug/pprof/"); r.StatusCode != http.StatusNotFound {
		t.Errorf("profiling off, logged in: /debug/pprof/ %s, want 404", r.Status)
	}

	on := newAdminWith(t, func(cfg *Config, _ *store.Store) { cfg.Profiling = true })
	owner := on.client(t)
	owner.setUp()
	if r := on.client(t).get("/debug/pprof/heap"); !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("profiling on, no session: %s (Location %q), want a redirect to the login", r.Status, r.Header.Get("Location"))
	}
	if r := owner.get("/debug/pprof/"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "goroutine") {
		t.Errorf("profiling on, logged in: /debug/pprof/ %s", r.Status)
	}
	if r := owner.get("/debug/pprof/heap?debug=1"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "heap profile") {
		t.Errorf("profiling on, logged in: heap profile %s", r.Status)
	}
}
