package webadmin

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/padlock-phone/padlock/store"
)

// storeDesk is the appliance's Desk without the headset and the brain: it
// saves to the store and counts what was applied.
type storeDesk struct {
	st      *store.Store
	mu      sync.Mutex
	applied []store.Desk
}

func (d *storeDesk) Load(ctx context.Context) (store.Desk, error) { return d.st.Desk(ctx) }
func (d *storeDesk) Save(ctx context.Context, s store.Desk) error {
	if err := d.st.SaveDesk(ctx, s); err != nil {
		return err
	}
	d.mu.Lock()
	d.applied = append(d.applied, s)
	d.mu.Unlock()
	return nil
}

func TestDeskPage(t *testing.T) {
	var desk *storeDesk
	a := newAdminWith(t, func(c *Config, st *store.Store) { desk = &storeDesk{st: st}; c.Desk = desk })
	if r := a.client(t).get("/desk"); r.StatusCode == http.StatusOK {
		t.Fatalf("anonymous GET /desk: %s, want the login", r.Status)
	}
	c := a.client(t)
	c.setUp()
	if r := c.get("/desk"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, `id="desk-volume" name="volume" min="10" max="200" step="5" value="100"`) {
		t.Fatalf("GET /desk: %s, want the form at 100%%:\n%s", r.Status, r.body)
	}
	good := url.Values{"volume": {"60"}, "mic": {"0"}, "dnd": {"on"}, "forward": {" sip:carol@example.org "}}
	if r := c.post("/desk", good, true); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %s %s", r.Status, r.body)
	}
	want := store.Desk{Volume: 60, Mic: 0, DoNotDisturb: true, ForwardTo: "sip:carol@example.org"}
	if d, err := a.st.Desk(context.Background()); err != nil || d != want {
		t.Fatalf("saved %+v, %v; want %+v", d, err, want)
	}

	for _, tc := range []struct {
		name string
		form url.Values
		csrf bool
		code int
		says string
	}{
		{"too quiet", url.Values{"volume": {"5"}, "mic": {"100"}}, true, 400, "The volume goes from 10% (so the SAS stays audible)"},
		{"mic too high", url.Values{"volume": {"100"}, "mic": {"201"}}, true, 400, "The microphone level goes from 0% (muted) to 200%."},
		{"not a number", url.Values{"volume": {"loud"}, "mic": {"100"}}, true, 400, "The volume must be a whole number of percent"},
		{"header in the target", url.Values{"volume": {"100"}, "mic": {"100"}, "forward": {"carol\r\nContact: <sip:evil@x>"}}, true, 400, "one SIP address or number"},
		{"unknown field", url.Values{"volume": {"100"}, "mic": {"100"}, "gain": {"9"}}, true, 400, "unknown field"},
		{"no CSRF token", url.Values{"volume": {"100"}, "mic": {"100"}}, false, 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post("/desk", tc.form, tc.csrf)
			if r.StatusCode != tc.code || !strings.Contains(r.body, tc.says) {
				t.Errorf("%s: want %d saying %q:\n%.600s", r.Status, tc.code, tc.says, r.body)
			}
			if d, _ := a.st.Desk(context.Background()); d != want {
				t.Errorf("after a refused save: %+v, want %+v unchanged", d, want)
			}
		})
	}
	desk.mu.Lock()
	defer desk.mu.Unlock()
	if len(desk.applied) != 1 {
		t.Errorf("applied %d times, want once (the good save)", len(desk.applied))
	}
}
