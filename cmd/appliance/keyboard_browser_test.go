package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// maxTabs bounds a walk with the Tab key: the phone page has fewer stops.
const maxTabs = 60

// tabTo presses Tab until the element with id has the keyboard focus, and
// fails with the stops it passed when it never does.
func (b *browserSession) tabTo(id string) {
	b.t.Helper()
	var stops []string
	for range maxTabs {
		b.act(chromedp.KeyEvent(kb.Tab))
		var at string
		if err := b.eval(`(() => { const e = document.activeElement; return e ? (e.id || e.tagName.toLowerCase() + (e.textContent ? ":" + e.textContent.trim().slice(0, 20) : "")) : "" })()`, &at); err != nil {
			b.t.Fatalf("reading the focus: %v", err)
		}
		if at == id {
			return
		}
		stops = append(stops, at)
	}
	b.t.Fatalf("%d presses of Tab never reached #%s; they went to: %s", maxTabs, id, strings.Join(stops, ", "))
}

// TestPhoneByKeyboardInChromium: a person without a mouse tabs to the dial
// field, types the ringback line, dials with Enter, tabs to the Answer soft
// key when it rings, answers with Enter, and hangs up the same way.
func TestPhoneByKeyboardInChromium(t *testing.T) {
	a := startAppliance(t)
	b := a.openBrowser(t)
	b.setUpVault(testPassword)
	b.open("/")
	b.attr("#status", "data-status", "idle")

	b.tabTo("target")
	b.act(chromedp.KeyEvent("ringback"), chromedp.KeyEvent(kb.Enter))
	b.attr("#status", "data-status", "ringing-in")

	b.tabTo("do-answer")
	b.act(chromedp.KeyEvent(kb.Enter))
	b.attr("#status", "data-status", "active")
	b.attr("#security", "data-security", "local")

	b.tabTo("do-hangup")
	b.act(chromedp.KeyEvent(kb.Enter))
	b.attr("#status", "data-status", "ended")
	b.wantText("#reason", "you hung up")
}
