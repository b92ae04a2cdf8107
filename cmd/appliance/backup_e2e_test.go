package main

// Backup to a new phone, end to end: an old appliance with a SIP account
// (kamailio, linphonec with ZRTP as bob) and an XMPP account (prosody,
// mcabber with libotr as eve) has a verified ZRTP call and a verified OTR
// conversation; its backup, restored on a fresh appliance, brings the
// accounts up without a password typed, linphonec's next call is a ZRTP
// cache hit that starts Verified, and mcabber sees the same OTR
// fingerprint (no new one in its store) while Padlock's trust in eve holds.

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/internal/fingerprint"
	"github.com/padlock-phone/padlock/internal/testkit/output"
	"github.com/padlock-phone/padlock/tests/peers/mcabber"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
)

// upload posts a multipart form with one file, as the web admin's forms do.
func (a *app) upload(t *testing.T, path string, fields url.Values, file []byte, csrf string) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("file", "padlock.backup")
	fw.Write(file)
	mw.Close()
	req, _ := http.NewRequest("POST", a.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-Requested-With", "fetch")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var ownFingerprint = regexp.MustCompile(`id="own-fingerprint">([0-9A-F ]{44})<`)

func TestBackupToNewPhone(t *testing.T) {
	mcabber.Binaries(t)
	d := newDesk(t) // the old phone: alice on kamailio, bob is linphonec
	old, bob := d.a, d.bob
	srv := prosody.Start(t, prosody.Options{})
	srv.Register(t, "desk", "desk-pass-77b1")
	srv.Register(t, "eve", "eve-pass-77b1")
	deskJID, eveJID := "desk@"+srv.Domain, "eve@"+srv.Domain
	if r, body := old.do(t, "POST", "/accounts", url.Values{"kind": {"xmpp"}, "user": {"desk"}, "server": {srv.Domain},
		"proxy": {srv.Addr}, "transport": {"tcp"}, "enabled": {"on"}, "password": {"desk-pass-77b1"}, "save_password": {"on"}}, d.csrf); r.StatusCode >= 400 {
		t.Fatalf("add the XMPP account: %s %s", r.Status, body)
	}
	xmppPage := func(a *app) string {
		return "/xmpp/" + strconv.Itoa(a.queryInt(t, `SELECT id FROM accounts WHERE kind = 'xmpp'`))
	}
	x := xmppPage(old)
	if r, body := old.do(t, "POST", x+"/pin", url.Values{"fingerprint": {fingerprint.Format(srv.Fingerprint)}}, d.csrf); r.StatusCode >= 400 {
		t.Fatalf("pin: %s %s", r.Status, body)
	}
	old.pollPage(t, x, "connected", func(body string) bool { return strings.Contains(body, `<span id="xmpp-status">connected</span>`) })
	if r, body := old.do(t, "POST", x+"/otr/key", nil, d.csrf); r.StatusCode >= 400 {
		t.Fatalf("generate: %s %s", r.Status, body)
	}
	ours := ownFingerprint.FindStringSubmatch(old.pollPage(t, x+"/otr", "key generated", func(body string) bool { return ownFingerprint.MatchString(body) }))[1]

	// 1. A verified OTR conversation with mcabber.
	eve := mcabber.Start(t, mcabber.Config{JID: eveJID, Password: "eve-pass-77b1", Addr: srv.Addr})
	eve.Command("add " + deskJID + " Desk")
	chat := x + "/chat?with=" + url.QueryEscape(eveJID)
	if r, b := old.do(t, "POST", x+"/chat", url.Values{"with": {eveJID}, "body": {"before-backup-1"}}, d.csrf); r.StatusCode >= 400 {
		t.Fatalf("send: %s %s", r.Status, b)
	}
	page := old.pollPage(t, chat, "the echo over OTR", func(body string) bool { return strings.Contains(body, ">echo: before-backup-1<") })
	theirs := regexp.MustCompile(`id="otr-theirs">([0-9A-F ]{44})<`).FindStringSubmatch(page)
	if theirs == nil {
		t.Fatalf("no fingerprint of eve on the chat page:\n%s", pageOTR(page))
	}
	if r, b := old.do(t, "POST", x+"/otr/verify", url.Values{"with": {eveJID}, "fingerprint": {theirs[1]}}, d.csrf); r.StatusCode >= 400 {
		t.Fatalf("verify: %s %s", r.Status, b)
	}
	old.pollPage(t, chat, "verified", func(body string) bool { return strings.Contains(body, `data-lock="private-verified"`) })
	fprFile := filepath.Join(eve.Dir, "otr", eveJID+".fpr")
	deskFingerprints := func() []string {
		b, _ := os.ReadFile(fprFile)
		var fps []string
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Split(l, "\t"); len(f) >= 4 && strings.HasPrefix(f[0], deskJID) {
				fps = append(fps, strings.ToUpper(f[3]))
			}
		}
		return fps
	}
	wantFP := strings.ReplaceAll(ours, " ", "")
	for end := time.Now().Add(wait); ; time.Sleep(100 * time.Millisecond) {
		if fps := deskFingerprints(); len(fps) == 1 && fps[0] == wantFP {
			break
		}
		if time.Now().After(end) {
			b, _ := os.ReadFile(fprFile)
			t.Fatalf("mcabber's fingerprint store does not hold Padlock's %s:\n%s", wantFP, b)
		}
	}

	// 2. A verified ZRTP call with linphonec.
	mark := bob.Mark()
	if r, _ := old.do(t, "POST", "/call/dial", url.Values{"target": {"sip:bob@127.0.0.1"}}, d.csrf); r.StatusCode != 204 {
		t.Fatalf("dial: %s", r.Status)
	}
	old.waitState(t, "security", "secured")
	bob.WaitSAS(t, mark, 15*time.Second)
	bob.SetVerified(t) // ZRTP's verified flag holds only when both sides set it
	old.do(t, "POST", "/call/confirm", nil, d.csrf)
	old.waitState(t, "security", "verified")
	old.do(t, "POST", "/call/hangup", nil, d.csrf)
	old.waitState(t, "status", "ended")
	bob.WaitForAfter(t, mark, "ended", 10*time.Second)

	// 3. The backup, and the old phone goes away.
	const pass = "otter lantern quarry nine"
	r, file := old.do(t, "POST", "/maintenance/backup", url.Values{"master": {testPassword}, "passphrase": {pass}, "confirm": {pass}}, d.csrf)
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(file, "PADLOCK BACKUP\n") {
		t.Fatalf("backup: %s %.200q", r.Status, file)
	}
	if err := old.stop(); err != nil {
		t.Fatalf("old phone: %v", err)
	}

	// 4. A fresh phone: first-run setup, then the restore.
	ear := t.TempDir()
	writeTone(t, filepath.Join(ear, "in.wav"), 700, 20)
	neu := &app{data: t.TempDir(), logs: &output.Buffer{}, audio: "file:" + ear}
	neu.start(t)
	csrf := neu.setUp(t)
	if r, b := neu.upload(t, "/maintenance/restore", url.Values{"passphrase": {pass + "x"}}, []byte(file), csrf); r.StatusCode != http.StatusBadRequest || !strings.Contains(b, "passphrase is wrong") {
		t.Fatalf("restore with a wrong passphrase: %s %.300s", r.Status, b)
	}
	if r, b := neu.upload(t, "/maintenance/restore", url.Values{"passphrase": {pass}}, []byte(file), csrf); r.StatusCode != http.StatusNoContent {
		t.Fatalf("restore: %s %.300s", r.Status, b)
	}
	defer func() {
		if t.Failed() {
			t.Logf("new phone's log:\n%s", neu.logs)
		}
	}()

	// 5. Both accounts come up with the saved passwords.
	neu.pollPage(t, "/status", "both accounts up", func(body string) bool {
		return strings.Contains(body, `<tr data-account="alice@127.0.0.1"><td>alice@127.0.0.1</td><td>sip</td><td class="status">registered`) &&
			strings.Contains(body, `<tr data-account="`+deskJID+`"><td>`+deskJID+`</td><td>xmpp</td><td class="status">connected`)
	})

	// 6. OTR: the same key, and eve still verified; mcabber keeps one
	// fingerprint for Padlock.
	x = xmppPage(neu)
	if got := ownFingerprint.FindStringSubmatch(neu.pollPage(t, x+"/otr", "the key", func(b string) bool { return ownFingerprint.MatchString(b) }))[1]; got != ours {
		t.Fatalf("OTR fingerprint after restore %s, before %s", got, ours)
	}
	chat = x + "/chat?with=" + url.QueryEscape(eveJID)
	if r, b := neu.do(t, "POST", x+"/chat", url.Values{"with": {eveJID}, "body": {"after-restore-2"}}, csrf); r.StatusCode >= 400 {
		t.Fatalf("send: %s %s", r.Status, b)
	}
	neu.pollPage(t, chat, "the echo, verified without a new check", func(body string) bool {
		return strings.Contains(body, ">echo: after-restore-2<") && strings.Contains(body, `data-lock="private-verified"`)
	})
	if !strings.Contains(eve.Echoed(), "IN "+deskJID+": after-restore-2") {
		t.Fatalf("mcabber did not read the message after the restore:\n%s", eve.Echoed())
	}
	if fps := deskFingerprints(); len(fps) != 1 || fps[0] != wantFP {
		t.Fatalf("mcabber's fingerprints of Padlock after the restore: %v, want only %s", fps, wantFP)
	}

	// 7. ZRTP: linphonec calls the new phone; the retained secrets match
	// and the call starts Verified, without a SAS to compare.
	mark = bob.Mark()
	bob.Send(t, "call sip:alice@127.0.0.1")
	neu.waitState(t, "status", "ringing-in")
	neu.do(t, "POST", "/call/answer", nil, csrf)
	deadline := time.Now().Add(15 * time.Second)
	for {
		v := neu.state(t)
		if v["keyMismatch"] == true {
			t.Fatalf("the restored phone's ZRTP cache did not match linphonec's: %v", v)
		}
		if v["security"] == "secured" {
			t.Fatalf("the call was secured but not verified: the cache was not a hit (%v)", v)
		}
		if v["security"] == "verified" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the call never started Verified: %v", v)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(neu.logs.String(), "verified=true") {
		t.Error("the new phone did not log the call as secured from a verified cache entry")
	}
	neu.do(t, "POST", "/call/hangup", nil, csrf)
	bob.WaitForAfter(t, mark, "ended", 10*time.Second)
}
