package image

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// installHint says which Debian package brings a tool the build runs.
var installHint = map[string]string{
	"mkfs.vfat":             "dosfstools",
	"mcopy":                 "mtools",
	"mmd":                   "mtools",
	"mtype":                 "mtools",
	"mksquashfs":            "squashfs-tools",
	"mkfs.ext4":             "e2fsprogs",
	"aarch64-linux-gnu-gcc": "gcc-aarch64-linux-gnu",
	"qemu-system-aarch64":   "qemu-system-arm",
	"apt-get":               "apt",
	"dpkg-deb":              "dpkg",
}

// lookTool finds a tool or says how to install it.
func lookTool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		if pkg, ok := installHint[name]; ok {
			return "", fmt.Errorf("%s not found: install it with `apt-get install %s` (or `make deps`)", name, pkg)
		}
		return "", fmt.Errorf("%s not found: %w", name, err)
	}
	return p, nil
}

// run runs a tool with a fixed environment (UTC, C locale) plus env, and
// returns its error with the tail of what it printed.
func run(ctx context.Context, dir string, env []string, name string, args ...string) error {
	path, err := lookTool(name)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	// Times are passed to each tool explicitly; mksquashfs refuses
	// SOURCE_DATE_EPOCH next to its own time options.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SOURCE_DATE_EPOCH=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "TZ=UTC", "LC_ALL=C", "MTOOLS_SKIP_CHECK=1")
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		tail := strings.TrimSpace(out.String())
		if len(tail) > 2000 {
			tail = "..." + tail[len(tail)-2000:]
		}
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail)
	}
	return nil
}

// copyFile copies src to dst with mode.
func copyFile(dst, src string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode)
}
