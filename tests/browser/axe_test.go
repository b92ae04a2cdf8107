package browser

import (
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestAxeFindsViolations: the harness reports a page's known faults (an
// image without a text alternative, grey-on-grey text, an unlabelled field)
// and nothing on a clean page, so a zero elsewhere means something.
func TestAxeFindsViolations(t *testing.T) {
	ctx := New(t)
	for _, tt := range []struct {
		name, html string
		want       []string
	}{
		{"faults", `<!doctype html><html lang="en"><title>t</title><main><img src="data:,">` +
			`<p style="color:#999;background:#aaa">faint</p><input id="x"></main></html>`,
			[]string{"image-alt", "color-contrast", "label"}},
		{"clean", `<!doctype html><html lang="en"><title>t</title><main><h1>Hi</h1>` +
			`<label for="x">Name</label><input id="x"></main></html>`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := chromedp.Run(ctx, chromedp.Navigate("data:text/html,"+url.PathEscape(tt.html))); err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, v := range Axe(t, ctx) {
				got[v.ID] = true
			}
			for _, w := range tt.want {
				if !got[w] {
					t.Errorf("axe did not report %s (got %v)", w, got)
				}
			}
			if len(tt.want) == 0 && len(got) > 0 {
				t.Errorf("axe reported %v on a clean page", got)
			}
		})
	}
}
