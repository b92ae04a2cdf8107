package webadmin

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/keyring"
	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/store"
)

const goodPassword = "tulip engine ladder seventy"

// fakeClock is a settable clock for idle timeouts and the throttle.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// admin is a web admin on a real store and keyring, behind real TLS.
type admin struct {
	srv   *httptest.Server
	st    *store.Store
	keys  *keyring.Keyring
	clock *fakeClock
}

func newAdmin(t *testing.T) *admin { t.Helper(); return newAdminWith(t, nil) }

// newAdminWith is newAdmin with more of the Config set by more.
func newAdminWith(t *testing.T, more func(*Config, *store.Store)) *admin {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "padlock.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := keyring.Open(dir, st, vault.TestParams, nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	cfg := Config{Phone: phone.New(phone.Config{}), Keyring: keys, Store: st, Now: clock.now}
	if more != nil {
		more(&cfg, st)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	return &admin{srv: srv, st: st, keys: keys, clock: clock}
}

// client is one browser: its own cookies, redirects shown not followed.
type client struct {
	t    *testing.T
	a    *admin
	http *http.Client
	csrf string
}

func (a *admin) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	c := a.srv.Client()
	hc := &http.Client{Transport: c.Transport, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &client{t: t, a: a, http: hc}
}

type response struct {
	*http.Response
	body string
}

func (c *client) get(path string) response {
	c.t.Helper()
	resp, err := c.http.Get(c.a.srv.URL + path)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.read(resp)
}

func (c *client) read(resp *http.Response) response {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return response{resp, string(b)}
}

var csrfRE = regexp.MustCompile(`<meta name="csrf" content="([0-9a-f]+)">`)

// post sends a form as a browser would from our own page (same-origin).
func (c *client) post(path string, form url.Values, withCSRF bool) response {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if withCSRF {
		form.Set("csrf", c.csrf)
	}
	req, _ := http.NewRequest("POST", c.a.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.read(resp)
}

func (c *client) setUp() {
	c.t.Helper()
	r := c.post("/setup", url.Values{"password": {goodPassword}, "confirm": {goodPassword}}, false)
	if r.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("setup: %s %s", r.Status, r.body)
	}
	c.get("/") // picks up the CSRF token
}

func (c *client) login(pw string) response {
	c.t.Helper()
	r := c.post("/login", url.Values{"password": {pw}}, false)
	if r.StatusCode == http.StatusSeeOther {
		c.get("/")
	}
	return r
}

func TestFirstRunAndPasswordRules(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	if r := c.get("/accounts"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/setup" {
		t.Fatalf("before setup: %s -> %q", r.Status, r.Header.Get("Location"))
	}
	if r := c.get("/login"); r.Header.Get("Location") != "/setup" {
		t.Fatalf("login before setup: %s", r.Status)
	}
	bad := []struct{ pw, confirm, want string }{
		{"short", "short", "at least 12 characters"},
		{goodPassword, goodPassword + "x", "not the same"},
		{"password1234", "password1234", "lists attackers try first"},
		{"PassWord1234", "PassWord1234", "lists attackers try first"},
		{"abcabcabcabc", "abcabcabcabc", "lists attackers try first"},
		{"zzzzzzzzzzzzzzzz", "zzzzzzzzzzzzzzzz", "lists attackers try first"},
	}
	for _, b := range bad {
		r := c.post("/setup", url.Values{"password": {b.pw}, "confirm": {b.confirm}}, false)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, b.want) {
			t.Errorf("%q: %s, page lacks %q", b.pw, r.Status, b.want)
		}
		if a.keys.Initialized() {
			t.Fatalf("%q was accepted", b.pw)
		}
	}
	c.setUp()
	if !a.keys.Initialized() || a.keys.Locked() {
		t.Fatal("setup did not create an unlocked vault")
	}
	// A second setup is refused and changes nothing.
	other := a.client(t)
	if r := other.post("/setup", url.Values{"password": {"another long password"}, "confirm": {"another long password"}}, false); r.StatusCode != http.StatusConflict {
		t.Errorf("second setup: %s", r.Status)
	}
	if r := other.login(goodPassword); r.StatusCode != http.StatusSeeOther {
		t.Errorf("login with the first password after a second setup attempt: %s", r.Status)
	}
}

func TestSessionRules(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	c.setUp()

	// Cookie flags.
	u, _ := url.Parse(a.srv.URL)
	r := c.post("/login", url.Values{"password": {goodPassword}}, false)
	var sc *http.Cookie
	for _, ck := range r.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			sc = ck
		}
	}
	if sc == nil || !sc.Secure || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != "/" || sc.Domain != "" {
		t.Fatalf("session cookie %+v", sc)
	}
	if !strings.HasPrefix(sc.Name, "__Host-") {
		t.Errorf("cookie %q is not a __Host- cookie", sc.Name)
	}
	// A new token at every login.
	sessionToken := func() string {
		for _, ck := range c.http.Jar.Cookies(u) {
			if ck.Name == sessionCookie {
				return ck.Value
			}
		}
		return ""
	}
	first := sessionToken()
	c.login(goodPassword)
	if second := sessionToken(); first == "" || second == "" || first == second {
		t.Errorf("login kept the session token")
	}

	// No session: pages redirect to login, posts are refused.
	anon := a.client(t)
	for _, p := range []string{"/", "/accounts", "/settings", "/security", "/passwords"} {
		if r := anon.get(p); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Errorf("GET %s without session: %s -> %q", p, r.Status, r.Header.Get("Location"))
		}
	}
	if r := anon.post("/settings", url.Values{}, true); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST without session: %s", r.Status)
	}

	// CSRF: every state change needs the token.
	c.get("/settings")
	for _, p := range []string{"/settings", "/accounts", "/call/dial", "/history/purge", "/security/password", "/logout", "/security/keep-unlocked"} {
		if r := c.post(p, url.Values{"target": {"echo"}}, false); r.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without CSRF token: %s", p, r.Status)
		}
		saved := c.csrf
		c.csrf = strings.Repeat("0", 32)
		if r := c.post(p, url.Values{"target": {"echo"}}, true); r.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s with a wrong CSRF token: %s", p, r.Status)
		}
		c.csrf = saved
	}
	// Login and setup refuse cross-site posts.
	req, _ := http.NewRequest("POST", a.srv.URL+"/login", strings.NewReader("password="+url.QueryEscape(goodPassword)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := anon.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site login: %s", resp.Status)
	}

	// Idle timeout.
	a.clock.add(idleTimeout + time.Second)
	if r := c.get("/accounts"); r.Header.Get("Location") != "/login?next=%2Faccounts" {
		t.Errorf("after idle timeout: %s %q", r.Status, r.Header.Get("Location"))
	}
	c.login(goodPassword)
	a.clock.add(idleTimeout - time.Minute)
	if r := c.get("/accounts"); r.StatusCode != http.StatusOK {
		t.Errorf("active session expired early: %s", r.Status)
	}

	// Logout invalidates the token even if a copy of the cookie is replayed.
	stolen := c.http.Jar.Cookies(u)
	if r := c.post("/logout", nil, true); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %s", r.Status)
	}
	thief := a.client(t)
	thief.http.Jar.SetCookies(u, stolen)
	if r := thief.get("/accounts"); !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("old cookie after logout: %s", r.Status)
	}
}

func TestSecurityHeaders(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	c.setUp()
	for _, p := range []string{"/", "/accounts", "/login", "/static/padlock.js"} {
		r := c.get(p)
		h := r.Header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s CSP %q", p, csp)
		}
		if !strings.HasPrefix(h.Get("Strict-Transport-Security"), "max-age=") {
			t.Errorf("%s: no HSTS", p)
		}
		if !strings.HasSuffix(p, ".js") && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", p, h.Get("Cache-Control"))
		}
		if strings.Contains(r.body, "<script>") || regexp.MustCompile(`<script[^>]*>[^<]`).MatchString(r.body) {
			t.Errorf("%s has inline script", p)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: framing allowed (CSP %q, XFO %q)", p, csp, h.Get("X-Frame-Options"))
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: nosniff %q, Referrer-Policy %q", p, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
		}
		if ct := h.Get("Content-Type"); !strings.Contains(ct, "charset=utf-8") && !strings.HasPrefix(ct, "text/javascript") {
			t.Errorf("%s: Content-Type %q", p, ct)
		}
		if h.Get("Server") != "" || h.Get("X-Powered-By") != "" {
			t.Errorf("%s names its software: %q", p, h.Get("Server"))
		}
	}
	// Only the methods a route declares.
	req, _ := http.NewRequest("DELETE", a.srv.URL+"/state", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /state: %s", resp.Status)
	}
}

func TestLoginThrottle(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	c.setUp()
	attacker := a.client(t)
	var throttled int
	for i := 0; i < 20; i++ {
		r := attacker.login("guess number " + strings.Repeat("x", i))
		switch r.StatusCode {
		case http.StatusUnauthorized:
			if !strings.Contains(r.body, "Wrong master password.") {
				t.Fatalf("wrong password page lacks the message")
			}
		case http.StatusTooManyRequests:
			throttled++
			if r.Header.Get("Retry-After") == "" || !strings.Contains(r.body, "Too many wrong passwords") {
				t.Errorf("throttle page: %q", r.Header.Get("Retry-After"))
			}
		default:
			t.Fatalf("attempt %d: %s", i, r.Status)
		}
	}
	if throttled < 15 {
		t.Fatalf("only %d of 20 fast wrong logins were throttled", throttled)
	}
	// While throttled even the right password waits: no oracle.
	if r := attacker.login(goodPassword); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("right password while throttled: %s", r.Status)
	}
	// After the delay it works again.
	a.clock.add(maxDelay)
	if r := attacker.login(goodPassword); r.StatusCode != http.StatusSeeOther {
		t.Errorf("right password after the delay: %s", r.Status)
	}
}

// TestPasswordsNeverSentBack adds accounts with passwords and fetches every
// page: no password may appear in any body.
func TestPasswordsNeverSentBack(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	c.setUp()
	secrets := []string{"sip-secret-Kq83n", "xmpp-secret-Zp02m", "memory-only-Wq71"}
	r := c.post("/accounts", url.Values{"kind": {"sip"}, "user": {"alice"}, "server": {"example.org"}, "transport": {"udp"},
		"enabled": {"on"}, "password": {secrets[0]}, "save_password": {"on"}}, true)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("add sip: %s %s", r.Status, r.body)
	}
	r = c.post("/accounts", url.Values{"kind": {"xmpp"}, "user": {"bob"}, "server": {"example.org"}, "transport": {"tcp"},
		"password": {secrets[2]}}, true)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("add xmpp: %s %s", r.Status, r.body)
	}
	// A form that fails validation must not echo the password either.
	r = c.post("/accounts", url.Values{"kind": {"xmpp"}, "user": {"bob"}, "server": {"example.org"}, "transport": {"udp"},
		"password": {secrets[1]}}, true)
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "not UDP") {
		t.Errorf("xmpp over udp: %s", r.Status)
	}
	check := func(where string, body string) {
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s contains the password %q", where, s)
			}
		}
	}
	check("the invalid form", r.body)
	accs, _ := a.st.Accounts(context.Background())
	pages := []string{"/", "/accounts", "/passwords", "/settings", "/security", "/state", "/accounts/new?kind=sip"}
	for _, acc := range accs {
		pages = append(pages, "/accounts/"+strconv.FormatInt(acc.ID, 10))
	}
	for _, p := range pages {
		r := c.get(p)
		if r.StatusCode != http.StatusOK {
			t.Errorf("%s: %s", p, r.Status)
		}
		check(p, r.body)
	}
	// The memory-only password is usable but not in the store.
	for _, acc := range accs {
		pw, err := a.keys.AccountPassword(context.Background(), acc.ID)
		if err != nil {
			t.Fatalf("%s: %v", acc.Address(), err)
		}
		if acc.Kind == store.XMPP && (acc.HasPassword || string(pw) != secrets[2]) {
			t.Errorf("unsaved XMPP password: saved=%v", acc.HasPassword)
		}
	}
}

// TestLoginReturnsToThePage: after a login the person lands where they
// were sent from, and never on another site.
func TestLoginReturnsToThePage(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	c.setUp()
	c.post("/logout", nil, true)
	r := c.get("/passwords")
	if loc := r.Header.Get("Location"); loc != "/login?next=%2Fpasswords" {
		t.Fatalf("redirect %q", loc)
	}
	if r := c.get("/login?next=%2Fpasswords"); !strings.Contains(r.body, `name="next" value="/passwords"`) {
		t.Fatalf("login form lacks next")
	}
	for next, want := range map[string]string{"/passwords": "/passwords", "//evil.example/": "/", "https://evil.example/": "/", "/\\evil.example": "/"} {
		r := c.post("/login", url.Values{"password": {goodPassword}, "next": {next}}, false)
		if loc := r.Header.Get("Location"); loc != want {
			t.Errorf("next %q: went to %q, want %q", next, loc, want)
		}
	}
}

// TestSaveMemoryPassword: ticking "save" on an account whose password is
// held in memory seals that password; with none known, the page says so.
func TestSaveMemoryPassword(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	c.setUp()
	form := url.Values{"kind": {"xmpp"}, "user": {"bob"}, "server": {"example.org"}, "transport": {"tcp"}, "password": {"held-in-memory"}}
	if r := c.post("/accounts", form, true); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %s", r.Status)
	}
	accs, _ := a.st.Accounts(context.Background())
	id := strconv.FormatInt(accs[0].ID, 10)
	edit := url.Values{"user": {"bob"}, "server": {"example.org"}, "transport": {"tcp"}, "save_password": {"on"}}
	if r := c.post("/accounts/"+id, edit, true); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %s %s", r.Status, r.body)
	}
	if pw, err := a.st.AccountPassword(context.Background(), accs[0].ID); err != nil || string(pw) != "held-in-memory" {
		t.Fatalf("saved password: %q %v", pw, err)
	}
	// Unsave, forget by locking, then ask to save with nothing known.
	edit.Del("save_password")
	c.post("/accounts/"+id, edit, true)
	a.keys.Lock()
	a.keys.Unlock([]byte(goodPassword))
	edit.Set("save_password", "on")
	r := c.post("/accounts/"+id, edit, true)
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "Type the password to save it") {
		t.Fatalf("save with no password known: %s", r.Status)
	}
}

// TestHistoryPage: logged calls and messages are listed, opened from their
// sealed bodies and put into words.
func TestHistoryPage(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	c.setUp()
	ctx := context.Background()
	id, err := a.keys.CreateAccount(ctx, store.Account{Kind: store.SIP, User: "alice", Server: "127.0.0.9", Transport: store.UDP, Enabled: true}, []byte("pw"), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.st.SetBool(ctx, store.LogChatHistory, true); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	for _, e := range []store.HistoryEntry{
		{AccountID: id, Contact: "bob@127.0.0.9", Time: when, Direction: store.Out, Kind: store.Call,
			Body: []byte(`{"outcome":"answered","duration_ms":65000,"security":"verified"}`)},
		{AccountID: id, Contact: "carol@127.0.0.9", Time: when.Add(time.Minute), Direction: store.In, Kind: store.Chat, Body: []byte("see you at noon")},
	} {
		if _, err := a.st.AddHistory(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	r := c.get("/history")
	for _, want := range []string{"answered, 1m5s, verified", "bob@127.0.0.9", "see you at noon", "alice@127.0.0.9"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("history page lacks %q", want)
		}
	}
	if r := c.get("/history?kind=call"); strings.Contains(r.body, "see you at noon") {
		t.Error("the calls-only view lists a message")
	}
	if r := a.client(t).get("/history"); !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("history without a session: %s", r.Status)
	}
}

// TestHistoryPages: history longer than a page is reachable page by page,
// newest first, every entry exactly once, and the kind filter is kept
// across pages.
func TestHistoryPages(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	c.setUp()
	ctx := context.Background()
	id, err := a.keys.CreateAccount(ctx, store.Account{Kind: store.SIP, User: "alice", Server: "127.0.0.9", Transport: store.UDP, Enabled: true}, []byte("pw"), true)
	if err != nil {
		t.Fatal(err)
	}
	const n = 2*historyLimit + 5
	when := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	for i := range n {
		e := store.HistoryEntry{AccountID: id, Contact: fmt.Sprintf("caller%03d@127.0.0.9", i), Time: when.Add(time.Duration(i) * time.Minute),
			Direction: store.In, Kind: store.Call, Body: []byte(`{"outcome":"missed"}`)}
		if _, err := a.st.AddHistory(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	caller := regexp.MustCompile(`caller(\d{3})@`)
	seen := map[string]int{}
	var order []int
	path, pages := "/history?kind=call", 0
	for path != "" {
		pages++
		r := c.get(path)
		for _, m := range caller.FindAllStringSubmatch(r.body, -1) {
			seen[m[1]]++
			if seen[m[1]] == 1 {
				k, _ := strconv.Atoi(m[1])
				order = append(order, k)
			}
		}
		next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(r.body)
		path = ""
		if next != nil {
			path = html.UnescapeString(next[1])
			if !strings.Contains(path, "kind=call") {
				t.Fatalf("next page %q drops the kind filter", path)
			}
		}
		if pages > 5 {
			t.Fatal("the pages never end")
		}
	}
	if pages != 3 || len(order) != n {
		t.Fatalf("%d pages, %d distinct entries; want 3 pages and %d", pages, len(order), n)
	}
	for i, k := range order {
		if k != n-1-i {
			t.Fatalf("entry %d is caller %03d, want %03d (newest first); %v", i, k, n-1-i, order[max(i-3, 0):min(i+5, len(order))])
		}
	}
	if r := c.get("/history?page=99"); !strings.Contains(r.body, "No older entries") || !strings.Contains(r.body, `rel="prev"`) {
		t.Error("a page past the end should say so and link back")
	}
	if r := c.get("/history?page=-3"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "caller404@") {
		t.Errorf("a bad page number should show the first page: %s", r.Status)
	}
}
