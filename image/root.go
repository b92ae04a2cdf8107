package image

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// moduleDir is where the go command keeps a module of the build list
// (downloading it first if needed).
func moduleDir(ctx context.Context, cfg Config, mod string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", mod)
	cmd.Dir = cfg.ModuleDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w: %s%s", mod, err, stderr.String(), out)
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil {
		return "", fmt.Errorf("go mod download %s: %w", mod, err)
	}
	if m.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", mod, m.Error)
	}
	return m.Dir, nil
}

// stageRoot lays out the root file system in dir.
func stageRoot(ctx context.Context, cfg Config, dir, sysroot string, logf func(string, ...any)) error {
	for _, d := range []string{"bin", "dev", "etc/ssl", "etc/gokrazy", "proc", "sys", "tmp", "perm", "lib", "run", "mnt", "usr/share"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	// gokrazy keeps variable data on perm.
	if err := os.Symlink("/perm/var", filepath.Join(dir, "var")); err != nil {
		return err
	}
	if err := os.Symlink("/tmp/resolv.conf", filepath.Join(dir, "etc/resolv.conf")); err != nil {
		return err
	}
	if err := buildPrograms(ctx, cfg, dir, sysroot, logf); err != nil {
		return err
	}
	libs, err := sharedLibraries(dir, sysroot, []string{"libasound.so.2"})
	if err != nil {
		return err
	}
	logf("runtime libraries: %s", strings.Join(libs, " "))
	if err := copyTree(filepath.Join(dir, "usr/share/alsa"), filepath.Join(sysroot, "usr/share/alsa")); err != nil {
		return fmt.Errorf("ALSA configuration: %w", err)
	}
	kernel, err := moduleDir(ctx, cfg, "github.com/gokrazy/kernel.rpi")
	if err != nil {
		return err
	}
	if err := copyTree(filepath.Join(dir, "lib/modules"), filepath.Join(kernel, "lib/modules")); err != nil {
		return fmt.Errorf("kernel modules: %w", err)
	}

	files := map[string]string{
		"etc/hostname": cfg.Hostname,
		"etc/hosts":    "127.0.0.1 localhost\n::1 localhost\n",
		// ALSA opens its devices as group audio; without the group its
		// default device fails.
		"etc/group":          "root:x:0:\naudio:x:29:\n",
		"etc/passwd":         "root:x:0:0:root:/perm/padlock:/bin/false\n",
		"etc/gokr-pw.txt":    cfg.Password,
		"etc/http-port.txt":  strconv.Itoa(cfg.GokrazyPort),
		"etc/https-port.txt": strconv.Itoa(cfg.GokrazyPort + 1),
	}
	if cfg.QEMU {
		files["etc/asound.conf"] = qemuALSA
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	for dest, src := range map[string]string{
		"etc/ssl/ca-bundle.pem": "/etc/ssl/certs/ca-certificates.crt",
		"etc/services":          "/etc/services",
	} {
		if err := copyFile(filepath.Join(dir, dest), src, 0o644); err != nil {
			return fmt.Errorf("%s (packages ca-certificates, netbase): %w", dest, err)
		}
	}
	return nil
}

// qemuALSA is /etc/asound.conf of a QEMU image: the default device plays
// to the first card (QEMU's usb-audio, which only plays) and records from
// ALSA's null device (silence). A Raspberry Pi image has no such file: its
// USB headset plays and records.
const qemuALSA = `pcm.!default {
	type asym
	playback.pcm "plughw:0,0"
	capture.pcm "null"
}
`

// copyTree copies a directory tree of regular files, directories and
// symlinks; modes are normalised (0755 for directories and executables,
// 0644 for the rest).
func copyTree(dst, src string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			fi, err := d.Info()
			if err != nil {
				return err
			}
			mode := os.FileMode(0o644)
			if fi.Mode()&0o111 != 0 {
				mode = 0o755
			}
			return copyFile(target, p, mode)
		}
	})
}

// makeSquashfs packs the root: zlib (the kernels read no other
// compression), owned by root, every time stamp the epoch.
func makeSquashfs(ctx context.Context, cfg Config, dir, out string) error {
	e := strconv.FormatInt(cfg.Epoch, 10)
	return run(ctx, "", nil, "mksquashfs", dir, out, "-comp", "gzip", "-noappend", "-no-xattrs",
		"-all-root", "-all-time", e, "-mkfs-time", e, "-quiet", "-no-progress")
}

// makeExt4 formats perm with IDs and times fixed by the layout and epoch
// (gokrazy never formats perm itself).
func makeExt4(ctx context.Context, cfg Config, l Layout, out string) error {
	if err := os.WriteFile(out, nil, 0o644); err != nil {
		return err
	}
	if err := os.Truncate(out, int64(l.PermSize)*sectorSize); err != nil {
		return err
	}
	uuid := l.PartUUID(4)
	return run(ctx, "", []string{"E2FSPROGS_FAKE_TIME=" + strconv.FormatInt(cfg.Epoch, 10)},
		"mkfs.ext4", "-q", "-F", "-L", "perm", "-U", uuid, "-E", "hash_seed="+uuid+",root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0", out)
}
