package hil

import (
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitramfsReadsBackWithCpio: Debian's cpio lists what initramfs wrote,
// names, types and sizes: the kernel's unpacker reads the same format.
func TestInitramfsReadsBackWithCpio(t *testing.T) {
	bin, err := exec.LookPath("cpio")
	if err != nil {
		t.Fatal("cpio not found: apt-get install -y cpio (or make deps)")
	}
	p := filepath.Join(t.TempDir(), "initrd")
	if err := initramfs(p, []cpioFile{
		{name: "dev", mode: 0o040755},
		{name: "dev/console", mode: 0o020600, major: 5, minor: 1},
		{name: "init", mode: 0o100755, data: []byte("#!x\n")},
		{name: "lib/odd", mode: 0o100644, data: []byte("12345")},
	}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-t", "-v", "--quiet")
	cmd.Stdin = zr
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("cpio -t: %v", err)
	}
	out := string(outb)
	for _, want := range []string{"drwxr-xr-x", "crw-------", "5,   1", "dev/console", "-rwxr-xr-x", "4 ", "init", "lib/odd"} {
		if !strings.Contains(out, want) {
			t.Errorf("cpio -tv lacks %q:\n%s", want, out)
		}
	}
	_ = io.Discard
}
