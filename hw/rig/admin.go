package rig

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Admin is the phone's web admin seen by the scenario: what a person does
// in a browser, over HTTPS.
type Admin struct {
	base   string // https://host:port
	client *http.Client
	csrf   string
}

// NewAdmin talks to the web admin at base (https://host:port), trusting
// only the certificate whose SHA-256 fingerprint is fingerprint (hex, with
// or without colons: the appliance logs it as certificate_sha256 at start).
func NewAdmin(base, fingerprint string) (*Admin, error) {
	want, err := hex.DecodeString(strings.ReplaceAll(fingerprint, ":", ""))
	if err != nil || len(want) != sha256.Size {
		return nil, fmt.Errorf("web admin fingerprint %q: want the 64 hex digits of certificate_sha256", fingerprint)
	}
	jar, _ := cookiejar.New(nil)
	tc := &tls.Config{
		// The device certificate is self-signed: it is pinned by its
		// fingerprint instead of checked against a CA.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("web admin sent no certificate")
			}
			if got := sha256.Sum256(cs.PeerCertificates[0].Raw); string(got[:]) != string(want) {
				return fmt.Errorf("web admin certificate %X is not the pinned %X", got, want)
			}
			return nil
		},
	}
	return newAdmin(base, tc, jar), nil
}

// NewAdminPool is NewAdmin trusting the certificates in pool (a test that
// reads the device certificate from the data directory).
func NewAdminPool(base string, pool *x509.CertPool) *Admin {
	jar, _ := cookiejar.New(nil)
	return newAdmin(base, &tls.Config{RootCAs: pool}, jar)
}

func newAdmin(base string, tc *tls.Config, jar http.CookieJar) *Admin {
	return &Admin{base: strings.TrimSuffix(base, "/"), client: &http.Client{
		Jar:       jar,
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: tc},
		// The web admin answers a form with a redirect; the scenario
		// wants the answer itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Close drops the admin's idle connections.
func (a *Admin) Close() { a.client.CloseIdleConnections() }

// do sends a request the way the web admin's own script does and returns
// the status and body.
func (a *Admin) do(ctx context.Context, method, path string, form url.Values) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Requested-With", "fetch")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if a.csrf != "" {
			req.Header.Set("X-CSRF-Token", a.csrf)
		}
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("web admin %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(body), err
}

// post is do for a form the web admin answers with 204.
func (a *Admin) post(ctx context.Context, path string, form url.Values) error {
	code, body, err := a.do(ctx, http.MethodPost, path, form)
	if err != nil {
		return err
	}
	if code != http.StatusNoContent {
		return fmt.Errorf("web admin POST %s: %d %s", path, code, firstLine(body))
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf" content="([0-9a-f]+)">`)

// session reads the CSRF token of the session just made.
func (a *Admin) session(ctx context.Context) error {
	_, body, err := a.do(ctx, http.MethodGet, "/", nil)
	if err != nil {
		return err
	}
	m := csrfMeta.FindStringSubmatch(body)
	if m == nil {
		return errors.New("web admin: no CSRF token on the home page (not logged in?)")
	}
	a.csrf = m[1]
	return nil
}

// Setup sets the master password of a phone at its first run.
func (a *Admin) Setup(ctx context.Context, password string) error {
	if err := a.post(ctx, "/setup", url.Values{"password": {password}, "confirm": {password}}); err != nil {
		return err
	}
	return a.session(ctx)
}

// Login logs in with the master password, which unlocks a locked phone.
func (a *Admin) Login(ctx context.Context, password string) error {
	a.csrf = ""
	if err := a.post(ctx, "/login", url.Values{"password": {password}}); err != nil {
		return err
	}
	return a.session(ctx)
}

// SIPAccount is an account as the accounts form takes it.
type SIPAccount struct {
	User, Password, Server string
	Port                   int
	Transport              string // udp, tcp or tls
}

// AddSIPAccount adds an enabled SIP account with its password saved.
func (a *Admin) AddSIPAccount(ctx context.Context, acc SIPAccount) error {
	return a.post(ctx, "/accounts", url.Values{"kind": {"sip"}, "user": {acc.User}, "server": {acc.Server},
		"port": {fmt.Sprint(acc.Port)}, "transport": {acc.Transport}, "enabled": {"on"},
		"password": {acc.Password}, "save_password": {"on"}})
}

// Press presses a button of the simulated panel (phones with -board sim).
func (a *Admin) Press(ctx context.Context, button string, hold time.Duration) error {
	return a.post(ctx, "/panel/press", url.Values{"button": {button}, "hold_ms": {fmt.Sprint(hold.Milliseconds())}})
}

// Dial places a call to target from the web admin.
func (a *Admin) Dial(ctx context.Context, target string) error {
	return a.post(ctx, "/call/dial", url.Values{"target": {target}})
}

// State is the part of the web admin's /state the scenario reads.
type State struct {
	Status      string            `json:"status"`
	Security    string            `json:"security"`
	SAS         string            `json:"sas"`
	VaultLocked bool              `json:"vaultLocked"`
	Accounts    map[string]bool   `json:"accounts"`
	Lamps       map[string]string `json:"lamps"`
}

// State reads the phone's state.
func (a *Admin) State(ctx context.Context) (State, error) {
	var s State
	code, body, err := a.do(ctx, http.MethodGet, "/state", nil)
	if err != nil {
		return s, err
	}
	if code != http.StatusOK {
		return s, fmt.Errorf("web admin /state: %d %s", code, firstLine(body))
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		return s, fmt.Errorf("web admin /state: %w", err)
	}
	return s, nil
}

// WaitState polls State until ok says yes, or ctx ends.
func (a *Admin) WaitState(ctx context.Context, what string, ok func(State) bool) (State, error) {
	var last State
	for {
		s, err := a.State(ctx)
		if err == nil && ok(s) {
			return s, nil
		}
		if err == nil {
			last = s
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("waiting for %s: %w (last state %+v, last error %v)", what, ctx.Err(), last, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
