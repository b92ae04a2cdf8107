package main

import (
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildsForTheBoard: the command cross-compiles for a Raspberry Pi
// (linux/arm64, cgo for malgo), as the image builder builds the appliance.
func TestBuildsForTheBoard(t *testing.T) {
	if _, err := exec.LookPath("aarch64-linux-gnu-gcc"); err != nil {
		t.Fatal("aarch64-linux-gnu-gcc not found: apt-get install -y gcc-aarch64-linux-gnu (or make deps)")
	}
	out := filepath.Join(t.TempDir(), "padlock-rig")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=1", "CC=aarch64-linux-gnu-gcc")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOARCH=arm64 go build: %v\n%s", err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("built for %v, want AArch64", f.Machine)
	}
}

// TestFlagsNameWhatIsMissing: a bare command line says every required flag.
func TestFlagsNameWhatIsMissing(t *testing.T) {
	_, err := parseFlags(nil, io.Discard)
	if err == nil {
		t.Fatal("no error without flags")
	}
	for _, f := range []string{"-web", "-fingerprint", "-password-file", "-far-user", "-far-password-file", "-far-domain", "-phone-uri"} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not name %s", err, f)
		}
	}
	c, err := parseFlags([]string{"-web", "https://10.0.0.2", "-fingerprint", "AA", "-password-file", "pw", "-far-user", "bob",
		"-far-password-file", "bobpw", "-far-domain", "sip.example", "-phone-uri", "sip:alice@sip.example", "-rig-lock", "GPIO12"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.far.registrar != "sip.example:5060" || c.pins["lock"] != "GPIO12" || c.pins["answer"] != "GPIO23" {
		t.Errorf("parsed %+v", c)
	}
}
