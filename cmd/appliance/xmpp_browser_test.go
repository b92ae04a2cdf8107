package main

// The XMPP half of the web admin in a real chromium against a real
// prosody: create an account in-band, the taken name, a certificate to pin,
// a wrong password, contacts, a subscription request authorised, chat both
// ways live (refused in clear while private messaging is required), the
// STATUS lamp while something waits, and purge.

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/padlock-phone/padlock/internal/fingerprint"
	"github.com/padlock-phone/padlock/messaging"
	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
)

// waitFor evaluates a JavaScript condition in the page until it holds: the
// page changes by itself (Server-Sent Events), so there is nothing to click.
// The page may reload itself meanwhile, so failed evaluations are retried.
func (b *browserSession) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		var ok bool
		err := b.eval(cond, &ok)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: never true on %s (last error %v)", what, b.path(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// reloadUntil loads path again until cond holds, for pages that do not
// update themselves.
func (b *browserSession) reloadUntil(path, what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		b.open(path)
		var ok bool
		if b.eval(cond, &ok) == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: never true on %s (error shown %q)", what, path, b.textOf("#error"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitLamp polls the phone state until the STATUS lamp shows want.
func (a *app) waitLamp(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		lamps, _ := a.state(t)["lamps"].(map[string]any)
		if lamps["status"] == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("STATUS lamp %v, want %s", lamps["status"], want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestXMPPInChromium(t *testing.T) {
	srv := prosody.Start(t, prosody.Options{})
	srv.Register(t, "bob", "bob-pass-51e0")
	srv.Register(t, "carol", "carol-pass-51e0")
	srv.Register(t, "eve", "eve-pass-51e0")
	a := startAppliance(t)
	b := a.openBrowser(t)
	b.setUpVault(testPassword)
	// The test's own HTTP client logs in too, for forms and the state.
	if r, body := a.do(t, "POST", "/login", url.Values{"password": {testPassword}}, ""); r.StatusCode >= 400 {
		t.Fatalf("login: %s %s", r.Status, body)
	}
	fp := fingerprint.Format(srv.Fingerprint)

	// Create an account in-band; the self-signed certificate is first
	// refused, its fingerprint shown, then pinned.
	b.open("/accounts/new?kind=xmpp")
	b.fill("#r-user", "alice", "#r-server", srv.Domain, "#r-proxy", srv.Addr, "#r-pw", "alice-pass-51e0", "#r-pw2", "alice-pass-51e0")
	b.submit("#register-submit")
	b.wantText("#error", fp)
	b.fill("#r-user", "alice", "#r-server", srv.Domain, "#r-proxy", srv.Addr, "#r-fp", fp, "#r-pw", "alice-pass-51e0", "#r-pw2", "alice-pass-51e0")
	b.submit("#register-submit")
	if !strings.HasPrefix(b.path(), "/xmpp/") {
		b.wantPath("/xmpp/1")
	}
	alicePage := b.path()
	b.waitFor("connected", `document.getElementById("xmpp-status").textContent === "connected"`)

	// The same name again: the taken message, nothing saved.
	b.open("/accounts/new?kind=xmpp")
	b.fill("#r-user", "alice", "#r-server", srv.Domain, "#r-proxy", srv.Addr, "#r-fp", fp, "#r-pw", "x-pass-1", "#r-pw2", "x-pass-1")
	b.submit("#register-submit")
	b.wantText("#error", "this username is already taken, choose another")
	if n := a.queryInt(t, `SELECT count(*) FROM accounts`); n != 1 {
		t.Fatalf("%d accounts after the taken name, want 1", n)
	}

	// An account added with a wrong password: the presented fingerprint is
	// offered, pinned, and then the wrong password is said plainly.
	csrf := a.csrf(t)
	if r, body := a.do(t, "POST", "/accounts", url.Values{"kind": {"xmpp"}, "user": {"carol"}, "server": {srv.Domain},
		"proxy": {srv.Addr}, "transport": {"tcp"}, "enabled": {"on"}, "password": {"not-carols"}, "save_password": {"on"}}, csrf); r.StatusCode >= 400 {
		t.Fatalf("add carol: %s %s", r.Status, body)
	}
	carolID := a.queryInt(t, `SELECT id FROM accounts WHERE user = 'carol'`)
	carolPage := "/xmpp/" + strconv.Itoa(carolID)
	b.reloadUntil(carolPage, "fingerprint offered", `document.getElementById("pin") !== null`)
	b.wantText("#presented-fingerprint", fp)
	b.submit("#pin")
	b.reloadUntil("/accounts", "wrong password shown",
		`(document.querySelector('tr[data-account^="carol@"] .status') || {textContent: ""}).textContent.includes("wrong password")`)

	// Add bob with a name and group; bob sees the request, authorises, and
	// asks back: the request shows up live and the STATUS lamp blinks slowly.
	bob := srv.Dial(t, "bob", "bob-pass-51e0")
	aliceJID, bobJID := "alice@"+srv.Domain, "bob@"+srv.Domain
	b.open(alicePage)
	b.fill("#c-jid", bobJID, "#c-name", "Bobby", "#c-group", "Friends")
	b.submit("#add-contact-submit")
	b.waitFor("bob listed with name and group", `(() => { const r = document.querySelector('#contacts tr[data-jid="bob@localhost"]');
		return r !== null && r.querySelector(".name").textContent === "Bobby" && r.querySelector(".group").textContent.trim() === "Friends" })()`)
	bob.Await(t, "alice's request", func(ev xmpp.Event) bool { r, ok := ev.(xmpp.SubscriptionRequest); return ok && r.From == aliceJID })
	if err := bob.C.Authorize(context.Background(), aliceJID); err != nil {
		t.Fatal(err)
	}
	b.waitFor("bob's request listed", `document.querySelector('#requests li[data-from="bob@localhost"]') !== null`)
	a.waitLamp(t, "slow")
	b.submit(`#requests li[data-from="bob@localhost"] .req-authorize`)
	if b.has(`#requests li`) {
		t.Fatal("the authorised request is still listed")
	}
	a.waitLamp(t, "off")
	b.waitFor("bob online", `document.querySelector('#contacts tr[data-jid="bob@localhost"] .presence').textContent.startsWith("online")`)

	// Rename bob, make a group and move him into it.
	row := `#contacts tr[data-jid="bob@localhost"]`
	b.fill(row+` input[name="name"]`, "Robert")
	b.submit(row + " .rename")
	b.waitFor("renamed", `document.querySelector('#contacts tr[data-jid="bob@localhost"] .name').textContent === "Robert"`)
	b.fill("#g-name", "Work")
	b.submit("#create-group button")
	b.act(chromedp.SetValue(row+` select[name="group"]`, "Work", chromedp.ByQuery))
	b.submit(row + " .move")
	b.waitFor("moved", `document.querySelector('#contacts tr[data-jid="bob@localhost"] .group').textContent.trim() === "Work"`)

	// Private messaging required (the default): nothing leaves in clear.
	b.open(alicePage + "/chat?with=" + bobJID)
	b.fill("#body", "clear-text-must-not-leave")
	b.act(chromedp.Click("#send", chromedp.ByQuery))
	b.waitFor("refusal shown", `(document.getElementById("error") || {textContent: ""}).textContent.includes("private messaging is required")`)

	// Turn it off (and chat history on): messages both ways, live.
	if r, body := a.do(t, "POST", "/settings", url.Values{"log_chat_history": {"on"}, "log_call_history": {"on"}, "require_e2e_calls": {"on"}, "require_encrypted_media": {"on"}, "password": {testPassword}}, a.csrf(t)); r.StatusCode >= 400 {
		t.Fatalf("settings: %s %s", r.Status, body)
	}
	b.open(alicePage + "/chat?with=" + bobJID)
	b.fill("#body", "hello-bob-2c9")
	b.act(chromedp.Click("#send", chromedp.ByQuery))
	bob.Await(t, "alice's message", func(ev xmpp.Event) bool { m, ok := ev.(xmpp.Message); return ok && m.Body == "hello-bob-2c9" })
	if bob.Saw(func(ev xmpp.Event) bool {
		m, ok := ev.(xmpp.Message)
		return ok && m.Body == "clear-text-must-not-leave"
	}) {
		t.Fatal("a message went out in clear while private messaging was required")
	}
	if err := bob.C.SendChat(context.Background(), aliceJID, "hello-alice-7d1"); err != nil {
		t.Fatal(err)
	}
	b.waitFor("bob's message shown live", `[...document.querySelectorAll("#lines li.in")].some(l => l.textContent === "hello-alice-7d1")`)
	b.waitFor("own message shown", `[...document.querySelectorAll("#lines li.out")].some(l => l.textContent === "hello-bob-2c9")`)
	if n := a.queryInt(t, `SELECT count(*) FROM history WHERE kind = 'chat'`); n != 2 {
		t.Fatalf("%d chat history entries, want 2", n)
	}

	// A message while no chat page is open: counted unread on the contacts
	// page, STATUS blinks slowly until the chat is opened.
	b.open(alicePage)
	if err := bob.C.SendChat(context.Background(), aliceJID, "unread-one"); err != nil {
		t.Fatal(err)
	}
	b.waitFor("unread shown", `document.querySelector('#contacts tr[data-jid="bob@localhost"] .unread').textContent === "1"`)
	a.waitLamp(t, "slow")
	b.open(alicePage + "/chat?with=" + bobJID)
	a.waitLamp(t, "off")

	// Purge the conversation from the privacy page.
	if r, body := a.do(t, "POST", "/history/purge", url.Values{"account": {strings.TrimPrefix(alicePage, "/xmpp/")}, "contact": {bobJID}}, a.csrf(t)); r.StatusCode >= 400 {
		t.Fatalf("purge: %s %s", r.Status, body)
	}
	b.open(alicePage + "/chat?with=" + bobJID)
	if n := b.count("#lines li"); n != 0 {
		t.Fatalf("%d lines after purge", n)
	}

	// eve's request is ignored: gone from the page, still pending on the
	// server, so listed again after the reboot below.
	eve := srv.Dial(t, "eve", "eve-pass-51e0")
	if err := eve.C.AddContact(context.Background(), aliceJID, "", ""); err != nil {
		t.Fatal(err)
	}
	b.reloadUntil(alicePage, "eve's request listed", `document.querySelector('#requests li[data-from="eve@localhost"]') !== null`)
	b.submit(`#requests li[data-from="eve@localhost"] .req-ignore`)
	if b.has(`#requests li`) {
		t.Fatal("the ignored request is still listed")
	}

	// Change alice's password in-band: saved only after the server agreed,
	// then a fresh login with it.
	b.open(alicePage)
	b.fill("#np", "alice-new-8e44", "#np2", "alice-new-8e44")
	b.submit("#xmpp-password-submit")
	b.wantText("#flash", "Password changed")
	b.waitFor("logged in again", `document.getElementById("xmpp-status").textContent === "connected"`)
	for _, c := range []struct {
		pw string
		ok bool
	}{{"alice-new-8e44", true}, {"alice-pass-51e0", false}} {
		cl, err := xmpp.Dial(context.Background(), xmpp.Config{JID: aliceJID, Password: []byte(c.pw), Server: srv.Addr, PinnedFingerprint: srv.Fingerprint})
		if cl != nil {
			cl.Close()
		}
		if (err == nil) != c.ok {
			t.Errorf("login with %q after the change: %v", c.pw, err)
		}
	}
	// The sealed password is the new one: after a reboot and login the
	// account comes up with it.
	a.restart(t)
	b.open("/login")
	b.login(testPassword)
	b.reloadUntil(alicePage, "connected after reboot", `document.getElementById("xmpp-status").textContent === "connected"`)
	b.reloadUntil(alicePage, "ignored request listed after reboot", `document.querySelector('#requests li[data-from="eve@localhost"]') !== null`)
	if _, err := os.Stat(filepath.Join(a.data, messaging.PacketLogName)); !os.IsNotExist(err) {
		t.Errorf("packet log written though packet logging is off by default: %v", err)
	}
	a.wantNoSecretInLog(t, "alice-pass-51e0", "alice-new-8e44", "not-carols", "hello-bob-2c9", "hello-alice-7d1")
}
