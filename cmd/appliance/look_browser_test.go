package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/padlock-phone/padlock/tests/browser"
)

// widths are the screens every page must fit: a phone and a desktop.
var widths = []int64{375, 1280}

// lookRight checks the page the browser shows at each width: nothing wider
// than the screen (no sideways scrolling) and no axe-core violation of the
// WCAG 2.1 A/AA rules. what names the page and its state.
func (b *browserSession) lookRight(what string) {
	b.t.Helper()
	for _, w := range widths {
		b.act(chromedp.EmulateViewport(w, 800))
		var dims struct{ Scroll, Inner int64 }
		if err := b.eval(`({Scroll: document.documentElement.scrollWidth, Inner: window.innerWidth})`, &dims); err != nil {
			b.t.Fatalf("%s at %d px: %v", what, w, err)
		}
		if dims.Scroll > dims.Inner {
			b.t.Errorf("%s at %d px: the page is %d px wide (scrolls sideways)", what, w, dims.Scroll)
		}
		browser.NoAxeViolations(b.t, b.ctx, fmt.Sprintf("%s at %d px", what, w))
		b.screenshot(what, w)
	}
}

// screenshot saves the page as docs/screenshots/<what>-<width>.png when
// PADLOCK_SCREENSHOTS names a folder (`make screenshots` does), so the
// pictures in docs/ are of the pages as they are.
func (b *browserSession) screenshot(what string, width int64) {
	dir := os.Getenv("PADLOCK_SCREENSHOTS")
	if dir == "" {
		return
	}
	var png []byte
	b.act(chromedp.FullScreenshot(&png, 100))
	name := strings.NewReplacer(" ", "-", ",", "").Replace(what)
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// TestEveryPageLooksRight walks the pages a person reaches on a fresh phone,
// in the states they come in (first run, an error on the form, idle, a new
// account, the lists, logged out), and checks each at 375 and 1280 px.
func TestEveryPageLooksRight(t *testing.T) {
	a := startAppliance(t)
	b := a.openBrowser(t)

	b.open("/")
	b.wantPath("/setup")
	b.lookRight("first-run setup")
	b.act(chromedp.Evaluate(`document.getElementById("setup-form").noValidate = true`, nil))
	b.fill("#password", "short", "#confirm", "short")
	b.submit("#setup-submit")
	b.wantText("#error", "at least 12 characters")
	b.lookRight("setup with an error")

	b.setUpVault(testPassword)
	for _, p := range []struct{ path, what string }{
		{"/", "phone, idle"},
		{"/accounts", "accounts, none yet"},
		{"/accounts/new?kind=sip", "new SIP account"},
		{"/accounts/new?kind=xmpp", "new XMPP account"},
		{"/passwords", "saved passwords"},
		{"/history", "history, empty"},
		{"/desk", "sound and do-not-disturb"},
		{"/settings", "privacy settings"},
		{"/security", "master password"},
		{"/phonebook", "phonebook, empty"},
		{"/status", "status"},
		{"/maintenance", "backup and maintenance"},
	} {
		b.open(p.path)
		b.lookRight(p.what)
	}

	b.open("/")
	b.submit("#logout")
	b.wantPath("/login")
	b.lookRight("login")
}
