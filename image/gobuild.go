package image

import (
	"context"
	"debug/elf"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// program is one Go binary of the root file system.
type program struct {
	pkg  string // import path
	dest string // path in the root
	cgo  bool   // built with the aarch64 cross compiler
}

// programs are gokrazy's init (ours, see gokrazyinit), the gokrazy services
// it supervises, and the appliance (cgo: malgo needs it).
var programs = []program{
	{pkg: "./image/gokrazyinit", dest: "gokrazy/init"},
	{pkg: "github.com/gokrazy/gokrazy/cmd/dhcp", dest: "gokrazy/dhcp"},
	{pkg: "github.com/gokrazy/gokrazy/cmd/ntp", dest: "gokrazy/ntp"},
	{pkg: "github.com/gokrazy/gokrazy/cmd/randomd", dest: "gokrazy/randomd"},
	{pkg: "./cmd/appliance", dest: "user/appliance", cgo: true},
}

// buildPrograms cross-compiles every program into root. The flags make the
// binaries reproducible: no paths, no VCS stamp, no build ID.
func buildPrograms(ctx context.Context, cfg Config, root, sysroot string, logf func(string, ...any)) error {
	for _, p := range programs {
		out := filepath.Join(root, p.dest)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		ldflags := "-s -w -buildid="
		if p.dest == "gokrazy/init" {
			ldflags += fmt.Sprintf(" -X main.buildTimestamp=%s -X main.applianceArgs=%s",
				cfg.epoch().Format("2006-01-02T15:04:05Z"), strings.Join(cfg.applianceArgs(), ","))
		}
		env := []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0"}
		if p.cgo {
			if _, err := lookTool("aarch64-linux-gnu-gcc"); err != nil {
				return err
			}
			// Headers and link libraries of the arm64 packages (libopus)
			// come from the unpacked sysroot.
			env = append(env, "CGO_ENABLED=1", "CC=aarch64-linux-gnu-gcc",
				"CGO_CFLAGS=-O2 -I"+filepath.Join(sysroot, "usr/include"),
				"CGO_LDFLAGS=-L"+filepath.Join(sysroot, "usr/lib/aarch64-linux-gnu"))
		}
		logf("building %s -> /%s", p.pkg, p.dest)
		if err := run(ctx, cfg.ModuleDir, env, "go", "build", "-trimpath", "-buildvcs=false",
			"-ldflags="+ldflags, "-o", out, p.pkg); err != nil {
			return err
		}
		if err := os.Chmod(out, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// sharedLibraries copies into root the loader and every library that the
// dynamically linked programs need, plus extra (dlopened) ones and what
// those need, taken from the unpacked Debian sysroot.
func sharedLibraries(root, sysroot string, extra []string) ([]string, error) {
	want := append([]string(nil), extra...)
	var interp string
	for _, p := range programs {
		if !p.cgo {
			continue
		}
		f, err := elf.Open(filepath.Join(root, p.dest))
		if err != nil {
			return nil, err
		}
		libs, err := f.ImportedLibraries()
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				b := make([]byte, prog.Filesz)
				prog.ReadAt(b, 0)
				interp = strings.TrimRight(string(b), "\x00")
			}
		}
		f.Close()
		if err != nil {
			return nil, err
		}
		want = append(want, libs...)
	}
	if interp == "" {
		return nil, fmt.Errorf("the appliance has no ELF interpreter: was it built with cgo?")
	}
	var copied []string
	if err := copyResolved(root, sysroot, interp, interp); err != nil {
		return nil, fmt.Errorf("loader %s: %w", interp, err)
	}
	copied = append(copied, interp)
	done := map[string]bool{}
	for len(want) > 0 {
		lib := want[0]
		want = want[1:]
		if done[lib] {
			continue
		}
		done[lib] = true
		var found string
		for _, dir := range []string{"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu"} {
			if _, err := os.Stat(filepath.Join(sysroot, dir, lib)); err == nil {
				found = path.Join(dir, lib)
				break
			}
		}
		if found == "" {
			return nil, fmt.Errorf("library %s is in none of the packages %v", lib, runtimeDebs)
		}
		dest := path.Join("/lib/aarch64-linux-gnu", lib)
		if err := copyResolved(root, sysroot, dest, found); err != nil {
			return nil, err
		}
		copied = append(copied, dest)
		f, err := elf.Open(filepath.Join(root, dest))
		if err != nil {
			return nil, err
		}
		libs, err := f.ImportedLibraries()
		f.Close()
		if err != nil {
			return nil, err
		}
		want = append(want, libs...)
	}
	return copied, nil
}

// copyResolved copies the file at src in sysroot (following symlinks inside
// sysroot, absolute ones too) to dest in root.
func copyResolved(root, sysroot, dest, src string) error {
	p := src
	for range 16 {
		fi, err := os.Lstat(filepath.Join(sysroot, p))
		if err != nil {
			return err
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			if err := os.MkdirAll(filepath.Join(root, path.Dir(dest)), 0o755); err != nil {
				return err
			}
			return copyFile(filepath.Join(root, dest), filepath.Join(sysroot, p), 0o755)
		}
		target, err := os.Readlink(filepath.Join(sysroot, p))
		if err != nil {
			return err
		}
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(p), target)
		}
		p = target
	}
	return fmt.Errorf("%s: too many symlinks", src)
}
