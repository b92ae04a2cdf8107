package image

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// cmdlinePad is the room left at the end of /cmdline.txt: gokrazy's updater
// rewrites the file in place (it cannot grow a FAT file), e.g. to switch
// root= to the other root partition.
const cmdlinePad = 64

// Cmdline is the kernel command line of an image booting from root
// partition 2.
func Cmdline(l Layout) string {
	return "console=tty1 console=serial0,115200 root=" + l.RootArg(2) +
		" init=/gokrazy/init rootwait panic=10 oops=panic"
}

// stageBoot lays out the boot partition's files in dir and returns their
// total size.
func stageBoot(cfg Config, l Layout, dir string, logf func(string, ...any)) (int64, error) {
	ctx := context.Background()
	if err := os.MkdirAll(filepath.Join(dir, "overlays"), 0o755); err != nil {
		return 0, err
	}
	kernel, err := moduleDir(ctx, cfg, "github.com/gokrazy/kernel.rpi")
	if err != nil {
		return 0, err
	}
	firmware, err := moduleDir(ctx, cfg, "github.com/gokrazy/firmware")
	if err != nil {
		return 0, err
	}
	eeprom, err := moduleDir(ctx, cfg, "github.com/gokrazy/rpi-eeprom")
	if err != nil {
		return 0, err
	}
	logf("kernel %s", kernel)
	logf("firmware %s", firmware)
	for _, set := range []struct {
		dir   string
		globs []string
	}{
		{kernel, []string{"vmlinuz", "*.dtb", "overlays/*.dtbo", "overlays/overlay_map.dtb"}},
		{firmware, []string{"*.bin", "*.dat", "*.elf", "overlays/*.dtbo"}},
	} {
		for _, g := range set.globs {
			matches, err := filepath.Glob(filepath.Join(set.dir, g))
			if err != nil {
				return 0, err
			}
			for _, m := range matches {
				rel, _ := filepath.Rel(set.dir, m)
				if _, err := os.Stat(filepath.Join(dir, rel)); err == nil {
					return 0, fmt.Errorf("%s is in both the kernel and the firmware", rel)
				}
				if err := copyFile(filepath.Join(dir, rel), m, 0o644); err != nil {
					return 0, err
				}
			}
		}
	}
	if err := stageEEPROM(eeprom, dir, logf); err != nil {
		return 0, err
	}

	cmdline := Cmdline(l) + strings.Repeat(" ", cmdlinePad)
	if err := os.WriteFile(filepath.Join(dir, "cmdline.txt"), []byte(cmdline), 0o644); err != nil {
		return 0, err
	}
	config, err := os.ReadFile(filepath.Join(kernel, "config.txt"))
	if err != nil {
		return 0, err
	}
	// The serial console is on, as in gokrazy's default.
	config = []byte(strings.ReplaceAll(string(config), "enable_uart=0", "enable_uart=1") + "\n")
	if err := os.WriteFile(filepath.Join(dir, "config.txt"), config, 0o644); err != nil {
		return 0, err
	}
	var total int64
	err = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			total += fi.Size()
		}
		return err
	})
	return total, err
}

// stageEEPROM adds the Raspberry Pi 4 bootloader update as the boot ROM's
// recovery.bin expects it: the newest pieeprom and vl805 images, each with a
// .sig file holding its SHA-256 and a time stamp (the date in the file
// name, so that the build stays reproducible).
func stageEEPROM(src, dir string, logf func(string, ...any)) error {
	for _, u := range []struct{ glob, dest string }{
		{"pieeprom-*.bin", "pieeprom.upd"},
		{"vl805-*.bin", "vl805.bin"},
	} {
		matches, err := filepath.Glob(filepath.Join(src, u.glob))
		if err != nil {
			return err
		}
		if len(matches) == 0 {
			return fmt.Errorf("no %s in %s", u.glob, src)
		}
		sort.Strings(matches)
		newest := matches[len(matches)-1]
		ts := time.Unix(0, 0)
		name := filepath.Base(newest)
		if d, ok := strings.CutPrefix(name, "pieeprom-"); ok {
			if t, err := time.Parse("2006-01-02", strings.TrimSuffix(d, ".bin")); err == nil {
				ts = t
			}
		}
		if err := copyFile(filepath.Join(dir, u.dest), newest, 0o644); err != nil {
			return err
		}
		f, err := os.Open(newest)
		if err != nil {
			return err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return err
		}
		sig := fmt.Sprintf("%x\nts: %d\n", h.Sum(nil), ts.Unix())
		if err := os.WriteFile(filepath.Join(dir, strings.TrimSuffix(u.dest, filepath.Ext(u.dest))+".sig"), []byte(sig), 0o644); err != nil {
			return err
		}
		logf("EEPROM update %s from %s", u.dest, name)
	}
	return copyFile(filepath.Join(dir, "recovery.bin"), filepath.Join(src, "recovery.bin"), 0o644)
}

// makeFAT formats the boot partition the way gokrazy reads it (FAT16, one
// FAT, 4 sectors per cluster, files unfragmented: gokrazy finds
// /cmdline.txt by walking the root directory and rewrites it in place) and
// copies the files in sorted order, with the epoch as their time.
func makeFAT(ctx context.Context, cfg Config, l Layout, dir, out string) error {
	if err := os.WriteFile(out, nil, 0o644); err != nil {
		return err
	}
	if err := os.Truncate(out, int64(l.BootSize)*sectorSize); err != nil {
		return err
	}
	if err := run(ctx, "", nil, "mkfs.vfat", "-F", "16", "-f", "1", "-s", "4", "-S", "512",
		"-h", fmt.Sprint(l.BootStart), "-i", fmt.Sprintf("%08x", l.Partuuid), "-n", "GOKRAZY",
		"--invariant", out); err != nil {
		return err
	}
	epoch := cfg.epoch()
	var top, sub []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries { // ReadDir sorts by name
		if e.IsDir() {
			names, err := os.ReadDir(filepath.Join(dir, e.Name()))
			if err != nil {
				return err
			}
			// mcopy -s -m makes the directory with the source's time (mmd
			// would stamp it with the current time); it holds only the
			// first file then, so that the rest go in sorted order.
			sub = sub[:0]
			for _, n := range names {
				p := filepath.Join(dir, e.Name(), n.Name())
				if err := os.Chtimes(p, epoch, epoch); err != nil {
					return err
				}
				sub = append(sub, p)
			}
			if len(sub) == 0 {
				continue
			}
			one := filepath.Join(filepath.Dir(dir), "first", e.Name())
			if err := os.MkdirAll(one, 0o755); err != nil {
				return err
			}
			if err := copyFile(filepath.Join(one, filepath.Base(sub[0])), sub[0], 0o644); err != nil {
				return err
			}
			for _, p := range []string{filepath.Join(one, filepath.Base(sub[0])), one} {
				if err := os.Chtimes(p, epoch, epoch); err != nil {
					return err
				}
			}
			if err := run(ctx, "", nil, "mcopy", "-s", "-m", "-i", out, one, "::/"); err != nil {
				return err
			}
			if len(sub) > 1 {
				if err := run(ctx, "", nil, "mcopy", append(append([]string{"-m", "-i", out}, sub[1:]...), "::/"+e.Name()+"/")...); err != nil {
					return err
				}
			}
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.Chtimes(p, epoch, epoch); err != nil {
			return err
		}
		top = append(top, p)
	}
	// cmdline.txt first, so it sits at the start of the data area.
	sort.SliceStable(top, func(i, j int) bool {
		return filepath.Base(top[i]) == "cmdline.txt" && filepath.Base(top[j]) != "cmdline.txt"
	})
	return run(ctx, "", nil, "mcopy", append(append([]string{"-m", "-i", out}, top...), "::/")...)
}
