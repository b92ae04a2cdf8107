package main

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/padlock-phone/padlock/tests/browser"
)

// TestPanelInChromium: a person at a real browser dials the ringback test
// line, sees STATUS blink fast, clicks the virtual ANSWER button and sees
// the lamp go out and the call go active, then long-presses HANGUP.
func TestPanelInChromium(t *testing.T) {
	base, _, _ := startAppliance(t)
	ctx := browser.New(t)
	const wait = 15 * time.Second
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible("#lamp-status", chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	browser.WaitAttr(t, ctx, "#lamp-status", "data-pattern", "off", wait)
	browser.WaitAttr(t, ctx, "#status", "data-status", "idle", wait)
	if err := chromedp.Run(ctx,
		chromedp.SetValue("#target", "ringback", chromedp.ByQuery),
		chromedp.Click("#dial button", chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	browser.WaitAttr(t, ctx, "#status", "data-status", "ringing-in", wait)
	browser.WaitAttr(t, ctx, "#lamp-status", "data-pattern", "fast", wait)

	if err := chromedp.Run(ctx, chromedp.Click("#btn-answer", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	browser.WaitAttr(t, ctx, "#status", "data-status", "active", wait)
	browser.WaitAttr(t, ctx, "#lamp-status", "data-pattern", "off", wait)
	browser.WaitAttr(t, ctx, "#security", "data-security", "local", wait)

	if err := chromedp.Run(ctx, chromedp.Click("#long-hangup", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	browser.WaitAttr(t, ctx, "#status", "data-status", "ended", wait)
	var reason string
	if err := chromedp.Run(ctx, chromedp.Text("#reason", &reason, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if reason != "you hung up" {
		t.Errorf("reason on the page: %q", reason)
	}
}
