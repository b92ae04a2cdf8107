// Package browser starts Debian's chromium under chromedp for the web admin's
// end-to-end tests, with the flags this sandboxed, offline machine needs.
package browser

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path is where Debian's chromium package puts the browser.
const Path = "/usr/bin/chromium"

// New returns a chromedp context on a fresh headless chromium with an empty
// profile; it is closed when the test ends. A missing browser fails the
// test with the install hint: browser tests are never skipped.
func New(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if _, err := os.Stat(Path); err != nil {
		t.Fatalf("chromium not found at %s: run `make deps` (apt-get install chromium)", Path)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() {
		// Close the browser gracefully first: killing it leaves its helper
		// processes writing to the profile while t.TempDir removes it.
		chromedp.Cancel(ctx)
		cancelCtx()
		cancelAlloc()
	})
	// Start the browser now, so a broken install fails here with its error.
	// (The first Run must get ctx itself: a derived context would take the
	// browser down with it when it is cancelled.)
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// WaitAttr polls until the element's attribute equals want, or fails the
// test after timeout with what it saw last.
func WaitAttr(t testing.TB, ctx context.Context, sel, attr, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var got string
	for {
		var ok bool
		err := chromedp.Run(ctx, chromedp.AttributeValue(sel, attr, &got, &ok, chromedp.ByQuery))
		if err == nil && ok && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s[%s] = %q (err %v), want %q", sel, attr, got, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TrustCert makes the browser accept exactly the certificate in the PEM
// file (the appliance's self-signed one), by its public key's SHA-256,
// while every other certificate error still fails.
func TrustCert(t testing.TB, pemFile string) chromedp.ExecAllocatorOption {
	t.Helper()
	b, err := os.ReadFile(pemFile)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM block", pemFile)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(sum[:]))
}
