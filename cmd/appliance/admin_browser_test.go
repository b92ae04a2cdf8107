package main

// Acceptance tests of the master-password web admin in a real chromium:
// each walks the pages as a person would (typing, ticking, clicking) and
// checks what the page then shows, and where it matters what the SQLite
// database and the vault files on the data directory hold.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/padlock-phone/padlock/keyring"
	"github.com/padlock-phone/padlock/store"
	"github.com/padlock-phone/padlock/store/vaultfile"
)

// --- page vocabulary ---------------------------------------------------

// act runs actions, failing the test instead of hanging when an element
// never appears.
func (b *browserSession) act(actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

// open loads a path of the appliance (its address changes on restart).
func (b *browserSession) open(path string) {
	b.t.Helper()
	b.act(chromedp.Navigate(b.a.base + path))
}

// eval evaluates a JavaScript expression with a short timeout.
func (b *browserSession) eval(expr string, res any) error {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate(expr, res))
}

func jsString(s string) string {
	j, _ := json.Marshal(s)
	return string(j)
}

// submit clicks sel (a submit button or a link) and waits until the
// browser shows the page the server answered with.
func (b *browserSession) submit(sel string) {
	b.t.Helper()
	b.act(
		chromedp.Evaluate(`window.padlockOldPage = true`, nil),
		chromedp.Click(sel, chromedp.ByQuery),
	)
	deadline := time.Now().Add(wait)
	for {
		var fresh bool
		err := b.eval(`window.padlockOldPage !== true && document.readyState === "complete"`, &fresh)
		if err == nil && fresh {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("clicking %s led to no new page (last error %v); at %s", sel, err, b.path())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fill types values into fields: selector, value, selector, value...
func (b *browserSession) fill(pairs ...string) {
	b.t.Helper()
	var as []chromedp.Action
	for i := 0; i+1 < len(pairs); i += 2 {
		as = append(as, chromedp.SetValue(pairs[i], pairs[i+1], chromedp.ByQuery))
	}
	b.act(as...)
}

func (b *browserSession) path() string {
	var p string
	b.eval(`location.pathname`, &p)
	return p
}

func (b *browserSession) wantPath(want string) {
	b.t.Helper()
	if p := b.path(); p != want {
		b.t.Fatalf("page %s, want %s (error on it: %q)", p, want, b.textOf("#error"))
	}
}

// textOf is the text of the first element matching sel, "" if none.
func (b *browserSession) textOf(sel string) string {
	b.t.Helper()
	var s *string
	if err := b.eval(`(() => { const e = document.querySelector(`+jsString(sel)+`); return e ? e.textContent : null })()`, &s); err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	if s == nil {
		return ""
	}
	return strings.Join(strings.Fields(*s), " ")
}

// wantText checks that sel exists and its text contains want.
func (b *browserSession) wantText(sel, want string) {
	b.t.Helper()
	if !b.has(sel) {
		b.t.Fatalf("no %s on %s (error shown: %q)", sel, b.path(), b.textOf("#error"))
	}
	if got := b.textOf(sel); !strings.Contains(got, want) {
		b.t.Errorf("%s on %s says %q, want it to contain %q", sel, b.path(), got, want)
	}
}

func (b *browserSession) has(sel string) bool {
	b.t.Helper()
	var ok bool
	if err := b.eval(`document.querySelector(`+jsString(sel)+`) !== null`, &ok); err != nil {
		b.t.Fatalf("query %s: %v", sel, err)
	}
	return ok
}

func (b *browserSession) count(sel string) int {
	b.t.Helper()
	var n int
	if err := b.eval(`document.querySelectorAll(`+jsString(sel)+`).length`, &n); err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

func (b *browserSession) checked(sel string) bool {
	b.t.Helper()
	var on bool
	if err := b.eval(`document.querySelector(`+jsString(sel)+`).checked`, &on); err != nil {
		b.t.Fatalf("checked %s: %v", sel, err)
	}
	return on
}

// html is the whole page as the browser holds it now.
func (b *browserSession) html() string {
	b.t.Helper()
	var h string
	b.act(chromedp.OuterHTML("html", &h, chromedp.ByQuery))
	return h
}

// wantNoSecret checks that none of secrets is anywhere in the page.
func (b *browserSession) wantNoSecret(secrets ...string) {
	b.t.Helper()
	h := b.html()
	for _, s := range secrets {
		if strings.Contains(h, s) {
			b.t.Errorf("the page %s contains the password %q", b.path(), s)
		}
	}
}

// setUpVault walks the first-run page with a good password.
func (b *browserSession) setUpVault(pw string) {
	b.t.Helper()
	b.open("/")
	b.wantPath("/setup")
	b.fill("#password", pw, "#confirm", pw)
	b.submit("#setup-submit")
	b.wantPath("/")
}

// login fills the login form (the browser must be on /login).
func (b *browserSession) login(pw string) {
	b.t.Helper()
	b.fill("#password", pw)
	b.submit("#login-submit")
}

// restart stops the appliance and starts it again on the same data
// directory (at a new address; the certificate stays the same).
func (a *app) restart(t *testing.T) {
	t.Helper()
	if err := a.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	a.start(t)
}

// queryInt asks the appliance's SQLite database directly, over a
// connection of its own (WAL mode lets it read beside the running store).
func (a *app) queryInt(t *testing.T, q string, args ...any) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(a.data, "padlock.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// wantNoSecretInLog checks that the appliance logged none of secrets.
func (a *app) wantNoSecretInLog(t *testing.T, secrets ...string) {
	t.Helper()
	logs := a.logs.String()
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds the password %q", s)
		}
	}
}

// --- 1. first run --------------------------------------------------------

func TestAdminFirstRunInChromium(t *testing.T) {
	a := startAppliance(t)
	b := a.openBrowser(t)
	b.open("/")
	b.wantPath("/setup")
	if b.has("#logout") {
		t.Error("a logout button before any password is set")
	}

	// Typed in, a short password is stopped by the browser itself
	// (minlength), before anything is sent.
	b.act(
		chromedp.SendKeys("#password", "short pw", chromedp.ByQuery),
		chromedp.SendKeys("#confirm", "short pw", chromedp.ByQuery),
	)
	var tooShort bool
	if err := b.eval(`document.getElementById("password").validity.tooShort && !document.getElementById("setup-form").checkValidity()`, &tooShort); err != nil || !tooShort {
		t.Errorf("the browser lets an 8-character password through its own check (%v)", err)
	}
	// A browser that does not check (or a form posted without it) gets the
	// server's own words.
	b.act(chromedp.Evaluate(`document.getElementById("setup-form").noValidate = true`, nil))
	b.submit("#setup-submit")
	b.wantPath("/setup")
	b.wantText("#error", "at least 12 characters long (yours has 8)")

	tests := []struct {
		name, pw, confirm, want string
	}{
		{"mismatch", testPassword, testPassword + "!", "The two passwords are not the same"},
		{"common", "password1234", "password1234", "on the lists attackers try first"},
		{"repetitive", "abcabcabcabc", "abcabcabcabc", "on the lists attackers try first"},
	}
	for _, tt := range tests {
		b.fill("#password", tt.pw, "#confirm", tt.confirm)
		b.submit("#setup-submit")
		b.wantPath("/setup")
		b.wantText("#error", tt.want)
		b.wantNoSecret(tt.pw, tt.confirm)
	}
	if _, err := os.Stat(filepath.Join(a.data, vaultfile.HeaderName)); err == nil {
		t.Fatal("a refused password created the vault")
	}

	b.fill("#password", testPassword, "#confirm", testPassword)
	b.submit("#setup-submit")
	b.wantPath("/")
	b.wantText("#flash", "Master password set.")
	b.wantText("h2", "Phone")
	b.attr("#status", "data-status", "idle")
	b.attr("#lamp-alert", "data-pattern", "off") // the vault is open: no blinking
	if b.textOf("#vault") != "" {
		t.Errorf("phone page says %q after setup", b.textOf("#vault"))
	}
	b.wantNoSecret(testPassword)
	a.wantNoSecretInLog(t, testPassword, "password1234", "abcabcabcabc")
	// Setup is done once: the page now sends to the login.
	b.open("/setup")
	b.wantPath("/login")
}

// --- 2. logout and login -------------------------------------------------

func TestAdminLoginInChromium(t *testing.T) {
	a := startAppliance(t)
	b := a.openBrowser(t)
	b.setUpVault(testPassword)

	b.submit("#logout")
	b.wantPath("/login")
	b.wantText("#flash", "Logged out.")
	if b.has("#logout") || b.has("nav") {
		t.Error("the login page shows the logged-in navigation")
	}
	b.open("/accounts")
	b.wantPath("/login")

	b.login("correct pony staple batterY")
	b.wantPath("/login")
	b.wantText("#error", "Wrong master password.")
	b.wantNoSecret("correct pony staple batterY")

	b.login(testPassword)
	b.wantPath("/accounts") // back where the login was asked for
	b.wantText("h2", "Accounts")
	if !b.has("#logout") {
		t.Error("no logout button after login")
	}
	b.wantNoSecret(testPassword)
}

// --- 3. accounts ---------------------------------------------------------

func TestAdminAccountsInChromium(t *testing.T) {
	const (
		sipUser, sipServer, sipPW    = "alice", "127.0.0.2", "sip-Secret-4711"
		xmppUser, xmppServer, xmppPW = "bob", "127.0.0.3", "xmpp-Secret-0815"
		sipAddr, xmppAddr            = sipUser + "@" + sipServer, xmppUser + "@" + xmppServer
	)
	sipRow := `#accounts tr[data-account="` + sipAddr + `"]`
	xmppRow := `#accounts tr[data-account="` + xmppAddr + `"]`
	a := startAppliance(t)
	b := a.openBrowser(t)
	b.setUpVault(testPassword)

	b.open("/accounts")
	b.wantText("#no-accounts", "No accounts yet.")

	// A SIP account, password saved (the box is ticked by default).
	b.submit("#add-sip")
	b.wantPath("/accounts/new")
	if !b.checked(`input[name=kind][value=sip]`) || !b.checked("#save_password") || !b.checked("#enabled") {
		t.Error("the new SIP account form does not start as SIP, enabled, password saved")
	}
	b.fill("#user", sipUser, "#server", sipServer, "#display_name", "Alice Desk", "#password", sipPW)
	b.submit("#account-submit")
	b.wantPath("/accounts")
	b.wantText("#flash", "Account "+sipAddr+" added.")
	b.wantText(sipRow, "Alice Desk")
	b.wantText(sipRow+" td.pw-saved", "saved (sealed with the master password)")
	b.wantText(sipRow, "udp")
	b.wantNoSecret(sipPW)

	// An XMPP account whose password is not saved.
	b.open("/accounts/new?kind=xmpp")
	if !b.checked(`input[name=kind][value=xmpp]`) {
		t.Error("kind=xmpp does not preselect XMPP")
	}
	b.fill("#user", xmppUser, "#server", xmppServer, "#password", xmppPW)
	b.act(chromedp.Click("#save_password", chromedp.ByQuery))
	if b.checked("#save_password") {
		t.Fatal("#save_password still ticked after a click")
	}
	b.submit("#account-submit")
	b.wantPath("/accounts")
	b.wantText(xmppRow+" td.pw-memory", "not saved; held in memory until restart")
	b.wantText(xmppRow, "tcp")
	if n := b.count("#accounts tbody tr"); n != 2 {
		t.Errorf("%d accounts listed, want 2", n)
	}
	b.wantNoSecret(sipPW, xmppPW)
	// In the database: the SIP password sealed, the XMPP one absent.
	if n := a.queryInt(t, `SELECT count(*) FROM accounts WHERE user = ? AND password IS NOT NULL`, sipUser); n != 1 {
		t.Errorf("SIP account with a saved password: %d rows", n)
	}
	if n := a.queryInt(t, `SELECT count(*) FROM accounts WHERE user = ? AND password IS NULL`, xmppUser); n != 1 {
		t.Errorf("XMPP account without a saved password: %d rows", n)
	}
	for _, f := range []string{"padlock.db", "padlock.db-wal"} {
		raw, err := os.ReadFile(filepath.Join(a.data, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, pw := range []string{sipPW, xmppPW} {
			if bytes.Contains(raw, []byte(pw)) {
				t.Errorf("%s holds the password %q in clear", f, pw)
			}
		}
	}

	// Edit the SIP account: new display name and port; the password stays.
	b.submit(sipRow + " a")
	b.wantText("h2", "Edit "+sipAddr)
	var pwField string
	b.act(chromedp.Value("#password", &pwField, chromedp.ByQuery))
	if pwField != "" {
		t.Errorf("the edit page fills the password field with %q", pwField)
	}
	b.fill("#display_name", "Alice Front Desk", "#port", "5070")
	b.submit("#account-submit")
	b.wantPath("/accounts")
	b.wantText("#flash", "Account "+sipAddr+" saved.")
	b.wantText(sipRow, "(Alice Front Desk)")
	b.wantText(sipRow, "udp:5070")
	b.wantText(sipRow+" td.pw-saved", "saved")
	b.wantNoSecret(sipPW, xmppPW)
	if n := a.queryInt(t, `SELECT port FROM accounts WHERE user = ?`, sipUser); n != 5070 {
		t.Errorf("port in the database %d, want 5070", n)
	}

	// Disable, then enable again.
	b.submit(sipRow + " button.toggle")
	b.wantText("#flash", "Account "+sipAddr+" disabled.")
	b.wantText(sipRow+" button.toggle", "Enable")
	b.wantText(sipRow, "disabled")
	b.wantText(xmppRow+" button.toggle", "Disable") // the other one untouched
	b.submit(sipRow + " button.toggle")
	b.wantText("#flash", "Account "+sipAddr+" enabled.")
	b.wantText(sipRow+" button.toggle", "Disable")
	if n := a.queryInt(t, `SELECT enabled FROM accounts WHERE user = ?`, sipUser); n != 1 {
		t.Errorf("enabled in the database: %d", n)
	}

	// The same SIP user@server again is refused, and nothing is added.
	b.open("/accounts/new?kind=sip")
	b.fill("#user", sipUser, "#server", "127.0.0.2", "#password", "another-Secret-1")
	b.submit("#account-submit")
	b.wantPath("/accounts")
	b.wantText("#error", "There is already a SIP account "+sipAddr)
	b.wantText("h2", "Add account")
	b.wantNoSecret("another-Secret-1", sipPW)
	b.open("/accounts")
	if n := b.count("#accounts tbody tr"); n != 2 {
		t.Errorf("%d accounts listed after the duplicate, want 2", n)
	}

	// Remove the XMPP account.
	b.submit(xmppRow + " button.danger")
	b.wantText("#confirm-what", xmppAddr)
	b.lookRight("accounts, confirm removing one")
	b.submit("#confirm-submit")
	b.wantPath("/accounts")
	b.wantText("#flash", "Account "+xmppAddr+" removed.")
	if b.has(xmppRow) {
		t.Error("the removed XMPP account is still listed")
	}
	if !b.has(sipRow) {
		t.Error("removing the XMPP account took the SIP one too")
	}
	if n := a.queryInt(t, `SELECT count(*) FROM accounts WHERE kind = 'xmpp'`); n != 0 {
		t.Errorf("%d XMPP accounts left in the database", n)
	}
	b.wantNoSecret(sipPW, xmppPW)
	a.wantNoSecretInLog(t, sipPW, xmppPW, "another-Secret-1", testPassword)
}

// --- 4. saved passwords --------------------------------------------------

func TestAdminSavedPasswordsInChromium(t *testing.T) {
	a := startAppliance(t)
	b := a.openBrowser(t)
	b.setUpVault(testPassword)
	for _, acc := range []struct{ kind, user, pw string }{
		{"sip", "carol", "carol-Secret-1"},
		{"xmpp", "dave", "dave-Secret-2"},
	} {
		b.open("/accounts/new?kind=" + acc.kind)
		b.fill("#user", acc.user, "#server", "127.0.0.4", "#password", acc.pw)
		if acc.kind == "xmpp" {
			b.act(chromedp.Click("#save_password", chromedp.ByQuery))
		}
		b.submit("#account-submit")
		b.wantPath("/accounts")
	}
	carol := `#saved-passwords tr[data-account="carol@127.0.0.4"]`
	dave := `#saved-passwords tr[data-account="dave@127.0.0.4"]`

	b.open("/passwords")
	b.wantText(carol, "saved (sealed with the master password)")
	b.wantText(dave, "not saved; held in memory until restart")
	if !b.has(carol + " button") {
		t.Error("no Remove button for the saved password")
	}
	if b.has(dave + " button") {
		t.Error("a Remove button for a password that is not saved")
	}

	b.submit(carol + " button")
	b.wantPath("/passwords")
	b.wantText("#flash", "Saved password of carol@127.0.0.4 removed.")
	b.wantText(carol, "not saved; held in memory until restart")
	if b.has(carol + " button") {
		t.Error("the Remove button stays after removing")
	}
	b.wantNoSecret("carol-Secret-1", "dave-Secret-2")
	if n := a.queryInt(t, `SELECT count(*) FROM accounts WHERE password IS NOT NULL`); n != 0 {
		t.Errorf("%d saved passwords left in the database", n)
	}

	// After a restart, memory is gone: both must be typed in again.
	a.restart(t)
	b.open("/passwords")
	b.wantPath("/login")
	b.login(testPassword)
	b.open("/passwords")
	b.wantText(carol, "not saved: enter it to use this account")
	b.wantText(dave, "not saved: enter it to use this account")

	// The accounts page asks for it; typed in, it is used until restart.
	b.open("/accounts")
	daveRow := `#accounts tr[data-account="dave@127.0.0.4"]`
	b.wantText(daveRow+" td.pw-needed", "not saved: enter it to use this account")
	b.fill(daveRow+" input[type=password]", "dave-Secret-2")
	b.submit(daveRow + " td.pw-needed button")
	b.wantPath("/accounts")
	b.wantText("#flash", "Password for dave@127.0.0.4 taken.")
	b.wantText(daveRow+" td.pw-memory", "not saved; held in memory until restart")
	b.wantText(`#accounts tr[data-account="carol@127.0.0.4"] td.pw-needed`, "not saved: enter it")
	b.wantNoSecret("carol-Secret-1", "dave-Secret-2")
	a.wantNoSecretInLog(t, "carol-Secret-1", "dave-Secret-2", testPassword)
}

// --- 5. privacy settings -------------------------------------------------

func TestAdminPrivacySettingsInChromium(t *testing.T) {
	a := startAppliance(t)
	b := a.openBrowser(t)
	b.setUpVault(testPassword)
	settings := []store.Setting{
		store.LogChatHistory, store.LogCallHistory, store.PacketLogging,
		store.RequirePrivateMessaging, store.RequireEndToEndCalls, store.RequireEncryptedCalls,
	}
	b.open("/settings")
	if n := b.count(`#settings-form input[type=checkbox]`); n != len(settings) {
		t.Fatalf("%d checkboxes on the settings page, want %d", n, len(settings))
	}
	for _, s := range settings {
		if got := b.checked("#set-" + string(s)); got != store.Defaults[s] {
			t.Errorf("%s shows %v at first, want the default %v", s, got, store.Defaults[s])
		}
	}
	// Every box flipped, saved, reloaded; then back again.
	for round, want := range []func(store.Setting) bool{
		func(s store.Setting) bool { return !store.Defaults[s] },
		func(s store.Setting) bool { return store.Defaults[s] },
	} {
		for _, s := range settings {
			b.act(chromedp.Click("#set-"+string(s), chromedp.ByQuery))
		}
		// Turning protection down needs the master password again.
		b.act(chromedp.SendKeys("#settings-password", testPassword, chromedp.ByQuery))
		b.submit("#settings-submit")
		b.wantPath("/settings")
		b.wantText("#flash", "Settings saved.")
		b.open("/settings")
		for _, s := range settings {
			if got := b.checked("#set-" + string(s)); got != want(s) {
				t.Errorf("round %d: %s shows %v after reload, want %v", round, s, got, want(s))
			}
			if n := a.queryInt(t, `SELECT value = '1' FROM settings WHERE key = ?`, string(s)); (n == 1) != want(s) {
				t.Errorf("round %d: %s in the database is %v, want %v", round, s, n == 1, want(s))
			}
		}
	}
}

// --- 6. purge history ----------------------------------------------------

// seedHistory writes history into the stopped appliance's store, through
// the store API with the vault unlocked, the way the protocols will.
func seedHistory(t *testing.T, a *app, entries map[string]int) (accountID int64) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(a.data, "padlock.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := keyring.Open(a.data, st, vaultParams, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Unlock([]byte(testPassword)); err != nil {
		t.Fatal(err)
	}
	defer keys.Lock()
	accs, err := st.Accounts(ctx)
	if err != nil || len(accs) != 1 {
		t.Fatalf("accounts %v, %v; want the one added in the browser", accs, err)
	}
	if err := st.SetBool(ctx, store.LogChatHistory, true); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for contact, n := range entries {
		for i := range n {
			kind := store.Chat
			if i%2 == 1 {
				kind = store.Call
			}
			at = at.Add(time.Minute)
			if _, err := st.AddHistory(ctx, store.HistoryEntry{AccountID: accs[0].ID, Contact: contact, Time: at,
				Direction: store.In, Kind: kind, Body: []byte("hello from " + contact)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return accs[0].ID
}

func TestAdminPurgeHistoryInChromium(t *testing.T) {
	a := startAppliance(t)
	b := a.openBrowser(t)
	b.setUpVault(testPassword)
	b.open("/accounts/new?kind=xmpp")
	b.fill("#user", "erin", "#server", "127.0.0.4", "#password", "erin-Secret-3")
	b.submit("#account-submit")
	b.wantPath("/accounts")

	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	id := seedHistory(t, a, map[string]int{"frank@127.0.0.4": 3, "grace@127.0.0.4": 2})
	a.start(t)
	countFor := func(contact string) int {
		return a.queryInt(t, `SELECT count(*) FROM history WHERE contact = ?`, contact)
	}
	if f, g := countFor("frank@127.0.0.4"), countFor("grace@127.0.0.4"); f != 3 || g != 2 {
		t.Fatalf("seeded history: frank %d, grace %d", f, g)
	}

	b.open("/settings")
	b.wantPath("/login")
	b.login(testPassword)
	b.open("/settings")
	var account string
	b.act(chromedp.Value("#purge-account", &account, chromedp.ByQuery))
	if account != strconv.FormatInt(id, 10) {
		t.Errorf("purge form preselects account %q, want %d", account, id)
	}
	b.fill("#contact", "frank@127.0.0.4")
	b.submit("#purge-contact-submit")
	b.wantText("#confirm-what", "frank@127.0.0.4")
	b.submit("#confirm-submit")
	b.wantPath("/settings")
	b.wantText("#flash", "History purged: 3 entries deleted.")
	if f, g := countFor("frank@127.0.0.4"), countFor("grace@127.0.0.4"); f != 0 || g != 2 {
		t.Errorf("after purging frank: frank %d rows, grace %d rows; want 0 and 2", f, g)
	}

	// Purge all asks first: Cancel keeps everything, the second step purges.
	b.submit("#purge-all-submit")
	b.wantText("h2", "Purge all history?")
	b.wantText("#confirm-what", "Every call and message in the history")
	b.lookRight("privacy, confirm purging all history")
	if n := a.queryInt(t, `SELECT count(*) FROM history`); n != 2 {
		t.Errorf("asking to purge already deleted: %d rows left, want 2", n)
	}
	b.submit("#confirm-cancel")
	b.wantPath("/settings")
	if n := a.queryInt(t, `SELECT count(*) FROM history`); n != 2 {
		t.Errorf("Cancel purged: %d rows left, want 2", n)
	}
	b.submit("#purge-all-submit")
	b.submit("#confirm-submit")
	b.wantPath("/settings")
	b.wantText("#flash", "History purged: 2 entries deleted.")
	if n := a.queryInt(t, `SELECT count(*) FROM history`); n != 0 {
		t.Errorf("%d history rows left after purging all", n)
	}
	// The account itself stays.
	if n := a.queryInt(t, `SELECT count(*) FROM accounts`); n != 1 {
		t.Errorf("%d accounts after the purge, want 1", n)
	}
}

// --- 7. change the master password ---------------------------------------

func TestAdminChangePasswordInChromium(t *testing.T) {
	const newPassword = "violet kettle harbour seven"
	a := startAppliance(t)
	b := a.openBrowser(t)
	b.setUpVault(testPassword)
	header := filepath.Join(a.data, vaultfile.HeaderName)
	before, err := os.ReadFile(header)
	if err != nil {
		t.Fatal(err)
	}

	b.open("/security")
	b.fill("#current", "not the master password", "#password", newPassword, "#confirm", newPassword)
	b.submit("#change-submit")
	b.wantText("#error", "The current master password is wrong; nothing was changed.")
	b.wantNoSecret("not the master password", newPassword)
	if after, _ := os.ReadFile(header); !bytes.Equal(before, after) {
		t.Error("a wrong current password changed the vault header")
	}
	if !b.has("#logout") {
		t.Error("a wrong current password ended the session")
	}

	b.open("/security")
	b.fill("#current", testPassword, "#password", newPassword, "#confirm", newPassword)
	b.submit("#change-submit")
	b.wantPath("/login")
	b.wantText("#flash", "Master password changed. Log in with the new one.")
	if after, _ := os.ReadFile(header); bytes.Equal(before, after) {
		t.Error("the vault header is unchanged after a password change")
	}
	b.open("/accounts")
	b.wantPath("/login") // the session ended

	b.login(testPassword)
	b.wantPath("/login")
	b.wantText("#error", "Wrong master password.")
	b.login(newPassword)
	b.wantPath("/accounts")
	b.wantNoSecret(testPassword, newPassword)

	// The new password is the one on disk: after a restart it still opens.
	a.restart(t)
	b.open("/")
	b.wantPath("/login")
	b.wantText(".warn", "The phone is locked")
	b.login(newPassword)
	b.wantPath("/")
	a.wantNoSecretInLog(t, testPassword, newPassword, "not the master password")
}

// --- 8. keep unlocked ----------------------------------------------------

func TestAdminKeepUnlockedInChromium(t *testing.T) {
	a := startAppliance(t)
	b := a.openBrowser(t)
	b.setUpVault(testPassword)
	keyFile := filepath.Join(a.data, vaultfile.KeyName)

	b.open("/security")
	b.wantText("#keep-state", "locked after every restart")
	b.submit("#keep-submit") // without ticking "I understand"
	b.wantText("#error", "Tick the box to confirm you understand")
	b.wantText("#keep-state", "locked after every restart")
	if _, err := os.Stat(keyFile); err == nil {
		t.Fatal("the key file was written without the confirmation")
	}

	b.act(chromedp.Click("#understood", chromedp.ByQuery))
	b.submit("#keep-submit") // without the master password
	b.wantText("#error", "enter the master password to confirm")
	if _, err := os.Stat(keyFile); err == nil {
		t.Fatal("the key file was written without the master password")
	}
	b.act(chromedp.Click("#understood", chromedp.ByQuery))
	b.act(chromedp.SendKeys("#keep-password", testPassword, chromedp.ByQuery))
	b.submit("#keep-submit")
	b.wantPath("/security")
	b.wantText("#flash", "The vault now stays unlocked across restarts.")
	b.wantText("#keep-state", "stays unlocked")
	if _, err := os.Stat(keyFile); err != nil {
		t.Errorf("no key file after choosing to stay unlocked: %v", err)
	}

	// After a restart the phone is unlocked before anyone logs in; the
	// pages still need the password.
	a.restart(t)
	b.open("/")
	b.wantPath("/login")
	if b.has(".warn") {
		t.Errorf("login page after a restart says %q though the vault stays unlocked", b.textOf(".warn"))
	}
	b.login(testPassword)
	b.wantPath("/")
	b.attr("#lamp-alert", "data-pattern", "off")

	b.open("/security")
	b.wantText("#keep-state", "stays unlocked")
	b.submit("#keep-submit")
	b.wantText("#flash", "The vault will be locked after every restart.")
	b.wantText("#keep-state", "locked after every restart")
	if _, err := os.Stat(keyFile); err == nil {
		t.Error("the key file is still there after turning keep-unlocked off")
	}

	a.restart(t)
	b.open("/")
	b.wantPath("/login")
	b.wantText(".warn", "The phone is locked")
	b.login(testPassword)
	b.wantPath("/")
}
