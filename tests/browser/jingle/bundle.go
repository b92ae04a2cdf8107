// Package jinglepage builds the browser side of the Jingle acceptance test:
// StanzaJS (npm, pinned by package-lock.json) and page.js bundled with
// esbuild, at test time, into one script for Chromium.
package jinglepage

import (
	_ "embed"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var (
	//go:embed package.json
	packageJSON []byte
	//go:embed package-lock.json
	packageLock []byte
	//go:embed page.js
	pageJS []byte
)

const installHint = "install Node.js and npm (apt-get install nodejs npm); the registry must be reachable for `npm ci`"

// Bundle installs the pinned packages with `npm ci` in a temporary
// directory and bundles page.js; it returns the path of the script.
func Bundle(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatalf("npm not found: %s", installHint)
	}
	dir := t.TempDir()
	for name, b := range map[string][]byte{"package.json": packageJSON, "package-lock.json": packageLock, "page.js": pageJS} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s\n(%s)", name, args, err, out, installHint)
		}
	}
	run("npm", "ci", "--no-audit", "--no-fund")
	out := filepath.Join(dir, "bundle.js")
	run(filepath.Join(dir, "node_modules", ".bin", "esbuild"), "page.js", "--bundle", "--format=iife", "--platform=browser",
		"--define:global=window", "--outfile="+out, "--log-level=warning")
	return out
}
