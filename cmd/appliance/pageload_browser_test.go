package main

import (
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPageLoadMeasured measures each page of the web admin from the first
// byte of the response to the end of its load event (Navigation Timing),
// in a browser already warm from a first visit, and logs the median and
// the worst of loadRuns visits (docs/BENCHMARKS.md). A measured run, not a
// timed pass/fail: it fails only when a page cannot be measured.
func TestPageLoadMeasured(t *testing.T) {
	const loadRuns = 7
	a := startAppliance(t)
	b := a.openBrowser(t)
	b.setUpVault(testPassword)
	pages := []string{"/", "/accounts", "/accounts/new?kind=sip", "/passwords", "/history", "/desk", "/settings", "/security",
		"/phonebook", "/status", "/maintenance"}
	for _, p := range pages {
		b.open(p) // warm: the stylesheet and scripts are cached from here on
		var runs []time.Duration
		for range loadRuns {
			b.open(p)
			var ms float64
			// The new document's body first: chromedp then evaluates in
			// the new page's context, not the one the navigation ended
			// ("Cannot find context with specified id").
			b.act(chromedp.WaitReady("body", chromedp.ByQuery), chromedp.Poll(`(() => { const n = performance.getEntriesByType("navigation")[0];
				return n && n.loadEventEnd > 0 ? n.loadEventEnd - n.responseStart : false })()`, &ms, chromedp.WithPollingTimeout(wait)))
			if ms <= 0 {
				t.Fatalf("%s: no Navigation Timing figure (%v ms)", p, ms)
			}
			runs = append(runs, time.Duration(ms*float64(time.Millisecond)))
		}
		if got := b.path(); got != p && got+"?kind=sip" != p {
			t.Fatalf("measured %s, want %s", got, p)
		}
		slices.Sort(runs)
		t.Logf("page load %-24s median %6.1f ms, worst %6.1f ms (first byte to load, %d warm runs)", p,
			float64(runs[len(runs)/2])/1e6, float64(runs[len(runs)-1])/1e6, loadRuns)
	}
}
