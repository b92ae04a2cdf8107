package webadmin

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/keyring"
	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/store"
)

func TestStatusPage(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "padlock.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := keyring.Open(dir, st, vault.TestParams, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "blob"), make([]byte, 3<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	s, err := New(Config{Phone: phone.New(phone.Config{}), Keyring: keys, Store: st, Now: clock.now,
		AccountStatus: func(a store.Account) string {
			if a.User == "alice" {
				return "not registered: registrar answered 403 Forbidden"
			}
			return "registered"
		},
		Status: StatusInfo{Build: "padlock image 2026-11-26T10:00:00Z", Started: clock.t.Add(-90 * time.Minute), DataDir: dir,
			Headset: func() string { return "not plugged in" }},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	a := &admin{srv: srv, st: st, keys: keys, clock: clock}
	c := a.client(t)
	c.setUp()
	for _, acc := range []store.Account{
		{Kind: store.SIP, User: "alice", Server: "pbx.example", Transport: store.UDP, Enabled: true},
		{Kind: store.SIP, User: "bob", Server: "pbx.example", Transport: store.UDP, Enabled: true},
		{Kind: store.XMPP, User: "carol", Server: "chat.example", Transport: store.TCP},
	} {
		if _, err := st.CreateAccount(ctx, acc, nil); err != nil {
			t.Fatal(err)
		}
	}
	r := c.get("/status")
	for _, want := range []string{
		"padlock image 2026-11-26T10:00:00Z",
		`<td id="st-uptime">1h30m0s</td>`,
		"2026-11-26 12:00:00",
		"not plugged in",
		"MiB used by the phone&#39;s data in " + dir,
		"free of",
		`<tr data-account="alice@pbx.example"><td>alice@pbx.example</td><td>sip</td><td class="status">not registered: registrar answered 403 Forbidden</td>`,
		`<td class="status">registered</td>`,
		`<tr data-account="carol@chat.example"><td>carol@chat.example</td><td>xmpp</td><td class="status">disabled</td>`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(r.body)
	}
}

func TestBytesInWords(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 3 << 20: "3.0 MiB", 5 << 30: "5.0 GiB"} {
		if got := bytesInWords(n); got != want {
			t.Errorf("bytesInWords(%d) = %q, want %q", n, got, want)
		}
	}
}
