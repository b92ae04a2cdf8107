package main

import (
	"slices"
	"time"
)

// wantChatLines checks the format of the chat lines: the incoming line
// (in) says it is from contact, the outgoing one (out) from "You", each
// with a UTC time within the last ten minutes, and the two styled apart.
func (b *browserSession) wantChatLines(contact, in, out string) {
	b.t.Helper()
	var lines []struct {
		Dir, Who, When, Shown, Body, Background string
	}
	if err := b.eval(`[...document.querySelectorAll("#lines li")].map(l => ({Dir: l.className.split(" ")[0],
		Who: (l.querySelector(".who") || {}).textContent || "", When: (l.querySelector("time") || {}).dateTime || "",
		Shown: (l.querySelector("time") || {}).textContent || "", Body: (l.querySelector(".body") || {}).textContent || "",
		Background: getComputedStyle(l).backgroundColor}))`, &lines); err != nil {
		b.t.Fatalf("reading the chat lines: %v", err)
	}
	bg := map[string]string{}
	for _, want := range []struct{ dir, who, body string }{{"in", contact, in}, {"out", "You", out}} {
		i := slices.IndexFunc(lines, func(l struct{ Dir, Who, When, Shown, Body, Background string }) bool { return l.Body == want.body })
		if i < 0 {
			b.t.Errorf("no chat line %q among %+v", want.body, lines)
			continue
		}
		l := lines[i]
		when, err := time.Parse(time.RFC3339, l.When)
		if l.Dir != want.dir || l.Who != want.who || err != nil || time.Since(when) > 10*time.Minute || time.Since(when) < -time.Minute ||
			l.Shown != when.UTC().Format("2006-01-02 15:04")+" UTC" {
			b.t.Errorf("chat line %q: %+v, want %s from %s with its time in UTC", want.body, l, want.dir, want.who)
		}
		bg[l.Dir] = l.Background
	}
	if bg["in"] == bg["out"] {
		b.t.Errorf("incoming and outgoing chat lines look alike (background %s)", bg["in"])
	}
}
