package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"
)

// shownControls is what the call panel offers a person right now: the soft
// keys that are visible, and whether the dial field and keypad are.
type shownControls struct {
	Keys   []string `json:"keys"`
	Dial   bool     `json:"dial"`
	Keypad bool     `json:"keypad"`
}

func (c shownControls) String() string {
	return fmt.Sprintf("keys [%s] dial %v keypad %v", strings.Join(c.Keys, " "), c.Dial, c.Keypad)
}

const shownControlsJS = `(() => {
  const seen = (e) => e !== null && e.offsetParent !== null;
  return JSON.stringify({
    keys: [...document.querySelectorAll("#controls button")].filter(seen).map((b) => b.dataset.action),
    dial: seen(document.getElementById("dial")),
    keypad: seen(document.getElementById("keypad")),
  });
})()`

// wantControls waits until the call panel shows exactly these soft keys
// (in this order) and the dial field and keypad as said, and fails with
// what it showed instead.
func (b *browserSession) wantControls(state string, want shownControls) {
	b.t.Helper()
	if want.Keys == nil {
		want.Keys = []string{} // as the page's list comes: empty, not absent
	}
	wantJSON, _ := json.Marshal(want)
	var ok bool
	if e := chromedp.Run(b.ctx, chromedp.Poll(shownControlsJS+" === "+jsString(string(wantJSON)), &ok, chromedp.WithPollingTimeout(wait))); e == nil && ok {
		return
	}
	var got string
	if e := b.eval(shownControlsJS, &got); e != nil {
		b.t.Fatalf("%s: reading the call panel: %v", state, e)
	}
	var shown shownControls
	json.Unmarshal([]byte(got), &shown)
	b.t.Errorf("%s: the call panel shows %v, want %v", state, shown, want)
}

// wantValue checks what a form field holds now.
func (b *browserSession) wantValue(sel, want string) {
	b.t.Helper()
	var got string
	if err := b.eval(`document.querySelector(`+jsString(sel)+`).value`, &got); err != nil {
		b.t.Fatalf("value of %s: %v", sel, err)
	}
	if got != want {
		b.t.Errorf("%s holds %q, want %q", sel, got, want)
	}
}
