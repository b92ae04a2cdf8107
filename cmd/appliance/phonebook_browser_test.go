package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPhonebookInChromium: the phonebook walked in chromium against
// kamailio and linphonec (bob, auto-answer). A vCard import and a typed
// entry; calling bob from the phonebook; bob calling in shows his name on
// the call panel while it rings; the missed call in History carries the
// name, and its Call back button reaches linphonec again. Then the status
// page of that phone, the backup form's refusal of a wrong password, and
// a factory reset that brings the phone back to first-run setup.
func TestPhonebookInChromium(t *testing.T) {
	d := newDesk(t)
	a, bob := d.a, d.bob
	b := a.openBrowser(t)
	b.open("/phonebook")
	b.wantPath("/login")
	b.login(testPassword)
	b.wantPath("/phonebook")

	vcf := filepath.Join(t.TempDir(), "people.vcf")
	if err := os.WriteFile(vcf, []byte("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob Builder\r\nitem1.X-SIP:bob@127.0.0.1\r\nX-PADLOCK-FAVOURITE:1\r\nEND:VCARD\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.act(chromedp.SetUploadFiles("#vcf", []string{vcf}, chromedp.ByQuery))
	b.submit("#import-submit")
	b.wantText("#flash", "1 person imported.")
	b.lookRight("phonebook with a person")
	b.fill("#pb-name", "Carol", "#pb-addresses", "1003\n+44 20 7946 0003", "#pb-favourite", "1")
	b.submit("#pb-add")
	b.wantText("#error", "favourite 1 is both Bob Builder and Carol")
	b.fill("#pb-favourite", "2")
	b.submit("#pb-add")
	b.wantText("#flash", "Carol added.")
	if n := b.count(`#phonebook tr[data-name="Carol"] form.dial`); n != 2 {
		t.Fatalf("Carol has %d call buttons, want 2", n)
	}

	// Calling from the phonebook.
	mark := bob.Mark()
	b.submit(`#phonebook tr[data-name="Bob Builder"] form.dial button`)
	b.wantPath("/")
	b.attr("#status", "data-status", "active")
	b.waitFor("the name on the call panel", `document.getElementById("remote-name").textContent === "Bob Builder"`)
	b.act(chromedp.Click("#btn-hangup", chromedp.ByQuery))
	b.attr("#status", "data-status", "ended")
	bob.WaitForAfter(t, mark, "ended", 10*time.Second)

	// Bob calls in: his name while it rings; HANGUP rejects, a missed call.
	mark = bob.Mark()
	bob.Send(t, "call sip:alice@127.0.0.1")
	b.attr("#status", "data-status", "ringing-in")
	b.waitFor("the caller's name while ringing", `document.getElementById("remote-name").textContent === "Bob Builder"`)
	b.act(chromedp.Click("#btn-hangup", chromedp.ByQuery))
	bob.WaitForAfter(t, mark, "ended", 10*time.Second)
	b.attr("#status", "data-status", "ended")

	// History names him, and calls him back.
	b.reloadUntil("/history", "both calls logged", `document.querySelectorAll("#history tr.h-call").length === 2`)
	if got := b.textOf("#history tbody tr:first-child"); !strings.Contains(got, "Bob Builder bob@127.0.0.1") || !strings.Contains(got, "in call") {
		t.Errorf("newest history row: %q", got)
	}
	mark = bob.Mark()
	b.submit("#history tbody tr:first-child form.call-back button")
	b.wantPath("/")
	b.attr("#status", "data-status", "active")
	b.act(chromedp.Click("#btn-hangup", chromedp.ByQuery))
	b.attr("#status", "data-status", "ended")
	bob.WaitForAfter(t, mark, "ended", 10*time.Second) // linphonec had the call back

	// The status page of the same phone: the account registered, the
	// headset device, storage.
	b.open("/status")
	b.wantText(`#st-accounts tr[data-account="alice@127.0.0.1"] .status`, "registered")
	b.wantText("#st-headset", "file:"+d.ear)
	b.wantText("#st-storage", "used by the phone's data in "+a.data)
	b.wantText("#st-build", "host build")

	// The backup form refuses a wrong master password in words.
	b.open("/maintenance")
	b.fill("#backup-master", "not the master password", "#backup-pass", "otter lantern quarry nine", "#backup-confirm", "otter lantern quarry nine")
	b.submit("#backup-submit")
	b.wantText("#error", "The master password is wrong; nothing was done.")

	// Factory reset: the master password again, the box ticked; the
	// appliance stops, its data is gone, and it starts into first-run setup.
	b.open("/maintenance")
	b.fill("#reset-master", testPassword)
	b.act(chromedp.Click("#reset-erase", chromedp.ByQuery))
	b.submit("#reset-submit")
	b.wantText("#reset-done", "erasing its data")
	if err := a.stop(); err != nil {
		t.Fatalf("the appliance after the reset: %v", err)
	}
	if es, _ := os.ReadDir(a.data); len(es) != 0 {
		t.Fatalf("the data directory after a factory reset holds %d files", len(es))
	}
	a.start(t)
	b = a.openBrowser(t) // a new certificate too: the old one was erased
	b.open("/")
	b.wantPath("/setup")
}
