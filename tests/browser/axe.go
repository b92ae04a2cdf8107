package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// AxeViolation is one rule axe-core found broken on a page, with the
// elements that break it.
type AxeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

func (v AxeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for i, n := range v.Nodes {
		if i == 3 {
			fmt.Fprintf(&b, "\n    … and %d more", len(v.Nodes)-3)
			break
		}
		fmt.Fprintf(&b, "\n    %v %s", n.Target, n.HTML)
	}
	return b.String()
}

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// axeScript is axe-core's browser build, installed from the npm registry at
// the version package-lock.json pins (tests/browser/axe); installed once per
// machine, under a file lock so parallel test binaries do not race.
func axeScript() (string, error) {
	axeOnce.Do(func() {
		_, here, _, _ := runtime.Caller(0)
		dir := filepath.Join(filepath.Dir(here), "axe")
		js := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
		lock, err := os.Open(filepath.Join(dir, "package-lock.json"))
		if err != nil {
			axeErr = err
			return
		}
		defer lock.Close()
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
			axeErr = err
			return
		}
		defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
		if _, err := os.Stat(js); err != nil {
			cmd := exec.Command("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				axeErr = fmt.Errorf("npm ci in %s (is npm installed? the npm registry reachable?): %v\n%s", dir, err, out)
				return
			}
		}
		b, err := os.ReadFile(js)
		axeSource, axeErr = string(b), err
	})
	return axeSource, axeErr
}

// Axe runs axe-core on the page ctx shows, against the WCAG 2.1 A and AA
// rules, and returns what it found broken.
func Axe(t testing.TB, ctx context.Context) []AxeViolation {
	t.Helper()
	src, err := axeScript()
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	var raw string
	run := `(async () => {
		if (!window.axe) { (0, eval)(` + jsString(src) + `); }
		const r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]});
		return JSON.stringify(r.violations);
	})()`
	if err := chromedp.Run(ctx, chromedp.Evaluate(run, &raw, func(p *cdpruntime.EvaluateParams) *cdpruntime.EvaluateParams { return p.WithAwaitPromise(true) })); err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	var vs []AxeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		t.Fatalf("axe results: %v", err)
	}
	return vs
}

// NoAxeViolations fails the test with every violation axe-core finds on the
// page ctx shows; what names the page and its state in the message.
func NoAxeViolations(t testing.TB, ctx context.Context, what string) {
	t.Helper()
	for _, v := range Axe(t, ctx) {
		t.Errorf("%s: %s", what, v)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
