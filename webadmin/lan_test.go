package webadmin

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/store"
)

// The tests of issue 12: the web admin as an attacker on the LAN sees it.

// TestParallelWrongLoginsCannotBeatTheThrottle: 40 wrong logins at once
// from one address; only freeFailures reach the KDF, the rest get 429 with
// Retry-After (before the fix all 40 were evaluated).
func TestParallelWrongLoginsCannotBeatTheThrottle(t *testing.T) {
	a := newAdmin(t)
	a.client(t).setUp()
	const n = 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range n {
		wg.Go(func() {
			c := a.client(t)
			r := c.post("/login", url.Values{"password": {"wrong guess " + strings.Repeat("x", i)}}, false)
			if r.StatusCode == http.StatusTooManyRequests && r.Header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
			mu.Lock()
			codes[r.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[http.StatusUnauthorized] > freeFailures || codes[http.StatusUnauthorized]+codes[http.StatusTooManyRequests] != n {
		t.Fatalf("status counts %v: want at most %d evaluated (401), the rest 429", codes, freeFailures)
	}
}

// TestOwnerBrowserIsNotLockedOut: a browser that logged in before keeps
// its own count; an attacker at the same address exhausting every limit
// does not slow it.
func TestOwnerBrowserIsNotLockedOut(t *testing.T) {
	a := newAdmin(t)
	owner := a.client(t)
	owner.setUp()
	attacker := a.client(t)
	for i := range globalFree + 10 {
		if r := attacker.login("guess " + strings.Repeat("y", i)); r.StatusCode == http.StatusTooManyRequests {
			a.clock.add(maxDelay)
			attacker.login("guess " + strings.Repeat("y", i))
		}
	}
	if r := attacker.login(goodPassword); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the attacker's right password was evaluated while throttled: %s", r.Status)
	}
	if r := owner.login(goodPassword); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the owner's browser (device cookie) was refused: %s", r.Status)
	}
	// A forged device cookie is just no cookie.
	forged := a.client(t)
	u, _ := url.Parse(a.srv.URL)
	forged.http.Jar.SetCookies(u, []*http.Cookie{{Name: deviceCookie, Value: strings.Repeat("A", 43), Path: "/"}})
	if r := forged.login(goodPassword); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a forged device cookie passed the throttle: %s", r.Status)
	}
}

// TestProtectionLoweringNeedsThePassword: keep-unlocked on and each switch
// that lowers protection need the master password; a session and CSRF
// token alone are refused and change nothing.
func TestProtectionLoweringNeedsThePassword(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	c.setUp()
	ctx := t.Context()

	// Keep unlocked.
	keep := url.Values{"keep": {"on"}, "understood": {"yes"}}
	if r := c.post("/security/keep-unlocked", keep, true); r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "enter the master password") {
		t.Errorf("keep-unlocked without the password: %s", r.Status)
	}
	keep.Set("password", "not the password at all")
	if r := c.post("/security/keep-unlocked", keep, true); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("keep-unlocked with a wrong password: %s", r.Status)
	}
	if a.keys.KeepUnlocked() {
		t.Fatal("the data key was written to the card without the master password")
	}
	keep.Set("password", goodPassword)
	if r := c.post("/security/keep-unlocked", keep, true); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("keep-unlocked with the password: %s %s", r.Status, r.body)
	}
	if !a.keys.KeepUnlocked() {
		t.Fatal("keep-unlocked with the password did not take")
	}

	// The privacy switches: from the defaults, each lowering change alone.
	defaults := url.Values{}
	for _, p := range privacySettings {
		if store.Defaults[p.name] {
			defaults.Set(string(p.name), "on")
		}
	}
	for _, tc := range []struct {
		name  string
		set   store.Setting
		to    bool
		needs bool
	}{
		{"packet logging on", store.PacketLogging, true, true},
		{"require private messaging off", store.RequirePrivateMessaging, false, true},
		{"require encrypted calls off", store.RequireEncryptedCalls, false, true},
		{"chat history on", store.LogChatHistory, true, false},
		{"call history off", store.LogCallHistory, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := c.post("/settings", defaults, true); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("back to defaults: %s", r.Status)
			}
			form := url.Values{}
			for k, v := range defaults {
				form[k] = v
			}
			if tc.to {
				form.Set(string(tc.set), "on")
			} else {
				form.Del(string(tc.set))
			}
			r := c.post("/settings", form, true)
			got, _ := a.st.Bool(ctx, tc.set)
			if tc.needs {
				if r.StatusCode != http.StatusUnauthorized || got != store.Defaults[tc.set] {
					t.Fatalf("without the password: %s, setting now %v", r.Status, got)
				}
				form.Set("password", goodPassword)
				r = c.post("/settings", form, true)
				got, _ = a.st.Bool(ctx, tc.set)
			}
			if r.StatusCode != http.StatusSeeOther || got != tc.to {
				t.Errorf("with what it needs: %s, setting now %v, want %v", r.Status, got, tc.to)
			}
		})
	}
}

// TestFormLimits: a 20 MB body gets 413 without being read (also chunked,
// with no length), multipart is refused, a normal form still works.
func TestFormLimits(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	c.setUp()
	big := strings.Repeat("a", 20<<20)
	post := func(body io.Reader, contentType string, length int64) *http.Response {
		req, _ := http.NewRequest("POST", a.srv.URL+"/login", body)
		req.ContentLength = length
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	form := "application/x-www-form-urlencoded"
	if r := post(strings.NewReader("password="+big), form, int64(len(big)+9)); r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("20 MB with a length: %s", r.Status)
	}
	// No length: the server reads up to the limit, then refuses.
	if r := post(io.MultiReader(strings.NewReader("password="), strings.NewReader(big)), form, -1); r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("20 MB chunked: %s", r.Status)
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("password", goodPassword)
	mw.Close()
	if r := post(&mp, mw.FormDataContentType(), int64(mp.Len())); r.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("multipart login: %s", r.Status)
	}
	if r := c.login(goodPassword); r.StatusCode != http.StatusSeeOther {
		t.Errorf("a normal login after the big ones: %s", r.Status)
	}
}

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/accounts":                    "/accounts",
		"/xmpp/1/chat?with=b":          "/xmpp/1/chat?with=b",
		"//evil.example":               "/",
		"/\\evil.example":              "/",
		"/\t/evil.example":             "/",
		"/\n/evil.example":             "/",
		"/ /evil.example":              "/",
		"/\x00":                        "/",
		"https://evil.example":         "/",
		"evil.example":                 "/",
		"":                             "/",
		"/" + strings.Repeat("a", 600): "/",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

// TestNoticesAreNotFromTheURL: ?ok= shows only a known code or a message
// the server sealed; any other text shows no banner.
func TestNoticesAreNotFromTheURL(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	c.setUp()
	sealed := noticeParam("Account alice@example.org added.")
	tampered := []byte(sealed)
	tampered[len(tampered)/2] ^= 1
	for _, tc := range []struct{ path, banner string }{
		{"/login?ok=logged-out", "Logged out."},
		{"/login?ok=Your+phone+is+hacked.+Call+%2B1-555", ""},
		{"/settings?ok=" + url.QueryEscape("Settings saved."), ""},
		{"/settings?ok=settings-saved", "Settings saved."},
		{"/accounts?ok=" + sealed, "Account alice@example.org added."},
		{"/accounts?ok=" + string(tampered), ""},
		{"/accounts?ok=m.notbase64!", ""},
	} {
		r := c.get(tc.path)
		has := strings.Contains(r.body, `id="flash"`)
		if tc.banner == "" && has {
			t.Errorf("%s shows a banner: %s", tc.path, r.body)
		}
		if tc.banner != "" && (!has || !strings.Contains(r.body, tc.banner)) {
			t.Errorf("%s: banner %q missing", tc.path, tc.banner)
		}
	}
}

func TestStaticHasNoListing(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	for path, want := range map[string]int{"/static/": 404, "/static/padlock.css": 200} {
		if r := c.get(path); r.StatusCode != want {
			t.Errorf("GET %s: %s, want %d", path, r.Status, want)
		}
	}
}

// TestTLSOffersAEADOnly: a TLS 1.2 client offering only CBC-SHA1 suites
// is refused; one offering AEAD gets in; the device certificate names no
// host of the machine it was made on.
func TestTLSOffersAEADOnly(t *testing.T) {
	cert, _, err := DeviceCert(t.TempDir(), DefaultHosts(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", TLSConfig(cert))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	for _, tc := range []struct {
		suite uint16
		ok    bool
	}{
		{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, false},
		{tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, false},
		{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, true},
		{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, true},
	} {
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true,
			MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tc.suite}})
		if (err == nil) != tc.ok {
			t.Errorf("%s: handshake error %v, want ok=%v", tls.CipherSuiteName(tc.suite), err, tc.ok)
		}
		if c != nil {
			c.Close()
		}
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	for _, n := range leaf.DNSNames {
		if host != "" && host != "localhost" && strings.HasPrefix(n, host) {
			t.Errorf("the certificate names the build host %q", n)
		}
	}
}

func TestShownText(t *testing.T) {
	for in, want := range map[string]string{
		"hello":                 "hello",
		"evil\u202egnp.exe":     "evil[U+202E]gnp.exe",
		"a\u200bb\u2066c\u2069": "a[U+200B]b[U+2066]c[U+2069]",
		"\ufeffbom":             "[U+FEFF]bom",
		"Grüße, 你好":             "Grüße, 你好",
		"bad \xff utf8":         "bad \uFFFD utf8",
	} {
		if got := shownText(in); got != want {
			t.Errorf("shownText(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("é", 100000)
	got := shownText(long)
	if n := len([]rune(got)); n > maxShownRunes+60 || !strings.Contains(got, "96000 more characters not shown") {
		t.Errorf("a 100,000-character text shows %d runes: %q", n, got[len(got)-60:])
	}
}

// TestLongPasswordNotTruncated: a 200-character master password works,
// and its first 128 characters do not (ASVS 2.1.3).
func TestLongPasswordNotTruncated(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	long := strings.Repeat("correct horse ", 14) + "end" // 199 characters, not repetitive
	if r := c.post("/setup", url.Values{"password": {long}, "confirm": {long}}, false); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup with %d characters: %s", len(long), r.Status)
	}
	other := a.client(t)
	if r := other.login(long[:128]); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("the first 128 characters logged in: %s", r.Status)
	}
	if r := other.login(long); r.StatusCode != http.StatusSeeOther {
		t.Errorf("the whole password: %s", r.Status)
	}
}

// TestDirectCallsNeedThePassword: "accept direct calls from any address"
// is stored with the account, off by default, and turning it on needs the
// master password.
func TestDirectCallsNeedThePassword(t *testing.T) {
	a := newAdmin(t)
	c := a.client(t)
	c.setUp()
	form := url.Values{"kind": {"sip"}, "user": {"alice"}, "server": {"example.org"}, "transport": {"udp"},
		"enabled": {"on"}, "password": {"sip-pw"}, "save_password": {"on"}}
	if r := c.post("/accounts", form, true); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %s", r.Status)
	}
	accs, _ := a.st.Accounts(t.Context())
	if len(accs) != 1 || accs[0].AcceptAnySource {
		t.Fatalf("a new account takes direct calls from anyone: %+v", accs)
	}
	path := fmt.Sprintf("/accounts/%d", accs[0].ID)
	form.Del("password")
	form.Set("accept_any_source", "on")
	if r := c.post(path, form, true); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("turned on without the master password: %s", r.Status)
	}
	if got, _ := a.st.Account(t.Context(), accs[0].ID); got.AcceptAnySource {
		t.Fatal("stored without the master password")
	}
	form.Set("master_password", goodPassword)
	if r := c.post(path, form, true); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("with the master password: %s %s", r.Status, r.body)
	}
	if got, _ := a.st.Account(t.Context(), accs[0].ID); !got.AcceptAnySource {
		t.Error("not stored")
	}
	// Turning it off again needs nothing.
	form.Del("accept_any_source")
	form.Del("master_password")
	if r := c.post(path, form, true); r.StatusCode != http.StatusSeeOther {
		t.Errorf("off: %s", r.Status)
	}
}

// TestCountWords: numbers in messages take the right form of their noun
// (issue 15: "Wait 1 seconds", "1 entries deleted").
func TestCountWords(t *testing.T) {
	for _, tt := range []struct {
		n         int
		one, many string
		want      string
	}{
		{0, "entry", "entries", "no entries"},
		{1, "entry", "entries", "1 entry"},
		{2, "entry", "entries", "2 entries"},
		{1, "second", "seconds", "1 second"},
		{289, "second", "seconds", "289 seconds"},
	} {
		if got := count(tt.n, tt.one, tt.many); got != tt.want {
			t.Errorf("count(%d, %q, %q) = %q, want %q", tt.n, tt.one, tt.many, got, tt.want)
		}
	}
	if got := capitalize("no entries"); got != "No entries" {
		t.Errorf("capitalize = %q", got)
	}
}
