package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/padlock-phone/padlock/tests/browser"
)

const wait = 15 * time.Second

// openBrowser starts chromium trusting only this appliance's certificate.
func (a *app) openBrowser(t *testing.T) *browserSession {
	t.Helper()
	ctx := browser.New(t, browser.TrustCert(t, filepath.Join(a.data, "webadmin-cert.pem")))
	return &browserSession{t: t, a: a, ctx: ctx}
}

// browserSession is a tiny vocabulary for the page walks.
type browserSession struct {
	t   *testing.T
	a   *app
	ctx context.Context
}

func (b *browserSession) run(actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browserSession) attr(sel, attr, want string) {
	b.t.Helper()
	browser.WaitAttr(b.t, b.ctx, sel, attr, want, wait)
}

func (b *browserSession) text(sel string) string {
	b.t.Helper()
	var s string
	b.run(chromedp.Text(sel, &s, chromedp.ByQuery))
	return s
}

// TestPanelInChromium: a person at a real browser sets the master
// password, dials the ringback test line, sees STATUS blink fast, clicks
// the virtual ANSWER button and sees the lamp go out and the call go
// active, then long-presses HANGUP.
func TestPanelInChromium(t *testing.T) {
	a := startAppliance(t)
	b := a.openBrowser(t)
	b.run(
		chromedp.Navigate(a.base+"/"),
		chromedp.WaitVisible("#setup-form", chromedp.ByQuery),
	)
	b.attr("html", "lang", "en")
	b.run(
		chromedp.SetValue("#password", testPassword, chromedp.ByQuery),
		chromedp.SetValue("#confirm", testPassword, chromedp.ByQuery),
		chromedp.Click("#setup-submit", chromedp.ByQuery),
		chromedp.WaitVisible("#lamp-status", chromedp.ByQuery),
	)
	b.attr("#lamp-status", "data-pattern", "off")
	b.attr("#lamp-alert", "data-pattern", "off")
	b.attr("#status", "data-status", "idle")
	b.wantControls("idle", shownControls{Dial: true})
	b.run(
		chromedp.SetValue("#target", "ringback", chromedp.ByQuery),
		chromedp.Click("#dial button", chromedp.ByQuery),
	)
	b.attr("#status", "data-status", "ringing-in")
	b.attr("#lamp-status", "data-pattern", "fast")
	b.wantControls("ringing", shownControls{Keys: []string{"answer", "hangup"}})
	b.wantText("#lamp-words-status", "STATUS blinking fast: a call is ringing")
	if got := b.text("#do-hangup"); got != "Reject" {
		t.Errorf("HANGUP's soft key on a ringing call says %q, want Reject", got)
	}
	b.lookRight("phone, ringing")

	b.run(chromedp.Click("#btn-answer", chromedp.ByQuery))
	b.attr("#status", "data-status", "active")
	b.attr("#lamp-status", "data-pattern", "off")
	b.attr("#security", "data-security", "local")
	b.wantControls("in a call", shownControls{Keys: []string{"hold", "hangup"}, Keypad: true})
	b.wantText("#security-words", "the call never leaves the phone")
	b.wantText("#lamp-words-lock", "LOCK off")
	b.lookRight("phone, in a call")
	// The soft keys themselves: Hold, then the held call's Resume.
	b.run(chromedp.Click("#do-hold", chromedp.ByQuery))
	b.attr("#status", "data-status", "held")
	b.wantControls("held", shownControls{Keys: []string{"resume", "hangup"}, Dial: true})
	b.lookRight("phone, call on hold")
	b.run(chromedp.Click("#do-resume", chromedp.ByQuery))
	b.attr("#status", "data-status", "active")
	b.wantControls("resumed", shownControls{Keys: []string{"hold", "hangup"}, Keypad: true})
	// The calls list: the row's own Hold and Resume, drawn live.
	b.run(
		chromedp.Click(`#calls tr[data-status="active"] button[data-action="hold"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#calls tr[data-status="held"] button[data-action="resume"]`, chromedp.ByQuery),
		chromedp.Click(`#calls tr[data-status="held"] button[data-action="resume"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#calls tr[data-status="active"] button[data-action="hangup"]`, chromedp.ByQuery),
	)

	b.run(chromedp.Click("#long-hangup", chromedp.ByQuery))
	b.attr("#status", "data-status", "ended")
	b.wantControls("ended", shownControls{Dial: true})
	if reason := b.text("#reason"); reason != "you hung up" {
		t.Errorf("reason on the page: %q", reason)
	}
	b.lookRight("phone, call ended")

	// The dial field starts empty after a call and the last number is a
	// suggestion: typing "echo" now dials echo, not "ringbackecho" (the
	// field used to keep the last number and typing appended to it).
	b.wantValue("#target", "")
	b.wantText("#redial-who", "ringback")
	b.run(chromedp.SendKeys("#target", "echo", chromedp.ByQuery))
	b.wantValue("#target", "echo")
	b.run(chromedp.Click("#do-dial", chromedp.ByQuery))
	b.attr("#status", "data-status", "active")
	if remote := b.text("#remote"); remote != "echo" {
		t.Errorf("typing echo after a ringback call dialled %q", remote)
	}
	b.run(chromedp.Click("#do-hangup", chromedp.ByQuery))
	b.attr("#status", "data-status", "ended")
	// The reason stays after the ended call leaves the list (EndedLinger),
	// live and on a fresh page, until the next call.
	b.attr("#status", "data-status", "idle")
	b.wantText("#reason", "Last call, with echo: you hung up")
	b.lookRight("phone, idle after a call")
	// A fresh page: the field is empty again, Redial and the list offer echo.
	b.open("/")
	b.wantValue("#target", "")
	b.wantText("#redial-who", "echo")
	b.wantText("#reason", "Last call, with echo: you hung up")
	b.wantText("#recent", "")
	if n := b.count(`#recent option[value="echo"]`); n != 1 {
		t.Errorf("the dial field suggests echo %d times, want once", n)
	}
	b.run(chromedp.SendKeys("#target", "ringback", chromedp.ByQuery))
	b.wantValue("#target", "ringback")
	b.run(chromedp.Click("#do-redial", chromedp.ByQuery))
	b.attr("#status", "data-status", "active")
	if remote := b.text("#remote"); remote != "echo" {
		t.Errorf("Redial called %q, want echo", remote)
	}
	b.run(chromedp.Click("#do-hangup", chromedp.ByQuery))
	b.attr("#status", "data-status", "ended")
	b.run(chromedp.Navigate(a.base + "/history"))
	b.lookRight("history with a call")
}
