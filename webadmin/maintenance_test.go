package webadmin

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/store"
)

const backupPass = "river otter mango kettle"

// uploadForm posts a file with more fields, as a browser would.
func (c *client) uploadForm(path string, fields url.Values, data []byte) response {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", c.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("file", "padlock.backup")
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", c.a.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.read(resp)
}

func TestBackupAndRestorePages(t *testing.T) {
	defaultBackupParams = vault.TestParams // the shipped cost is benchmarked, not tested
	t.Cleanup(func() { defaultBackupParams = vault.DefaultParams })
	ctx := context.Background()
	old := newAdmin(t)
	oc := old.client(t)
	oc.setUp()
	if _, err := old.st.CreateAccount(ctx, store.Account{Kind: store.SIP, User: "alice", Server: "pbx.example", Transport: store.UDP, Enabled: true}, []byte("sip secret")); err != nil {
		t.Fatal(err)
	}
	if _, err := old.st.AddPhonebookEntry(ctx, store.PhonebookEntry{Name: "Bob", Addresses: []string{"1002"}}); err != nil {
		t.Fatal(err)
	}
	form := func(master, pass, confirm string) url.Values {
		return url.Values{"master": {master}, "passphrase": {pass}, "confirm": {confirm}}
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		text   string
	}{
		{"short passphrase", form(goodPassword, "short", "short"), http.StatusBadRequest, "at least 12 characters"},
		{"passphrases differ", form(goodPassword, backupPass, backupPass+"x"), http.StatusBadRequest, "not the same"},
		{"wrong master password", form("not the master password", backupPass, backupPass), http.StatusUnauthorized, "master password is wrong"},
	} {
		if r := oc.post("/maintenance/backup", tc.form, true); r.StatusCode != tc.status || !strings.Contains(r.body, tc.text) {
			t.Errorf("%s: %s, page lacks %q", tc.name, r.Status, tc.text)
		}
	}
	old.clock.add(60e9) // past the throttle of the wrong password
	r := oc.post("/maintenance/backup", form(goodPassword, backupPass, backupPass), true)
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(r.body, "PADLOCK BACKUP\n") {
		t.Fatalf("backup: %s %q %.100q", r.Status, r.Header.Get("Content-Type"), r.body)
	}
	file := []byte(r.body)

	neu := newAdmin(t)
	nc := neu.client(t)
	nc.setUp()
	for _, tc := range []struct {
		name, pass string
		file       []byte
		text       string
	}{
		{"wrong passphrase", "river otter mango kettles", file, "passphrase is wrong"},
		{"cut short", backupPass, file[:len(file)/2], "cut short"},
		{"not a backup", backupPass, []byte("BEGIN:VCARD"), "not a Padlock backup"},
	} {
		r := nc.uploadForm("/maintenance/restore", url.Values{"passphrase": {tc.pass}}, tc.file)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, tc.text) {
			t.Errorf("%s: %s, page lacks %q", tc.name, r.Status, tc.text)
		}
		if accs, _ := neu.st.Accounts(ctx); len(accs) != 0 {
			t.Fatalf("%s: a refused restore left accounts", tc.name)
		}
	}
	r = nc.uploadForm("/maintenance/restore", url.Values{"passphrase": {backupPass}}, file)
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(bannerOf(r.Header.Get("Location")), "Backup restored") {
		t.Fatalf("restore: %s %q %.300s", r.Status, r.Header.Get("Location"), r.body)
	}
	accs, _ := neu.st.Accounts(ctx)
	if len(accs) != 1 {
		t.Fatalf("accounts after restore: %+v", accs)
	}
	if pw, err := neu.st.AccountPassword(ctx, accs[0].ID); err != nil || string(pw) != "sip secret" {
		t.Fatalf("restored password %q, %v", pw, err)
	}
	// A second restore is refused: the phone is no longer fresh.
	r = nc.uploadForm("/maintenance/restore", url.Values{"passphrase": {backupPass}}, file)
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "already has accounts") {
		t.Errorf("second restore: %s", r.Status)
	}
}
