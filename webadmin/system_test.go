package webadmin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/keyring"
	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/store"
)

// recordingSystem stands in for gokrazy's endpoints: it records what the
// page asked (the real ones are exercised by the QEMU image test).
type recordingSystem struct {
	mu       sync.Mutex
	root     []byte
	fail     error
	rebooted chan struct{}
}

func (s *recordingSystem) Update(_ context.Context, root io.Reader, size int64) (string, error) {
	b, _ := io.ReadAll(root)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.root = b
	return "sum", s.fail
}

func (s *recordingSystem) Reboot(context.Context) error {
	close(s.rebooted)
	return nil
}

func newSystemAdmin(t *testing.T, sys System, reset func()) (*admin, *client) {
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
	s, err := New(Config{Phone: phone.New(phone.Config{}), Keyring: keys, Store: st, Now: clock.now, System: sys, FactoryReset: reset})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	a := &admin{srv: srv, st: st, keys: keys, clock: clock}
	c := a.client(t)
	c.setUp()
	return a, c
}

func TestUpdateAndReboot(t *testing.T) {
	sys := &recordingSystem{rebooted: make(chan struct{})}
	a, c := newSystemAdmin(t, sys, nil)
	root := append([]byte("hsqs"), bytes.Repeat([]byte{7}, 5000)...)

	r := c.uploadForm("/maintenance/update", url.Values{"master": {"wrong master password"}}, root)
	if r.StatusCode != http.StatusUnauthorized || sys.root != nil {
		t.Fatalf("wrong master password: %s, written %d bytes", r.Status, len(sys.root))
	}
	a.clock.add(time.Minute)
	r = c.uploadForm("/maintenance/update", url.Values{"master": {goodPassword}}, []byte("PK\x03\x04 not a root"))
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "not a root file system") || sys.root != nil {
		t.Fatalf("a zip file: %s, written %d bytes", r.Status, len(sys.root))
	}
	sys.fail = errors.New("the root partition holds sha256 \"x\", the upload was y")
	r = c.uploadForm("/maintenance/update", url.Values{"master": {goodPassword}}, root)
	if r.StatusCode != http.StatusBadGateway || !strings.Contains(r.body, "the phone keeps its firmware") {
		t.Fatalf("failed check: %s", r.Status)
	}
	select {
	case <-sys.rebooted:
		t.Fatal("rebooted after a failed update")
	case <-time.After(1500 * time.Millisecond):
	}
	sys.fail = nil
	r = c.uploadForm("/maintenance/update", url.Values{"master": {goodPassword}}, root)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `id="updated"`) || !bytes.Equal(sys.root, root) {
		t.Fatalf("update: %s, %d bytes written", r.Status, len(sys.root))
	}
	select {
	case <-sys.rebooted:
	case <-time.After(10 * time.Second):
		t.Fatal("no reboot after the update")
	}
}

func TestNoSystemOffAPhone(t *testing.T) {
	_, c := newSystemAdmin(t, nil, nil)
	if r := c.get("/maintenance"); !strings.Contains(r.body, `id="no-system"`) || strings.Contains(r.body, "reset-form") {
		t.Errorf("maintenance page off a phone offers update or reset:\n%s", r.body)
	}
	if r := c.post("/maintenance/reboot", nil, true); r.StatusCode != http.StatusNotImplemented {
		t.Errorf("reboot off a phone: %s", r.Status)
	}
}

func TestFactoryReset(t *testing.T) {
	resets := 0
	a, c := newSystemAdmin(t, nil, func() { resets++ })
	if r := c.post("/maintenance/reset", url.Values{"master": {goodPassword}}, true); r.StatusCode != http.StatusBadRequest || resets != 0 {
		t.Fatalf("reset without the box ticked: %s, %d resets", r.Status, resets)
	}
	if r := c.post("/maintenance/reset", url.Values{"master": {"wrong master password"}, "erase": {"yes"}}, true); r.StatusCode != http.StatusUnauthorized || resets != 0 {
		t.Fatalf("reset with a wrong password: %s, %d resets", r.Status, resets)
	}
	a.clock.add(time.Minute)
	r := c.post("/maintenance/reset", url.Values{"master": {goodPassword}, "erase": {"yes"}}, true)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `id="reset-done"`) || resets != 1 {
		t.Fatalf("reset: %s, %d resets", r.Status, resets)
	}
	if !a.keys.Locked() {
		t.Error("the vault is still unlocked after the reset")
	}
	if r := c.get("/accounts"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("the session survived the reset: %s %q", r.Status, r.Header.Get("Location"))
	}
}
