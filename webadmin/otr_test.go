package webadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/keyring"
	"github.com/padlock-phone/padlock/messaging"
	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/store"
)

// TestOTRFormsValidated: the privacy forms are checked before anything
// reaches messaging, and need the CSRF token.
func TestOTRFormsValidated(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	c.setUp()
	id, err := a.keys.CreateAccount(context.Background(), store.Account{Kind: store.XMPP, User: "alice", Server: "localhost", Transport: store.TCP, Enabled: true}, []byte("pw"), true)
	if err != nil {
		t.Fatal(err)
	}
	x := fmt.Sprintf("/xmpp/%d/otr", id)
	bob := url.Values{"with": {"bob@localhost"}}
	for _, tc := range []struct {
		name   string
		path   string
		form   url.Values
		status int
		want   string
	}{
		{"no contact", x + "/start", url.Values{}, 400, "no contact"},
		{"contact without @", x + "/end", url.Values{"with": {"bob"}}, 400, "no contact"},
		{"unknown action", x + "/steal", bob, 404, ""},
		{"smp without secret", x + "/smp", bob, 400, "Enter the answer"},
		{"question on two lines", x + "/smp", url.Values{"with": {"bob@localhost"}, "question": {"a\nb"}, "secret": {"s"}}, 400, "single line"},
		{"secret too long", x + "/smp", url.Values{"with": {"bob@localhost"}, "secret": {strings.Repeat("s", 501)}}, 400, "at most 500"},
		{"valid, chat not running", x + "/start", bob, 503, "chat is not running"},
		{"generate, chat not running", x + "/key", url.Values{}, 503, "Chat is not running"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post(tc.path, tc.form, true)
			if r.StatusCode != tc.status || !strings.Contains(r.body, tc.want) {
				t.Fatalf("%s: %s, want %d with %q\n%.600s", tc.path, r.Status, tc.status, tc.want, r.body)
			}
		})
	}
	if r := c.post(x+"/key", url.Values{}, false); r.StatusCode != 403 {
		t.Fatalf("generate without the CSRF token: %s", r.Status)
	}
}

// TestOTRKeyGeneratedFromThePage: the Generate button starts generation
// in the background, the status is polled, the fingerprint is shown in 5
// groups of 8 and the key is sealed in the store.
func TestOTRKeyGeneratedFromThePage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "padlock.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := keyring.Open(dir, st, vault.TestParams, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := messaging.New(messaging.Config{Store: st, Passwords: keys})
	t.Cleanup(m.Close)
	s, err := New(Config{Phone: phone.New(phone.Config{}), Keyring: keys, Store: st, Messaging: m})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	a := &admin{srv: srv, st: st, keys: keys}
	c := a.client(t)
	c.setUp()
	id, err := keys.CreateAccount(ctx, store.Account{Kind: store.XMPP, User: "alice", Server: "localhost", Transport: store.TCP, Enabled: true}, []byte("pw"), true)
	if err != nil {
		t.Fatal(err)
	}
	x := fmt.Sprintf("/xmpp/%d/otr", id)
	if r := c.get(x); r.StatusCode != 200 || !strings.Contains(r.body, "No key yet") {
		t.Fatalf("key page before: %s\n%.800s", r.Status, r.body)
	}
	if r := c.post(x+"/key", url.Values{}, true); r.StatusCode != 204 && r.StatusCode != 303 {
		t.Fatalf("generate: %s %s", r.Status, r.body)
	}
	var ks messaging.KeyStatus
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := c.get(x + "/key")
		if err := json.Unmarshal([]byte(r.body), &ks); err != nil {
			t.Fatalf("status: %v %q", err, r.body)
		}
		if !ks.Generating || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if ks.Generating || ks.Err != "" || !regexp.MustCompile(`^[0-9A-F]{8}( [0-9A-F]{8}){4}$`).MatchString(ks.Fingerprint) {
		t.Fatalf("after generation: %+v", ks)
	}
	r := c.get(x)
	if !strings.Contains(r.body, `<code id="own-fingerprint">`+ks.Fingerprint+`</code>`) || !strings.Contains(r.body, "Generate a new key") {
		t.Fatalf("key page after: %.1500s", r.body)
	}
	if k, err := st.Key(ctx, id, messaging.KindOTRPrivate, ""); err != nil || len(k.Blob) < 100 {
		t.Fatalf("key not stored: %v", err)
	}
	chat := c.get(fmt.Sprintf("/xmpp/%d/chat?with=bob@localhost", id))
	if !strings.Contains(chat.body, `id="otr-lock">Not private`) || !strings.Contains(chat.body, ks.Fingerprint) {
		t.Fatalf("chat page lacks the lock state or our fingerprint: %.3000s", chat.body)
	}
	if r := c.post(x+"/start", url.Values{"with": {"bob@localhost"}}, true); r.StatusCode != 400 || !strings.Contains(r.body, "not connected") {
		t.Fatalf("start on an account that is not running: %s %.300s", r.Status, r.body)
	}
}
