package main

// The XMPP half of the web admin in a real chromium against the servers
// people run as shipped (prosody with STARTTLS optional, ejabberd 23.01),
// the other people being slixmpp clients: create an account in-band, the
// taken name, a certificate to pin, a wrong password, contacts, a
// subscription request authorised, chat both ways live (refused in clear
// while private messaging is required), a room with two participants
// (refused until allowed, occupants, an invitation accepted, back after a
// restart), the STATUS lamp while something waits, purge, and a password
// change checked by fresh slixmpp logins.

import (
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
	"github.com/padlock-phone/padlock/tests/peers/ejabberd"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
	"github.com/padlock-phone/padlock/tests/peers/slixmpp"
	"github.com/padlock-phone/padlock/tests/peers/xmppserver"
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
// update themselves. A load the page itself cut short (the contacts page
// reloads itself when a contact, request, room or invitation comes) is
// simply tried again.
func (b *browserSession) reloadUntil(path, what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		var ok bool
		if err := chromedp.Run(b.ctx, chromedp.Navigate(b.a.base+path)); err == nil && b.eval(cond, &ok) == nil && ok {
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
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) xmppserver.Info
	}{
		{"prosody-stock", func(t *testing.T) xmppserver.Info { return prosody.Start(t, prosody.Options{Stock: true}).Info() }},
		{"ejabberd-stock", func(t *testing.T) xmppserver.Info { return ejabberd.Start(t).Info() }},
	} {
		t.Run(tc.name, func(t *testing.T) { xmppInChromium(t, tc.start(t)) })
	}
}

// slix logs user in as an independent slixmpp client.
func slix(t *testing.T, srv xmppserver.Info, user, pw string) *slixmpp.Peer {
	t.Helper()
	return slixmpp.Start(t, slixmpp.Config{JID: srv.JID(user), Password: pw, Addr: srv.Addr, Cert: srv.Cert})
}

func xmppInChromium(t *testing.T, srv xmppserver.Info) {
	srv.Register(t, "bob", "bob-pass-51e0")
	srv.Register(t, "carol", "carol-pass-51e0")
	srv.Register(t, "eve", "eve-pass-51e0")
	srv.Register(t, "dan", "dan-pass-51e0")
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
	b.wantText("#error", "This username is already taken, choose another.")
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
	bob := slix(t, srv, "bob", "bob-pass-51e0")
	aliceJID, bobJID := "alice@"+srv.Domain, "bob@"+srv.Domain
	b.open(alicePage)
	b.fill("#c-jid", bobJID, "#c-name", "Bobby", "#c-group", "Friends")
	b.submit("#add-contact-submit")
	b.waitFor("bob listed with name and group", `(() => { const r = document.querySelector('#contacts tr[data-jid="bob@localhost"]');
		return r !== null && r.querySelector(".name").textContent === "Bobby" && r.querySelector(".group").textContent.trim() === "Friends" })()`)
	b.waitFor("waiting for authorisation", `document.querySelector('#contacts tr[data-jid="bob@localhost"] .presence').textContent === "waiting for authorisation"`)
	bob.Await(t, "alice's request", func(ev slixmpp.Event) bool { return ev.Event == "subscribe" && ev.From == aliceJID })
	bob.Do(t, map[string]any{"cmd": "authorize", "to": aliceJID})
	bob.Do(t, map[string]any{"cmd": "subscribe", "to": aliceJID})
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
	b.lookRight("contacts with a group")

	// Private messaging required (the default): nothing leaves in clear.
	b.open(alicePage + "/chat?with=" + bobJID)
	b.fill("#body", "clear-text-must-not-leave")
	b.act(chromedp.Click("#send", chromedp.ByQuery))
	b.waitFor("refusal shown", `(document.getElementById("error") || {textContent: ""}).textContent.includes("Private messaging is required")`)
	b.lookRight("chat, plain message refused")

	// A room with bob and carol (slixmpp): the page says it is not
	// private; a send is refused until the room is allowed, and nothing
	// reaches the participants; then messages are seen by all.
	carolP, dan := slix(t, srv, "carol", "carol-pass-51e0"), slix(t, srv, "dan", "dan-pass-51e0")
	club, party := "club@"+srv.MUC, "party@"+srv.MUC
	bob.Do(t, map[string]any{"cmd": "join", "room": club, "nick": "bob", "configure": true})
	bob.Await(t, "bob in the club", func(e slixmpp.Event) bool { return e.Event == "joined" && e.Room == club })
	carolP.Do(t, map[string]any{"cmd": "join", "room": club, "nick": "carol"})
	carolP.Await(t, "carol in the club", func(e slixmpp.Event) bool { return e.Event == "joined" && e.Room == club })
	b.open(alicePage)
	b.fill("#j-room", club, "#j-nick", "alice")
	b.submit("#join-room")
	b.wantText("#room-not-private", "This room is not private: everyone in it and its server can read it.")
	b.waitFor("three occupants listed", `["alice","bob","carol"].every(n => document.querySelector('#occupants li[data-nick="' + n + '"]') !== null)`)
	b.fill("#body", "room-refused-3c1")
	b.act(chromedp.Click("#send", chromedp.ByQuery))
	b.waitFor("room refusal shown", `(document.getElementById("error") || {textContent: ""}).textContent.includes("This room is not private")`)
	b.submit("#room-allow-button")
	b.wantText("#room-allowed", "You allowed this room")
	b.lookRight("room, allowed")
	b.fill("#body", "room-hello-8d2")
	b.act(chromedp.Click("#send", chromedp.ByQuery))
	for _, p := range []*slixmpp.Peer{bob, carolP} {
		p.Await(t, "alice's room message", func(e slixmpp.Event) bool {
			return e.Event == "groupchat" && e.Nick == "alice" && e.Body == "room-hello-8d2"
		})
		if p.Saw(func(e slixmpp.Event) bool { return strings.Contains(e.Body, "room-refused-3c1") }) {
			t.Fatal("a refused room message reached a participant")
		}
	}
	carolP.Do(t, map[string]any{"cmd": "groupchat", "room": club, "body": "room-reply-4f7"})
	b.waitFor("carol's message live", `[...document.querySelectorAll("#lines li.in")].some(l => l.querySelector(".nick").textContent === "carol" && l.querySelector(".body").textContent === "room-reply-4f7")`)
	// dan invites alice to another room; she accepts from the contacts page.
	dan.Do(t, map[string]any{"cmd": "join", "room": party, "nick": "dan", "configure": true})
	dan.Await(t, "dan in the party", func(e slixmpp.Event) bool { return e.Event == "joined" && e.Room == party })
	dan.Do(t, map[string]any{"cmd": "invite", "room": party, "to": aliceJID, "reason": "come along"})
	b.reloadUntil(alicePage, "the invitation listed", `document.querySelector('#invitations li[data-room="`+party+`"]') !== null`)
	b.submit(`#invitations li[data-room="` + party + `"] .inv-accept`)
	b.waitFor("in the party with dan", `document.querySelector('#occupants li[data-nick="dan"]') !== null && document.querySelector('#occupants li[data-nick="alice"]') !== null`)
	dan.Await(t, "alice in the party", func(e slixmpp.Event) bool {
		return e.Event == "muc_presence" && e.Room == party && e.Nick == "alice" && e.Type == "available"
	})

	// Turn it off (and chat history on): messages both ways, live.
	if r, body := a.do(t, "POST", "/settings", url.Values{"log_chat_history": {"on"}, "log_call_history": {"on"}, "require_e2e_calls": {"on"}, "require_encrypted_media": {"on"}, "password": {testPassword}}, a.csrf(t)); r.StatusCode >= 400 {
		t.Fatalf("settings: %s %s", r.Status, body)
	}
	b.open(alicePage + "/chat?with=" + bobJID)
	b.fill("#body", "hello-bob-2c9")
	b.act(chromedp.Click("#send", chromedp.ByQuery))
	bob.Await(t, "alice's message", func(ev slixmpp.Event) bool { return ev.Event == "message" && ev.Body == "hello-bob-2c9" })
	if bob.Saw(func(ev slixmpp.Event) bool { return ev.Body == "clear-text-must-not-leave" }) {
		t.Fatal("a message went out in clear while private messaging was required")
	}
	bob.Do(t, map[string]any{"cmd": "send", "to": aliceJID, "body": "hello-alice-7d1"})
	b.waitFor("bob's message shown live", `[...document.querySelectorAll("#lines li.in")].some(l => l.querySelector(".body").textContent === "hello-alice-7d1")`)
	b.waitFor("own message shown", `[...document.querySelectorAll("#lines li.out")].some(l => l.querySelector(".body").textContent === "hello-bob-2c9")`)
	b.wantChatLines(bobJID, "hello-alice-7d1", "hello-bob-2c9")
	b.open(alicePage + "/chat?with=" + bobJID) // as the server writes the lines, not the live script
	b.wantChatLines(bobJID, "hello-alice-7d1", "hello-bob-2c9")
	b.lookRight("chat, lines both ways")
	if n := a.queryInt(t, `SELECT count(*) FROM history WHERE kind = 'chat' AND contact = 'bob@localhost'`); n != 2 {
		t.Fatalf("%d chat history entries with bob, want 2", n)
	}

	// A message while no chat page is open: counted unread on the contacts
	// page, STATUS blinks slowly until the chat is opened.
	b.open(alicePage)
	bob.Do(t, map[string]any{"cmd": "send", "to": aliceJID, "body": "unread-one"})
	b.waitFor("unread shown", `document.querySelector('#contacts tr[data-jid="bob@localhost"] .unread').textContent === "1"`)
	a.waitLamp(t, "slow")
	b.open(alicePage + "/chat?with=" + bobJID)
	a.waitLamp(t, "off")

	// Purge the conversation from the privacy page.
	if r, body := a.do(t, "POST", "/history/purge", url.Values{"account": {strings.TrimPrefix(alicePage, "/xmpp/")}, "contact": {bobJID}, "confirmed": {"yes"}}, a.csrf(t)); r.StatusCode >= 400 {
		t.Fatalf("purge: %s %s", r.Status, body)
	}
	b.open(alicePage + "/chat?with=" + bobJID)
	if n := b.count("#lines li"); n != 0 {
		t.Fatalf("%d lines after purge", n)
	}

	// eve's request is ignored: gone from the page, still pending on the
	// server, so listed again after the reboot below.
	eve := slix(t, srv, "eve", "eve-pass-51e0")
	eve.Do(t, map[string]any{"cmd": "subscribe", "to": aliceJID})
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
	// A fresh, independent login (slixmpp) takes the new password and
	// is refused the old one.
	for _, c := range []struct {
		pw string
		ok bool
	}{{"alice-new-8e44", true}, {"alice-pass-51e0", false}} {
		if got := slixmpp.CheckLogin(t, slixmpp.Config{JID: aliceJID, Password: c.pw, Addr: srv.Addr, Cert: srv.Cert}); got != c.ok {
			t.Errorf("slixmpp login with %q after the change: %v, want %v", c.pw, got, c.ok)
		}
	}
	// The sealed password is the new one: after a reboot and login the
	// account comes up with it.
	a.restart(t)
	b.open("/login")
	b.login(testPassword)
	b.reloadUntil(alicePage, "connected after reboot", `document.getElementById("xmpp-status").textContent === "connected"`)
	b.reloadUntil(alicePage, "ignored request listed after reboot", `document.querySelector('#requests li[data-from="eve@localhost"]') !== null`)
	// The rooms come back from their bookmarks.
	b.reloadUntil(alicePage+"/room?jid="+club, "the club back after reboot", `document.getElementById("room-status").textContent === "joined"`)
	bob.AwaitN(t, "alice coming into the club", 2, func(e slixmpp.Event) bool {
		return e.Event == "muc_presence" && e.Room == club && e.Nick == "alice" && e.Type == "available"
	})
	if _, err := os.Stat(filepath.Join(a.data, messaging.PacketLogName)); !os.IsNotExist(err) {
		t.Errorf("packet log written though packet logging is off by default: %v", err)
	}
	a.wantNoSecretInLog(t, "alice-pass-51e0", "alice-new-8e44", "not-carols", "hello-bob-2c9", "hello-alice-7d1", "room-hello-8d2", "room-reply-4f7")
}
