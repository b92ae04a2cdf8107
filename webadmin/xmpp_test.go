package webadmin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/store"
)

// TestXMPPFormsValidated: every XMPP form is checked on the server before
// anything is sent, and needs the CSRF token. (The flows against a real
// server are in messaging and cmd/appliance.)
func TestXMPPFormsValidated(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	c.setUp()
	ctx := context.Background()
	id, err := a.keys.CreateAccount(ctx, store.Account{Kind: store.XMPP, User: "alice", Server: "localhost", Transport: store.TCP, Enabled: true}, []byte("pw"), true)
	if err != nil {
		t.Fatal(err)
	}
	sipID, err := a.keys.CreateAccount(ctx, store.Account{Kind: store.SIP, User: "bob", Server: "localhost", Transport: store.UDP, Enabled: true}, []byte("pw"), true)
	if err != nil {
		t.Fatal(err)
	}
	x := fmt.Sprintf("/xmpp/%d", id)
	for _, tc := range []struct {
		name   string
		path   string
		form   url.Values
		status int
		want   string
	}{
		{"empty contact", x + "/contacts", url.Values{"jid": {""}}, 400, "user@server"},
		{"contact without @", x + "/contacts", url.Values{"jid": {"bob"}}, 400, "user@server"},
		{"contact with markup", x + "/contacts", url.Values{"jid": {"<b>@x"}}, 400, "user@server"},
		{"name on two lines", x + "/contacts", url.Values{"jid": {"bob@localhost"}, "name": {"a\nb"}}, 400, "single line"},
		{"group too long", x + "/contacts", url.Values{"jid": {"bob@localhost"}, "group": {strings.Repeat("g", 101)}}, 400, "too long"},
		{"rename bad address", x + "/contacts/rename", url.Values{"jid": {"x"}, "name": {"n"}}, 400, "user@server"},
		{"unknown contact action", x + "/contacts/steal", url.Values{"jid": {"bob@localhost"}}, 404, ""},
		{"authorise bad address", x + "/requests/authorize", url.Values{"jid": {""}}, 400, "user@server"},
		{"empty group", x + "/groups", url.Values{"group": {" "}}, 400, "Enter the group"},
		{"passwords differ", x + "/password", url.Values{"new_password": {"a1"}, "new_password_again": {"a2"}}, 400, "differ"},
		{"empty password", x + "/password", url.Values{}, 400, "Enter the new password"},
		{"bad fingerprint", x + "/pin", url.Values{"fingerprint": {"zz"}}, 400, "not a SHA-256"},
		{"chat without contact", x + "/chat", url.Values{"body": {"hi"}}, 400, "no contact"},
		{"empty message", x + "/chat", url.Values{"with": {"bob@localhost"}, "body": {"  "}}, 400, "Type a message"},
		{"SIP account", fmt.Sprintf("/xmpp/%d/contacts", sipID), url.Values{"jid": {"bob@localhost"}}, 404, "not an XMPP account"},
		{"register without user", "/xmpp/register", url.Values{"server": {"localhost"}, "password": {"p"}, "password_again": {"p"}}, 400, "user name"},
		{"register passwords differ", "/xmpp/register", url.Values{"user": {"n"}, "server": {"localhost"}, "password": {"p"}, "password_again": {"q"}}, 400, "differ"},
		{"join without a room", x + "/rooms", url.Values{"room": {""}}, 400, "room@conference.server"},
		{"join a room with markup", x + "/rooms", url.Values{"room": {"<x>@muc"}}, 400, "room@conference.server"},
		{"join with a long password", x + "/rooms", url.Values{"room": {"r@muc"}, "room_password": {strings.Repeat("p", 201)}}, 400, "too long"},
		{"room send without room", x + "/room/send", url.Values{"body": {"hi"}}, 400, "no room"},
		{"room empty message", x + "/room/send", url.Values{"jid": {"r@muc"}, "body": {" "}}, 400, "Type a message"},
		{"room unknown action", x + "/room/explode", url.Values{"jid": {"r@muc"}}, 404, ""},
		{"invitation bad room", x + "/invitations/accept", url.Values{"jid": {"nope"}}, 400, "room@conference.server"},
		{"room send, chat not running", x + "/room/send", url.Values{"jid": {"r@muc"}, "body": {"hi"}}, 503, "Chat is not running"},
		{"valid, chat not running", x + "/contacts", url.Values{"jid": {"bob@localhost"}}, 503, "chat is not running"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post(tc.path, tc.form, true)
			if r.StatusCode != tc.status || !strings.Contains(r.body, tc.want) {
				t.Fatalf("%s: %s, want %d with %q\n%.600s", tc.path, r.Status, tc.status, tc.want, r.body)
			}
		})
	}
	if r := c.post(x+"/contacts", url.Values{"jid": {"bob@localhost"}}, false); r.StatusCode != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %s", r.Status)
	}
	if r := c.get(x); r.StatusCode != 200 || !strings.Contains(r.body, "chat is not running") {
		t.Fatalf("contacts page without the service: %s", r.Status)
	}
	// Every room page says the room is not private.
	if r := c.get(x + "/room?jid=r@muc"); r.StatusCode != 200 || !strings.Contains(r.body, "This room is not private: everyone in it and its server can read it.") {
		t.Fatalf("room page: %s\n%.600s", r.Status, r.body)
	}
}

// TestXMPPAccountFingerprint: the Add and Edit forms take the pinned
// certificate fingerprint (as the create form does), show it back, check
// it, and an empty field unpins.
func TestXMPPAccountFingerprint(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	c.setUp()
	ctx := context.Background()
	fp := strings.Repeat("ab", 32)
	want := strings.TrimSuffix(strings.Repeat("AB:", 32), ":")
	r := c.post("/accounts", url.Values{"kind": {"xmpp"}, "user": {"bob"}, "server": {"example.org"}, "transport": {"tcp"},
		"password": {"pw"}, "fingerprint": {"zz" + fp}}, true)
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "not a SHA-256 fingerprint") {
		t.Fatalf("bad fingerprint: %s", r.Status)
	}
	r = c.post("/accounts", url.Values{"kind": {"xmpp"}, "user": {"bob"}, "server": {"example.org"}, "transport": {"tcp"},
		"password": {"pw"}, "fingerprint": {fp}}, true)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("add with fingerprint: %s %s", r.Status, r.body)
	}
	accs, _ := a.st.Accounts(ctx)
	if len(accs) != 1 || accs[0].TLSFingerprint != want {
		t.Fatalf("stored %+v", accs)
	}
	edit := fmt.Sprintf("/accounts/%d", accs[0].ID)
	if r := c.get(edit); !strings.Contains(r.body, `id="fingerprint" name="fingerprint" value="`+want+`"`) {
		t.Fatalf("the edit form does not show the pinned fingerprint:\n%s", r.body)
	}
	r = c.post(edit, url.Values{"user": {"bob"}, "server": {"example.org"}, "transport": {"tcp"}, "fingerprint": {""}, "save_password": {"on"}}, true)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %s %s", r.Status, r.body)
	}
	accs, _ = a.st.Accounts(ctx)
	if accs[0].TLSFingerprint != "" {
		t.Fatalf("an empty field did not unpin: %q", accs[0].TLSFingerprint)
	}
}
