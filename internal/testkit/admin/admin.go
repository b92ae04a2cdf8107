// Package admin is the web admin as an end-to-end test drives it: over
// HTTPS, trusting the device's own certificate, keeping the session
// cookie, sending requests the way the admin's own script does. It holds
// the steps every such test takes: set up the master password, log in,
// read the state, add a SIP account and wait until it is registered.
package admin

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Client is one browser session with a web admin.
type Client struct {
	Base string       // https://host:port
	HTTP *http.Client // trusts the device certificate, keeps cookies, shows redirects
	// Logs, when set, returns the appliance's log for failure messages.
	Logs func() string
}

// New is a session with the web admin at base whose certificate is
// certPEM. Redirects are returned to the caller, not followed.
func New(base string, certPEM []byte) *Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	jar, _ := cookiejar.New(nil)
	return &Client{Base: base, HTTP: &http.Client{
		Jar:           jar,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Do sends a request the way the web admin's own script does (a POST is
// a same-origin fetch with the CSRF token, when csrf is not empty) and
// returns the response with its body read.
func (c *Client) Do(t testing.TB, method, path string, form url.Values, csrf string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, c.Base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Requested-With", "fetch")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// Post is Do for a POST that must succeed with 204 No Content.
func (c *Client) Post(t testing.TB, path string, form url.Values, csrf string) {
	t.Helper()
	if r, body := c.Do(t, http.MethodPost, path, form, csrf); r.StatusCode != http.StatusNoContent {
		t.Fatalf("POST %s: %s %s", path, r.Status, body)
	}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf" content="([0-9a-f]+)">`)

// CSRF is the session's CSRF token, read from the home page.
func (c *Client) CSRF(t testing.TB) string {
	t.Helper()
	_, body := c.Do(t, http.MethodGet, "/", nil, "")
	m := csrfMeta.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on the home page:\n%s", body)
	}
	return m[1]
}

// SetUp sets the master password on a fresh appliance (which logs this
// session in) and returns the session's CSRF token.
func (c *Client) SetUp(t testing.TB, password string) string {
	t.Helper()
	resp, body := c.Do(t, http.MethodPost, "/setup", url.Values{"password": {password}, "confirm": {password}}, "")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("setup: %s %s", resp.Status, body)
	}
	return c.CSRF(t)
}

// LogIn logs this session in with the master password and returns its
// CSRF token.
func (c *Client) LogIn(t testing.TB, password string) string {
	t.Helper()
	if r, body := c.Do(t, http.MethodPost, "/login", url.Values{"password": {password}}, ""); r.StatusCode >= 400 {
		t.Fatalf("login: %s %s", r.Status, body)
	}
	return c.CSRF(t)
}

// State is the web admin's /state snapshot.
func (c *Client) State(t testing.TB) map[string]any {
	t.Helper()
	resp, body := c.Do(t, http.MethodGet, "/state", nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("state: %s", resp.Status)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("state: %v in %q", err, body)
	}
	return v
}

// WaitState polls /state until key reads want (within 10 s) and returns
// that snapshot.
func (c *Client) WaitState(t testing.TB, key, want string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v := c.State(t)
		if v[key] == want {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %s (state %v)", key, v[key], want, v)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// SIPAccount is what the accounts form asks for a SIP account; the
// password is saved.
type SIPAccount struct {
	User, Password string
	Server         string // host of the registrar (the account's domain)
	Port           int
}

// AddSIPAccount adds an enabled SIP account over UDP through the
// accounts form.
func (c *Client) AddSIPAccount(t testing.TB, csrf string, a SIPAccount) {
	t.Helper()
	form := url.Values{"kind": {"sip"}, "user": {a.User}, "server": {a.Server}, "port": {strconv.Itoa(a.Port)}, "transport": {"udp"},
		"enabled": {"on"}, "password": {a.Password}, "save_password": {"on"}}
	if r, body := c.Do(t, http.MethodPost, "/accounts", form, csrf); r.StatusCode != http.StatusNoContent {
		t.Fatalf("add account %s: %s %s", a.User, r.Status, body)
	}
}

// WaitRegistered waits until the accounts page shows an account
// registered (within 15 s).
func (c *Client) WaitRegistered(t testing.TB, user string) {
	t.Helper()
	c.waitRegistered(t, 1, user)
}

// WaitRegisteredN waits until the accounts page shows n accounts
// registered (within 15 s).
func (c *Client) WaitRegisteredN(t testing.TB, n int) {
	t.Helper()
	c.waitRegistered(t, n, strconv.Itoa(n)+" accounts")
}

func (c *Client) waitRegistered(t testing.TB, n int, who string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, body := c.Do(t, http.MethodGet, "/accounts", nil, "")
		if strings.Count(body, `data-status="registered"`) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never registered; accounts page:\n%s\n%s", who, body, c.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// AddRegisteredSIPAccount is AddSIPAccount, then WaitRegistered.
func (c *Client) AddRegisteredSIPAccount(t testing.TB, csrf string, a SIPAccount) {
	t.Helper()
	c.AddSIPAccount(t, csrf, a)
	c.WaitRegistered(t, a.User)
}

func (c *Client) logs() string {
	if c.Logs == nil {
		return ""
	}
	return "appliance log:\n" + c.Logs()
}
