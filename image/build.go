package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Config is what an image is made of.
type Config struct {
	Out       string // the image file
	ModuleDir string // the Padlock module (go build runs there)
	CacheDir  string // kept between builds: the arm64 .debs
	Hostname  string // default "padlock"; also gives the partition GUIDs
	// Board is the appliance's -board: gpio on a Raspberry Pi, sim under
	// QEMU (-M virt has no GPIO).
	Board string
	// QEMU makes the image for qemu-system-aarch64 -M virt: the simulated
	// board, and ALSA's default device recording silence, because QEMU's
	// usb-audio card has no microphone and the phone opens the headset
	// for both directions.
	QEMU bool
	// Audio is the appliance's -audio: malgo (the USB headset through
	// ALSA; under QEMU an emulated USB sound card), or null.
	Audio string
	// Password protects gokrazy's own web interface and its update
	// endpoints (HTTP basic auth, user "gokrazy").
	Password string
	// GokrazyPort is where gokrazy's interface listens; the appliance owns
	// 80 and 443.
	GokrazyPort int
	// Size is the disk size in bytes (perm takes what is left after 1104
	// MiB of boot and roots).
	Size int64
	// Epoch is every time stamp in the image (SOURCE_DATE_EPOCH).
	Epoch int64
	Log   io.Writer // progress; nil: silent
}

// DefaultSize fits a 2 GB SD card; perm gets about 940 MiB.
const DefaultSize = 2000 * 1000 * 1000 / sectorSize * sectorSize

func (c Config) epoch() time.Time { return time.Unix(c.Epoch, 0).UTC() }

func (c Config) applianceArgs() []string {
	return []string{"-data", "/perm/padlock", "-board", c.Board, "-audio", c.Audio,
		"-http", ":80", "-https", ":443"}
}

// Result describes a written image.
type Result struct {
	Layout   Layout
	Size     int64 // of the image file (sparse on disk)
	BootUsed int64 // bytes of files on the boot partition
	RootSize int64 // bytes of the root squashfs
	SHA256   string
	Debs     []string // the Debian packages unpacked into the root
	Took     time.Duration
}

func (c *Config) fill() error {
	if c.Hostname == "" {
		c.Hostname = "padlock"
	}
	if c.Board == "" {
		c.Board = "gpio"
	}
	if c.QEMU {
		c.Board = "sim"
	}
	if c.Audio == "" {
		c.Audio = "malgo"
	}
	if c.GokrazyPort == 0 {
		c.GokrazyPort = 8080
	}
	if c.Size == 0 {
		c.Size = DefaultSize
	}
	if c.Board != "gpio" && c.Board != "sim" {
		return fmt.Errorf("board %q: want gpio (Raspberry Pi) or sim (QEMU)", c.Board)
	}
	if c.Password == "" {
		return fmt.Errorf("no password for gokrazy's update interface")
	}
	if c.Out == "" || c.ModuleDir == "" || c.CacheDir == "" {
		return fmt.Errorf("image config needs Out, ModuleDir and CacheDir")
	}
	return nil
}

// EpochFromEnv is SOURCE_DATE_EPOCH, or a fixed date when it is unset, so
// that two builds of the same tree give the same bytes.
func EpochFromEnv() (int64, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), nil
	}
	return strconv.ParseInt(s, 10, 64)
}

// Build writes the image described by cfg.
func Build(ctx context.Context, cfg Config) (Result, error) {
	start := time.Now()
	var res Result
	if err := cfg.fill(); err != nil {
		return res, err
	}
	logf := cfg.logger(start)
	layout, err := NewLayout(cfg.Size, cfg.Hostname)
	if err != nil {
		return res, err
	}
	res.Layout = layout
	work, err := os.MkdirTemp("", "padlock-image-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(work)

	rootImg := filepath.Join(work, "root.squashfs")
	if res.Debs, res.RootSize, err = buildRoot(ctx, cfg, layout, work, rootImg, logf); err != nil {
		return res, err
	}

	bootDir := filepath.Join(work, "boot")
	used, err := stageBoot(cfg, layout, bootDir, logf)
	if err != nil {
		return res, fmt.Errorf("boot file system: %w", err)
	}
	res.BootUsed = used
	bootImg := filepath.Join(work, "boot.fat")
	logf("mkfs.vfat (FAT16, one FAT, 4 sectors per cluster) and mcopy")
	if err := makeFAT(ctx, cfg, layout, bootDir, bootImg); err != nil {
		return res, err
	}

	permImg := filepath.Join(work, "perm.ext4")
	logf("mkfs.ext4 perm (%d MiB)", layout.PermSize*sectorSize/mib)
	if err := makeExt4(ctx, cfg, layout, permImg); err != nil {
		return res, err
	}

	logf("writing %s", cfg.Out)
	if err := assemble(cfg.Out, layout, bootImg, rootImg, permImg); err != nil {
		return res, err
	}
	res.Size = cfg.Size
	sum, err := fileSHA256(cfg.Out)
	if err != nil {
		return res, err
	}
	res.SHA256 = sum
	res.Took = time.Since(start)
	logf("done: %s, %d MiB disk, root %.1f MiB, sha256 %s", cfg.Out, cfg.Size/mib, float64(res.RootSize)/mib, sum)
	return res, nil
}

// BuildRoot writes only the root file system (a squashfs for gokrazy's
// /update/root), as Build would put it into the image.
func BuildRoot(ctx context.Context, cfg Config) (Result, error) {
	start := time.Now()
	var res Result
	if err := cfg.fill(); err != nil {
		return res, err
	}
	logf := cfg.logger(start)
	layout, err := NewLayout(cfg.Size, cfg.Hostname)
	if err != nil {
		return res, err
	}
	res.Layout = layout
	work, err := os.MkdirTemp("", "padlock-root-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(work)
	if res.Debs, res.RootSize, err = buildRoot(ctx, cfg, layout, work, cfg.Out, logf); err != nil {
		return res, err
	}
	if res.SHA256, err = fileSHA256(cfg.Out); err != nil {
		return res, err
	}
	res.Took = time.Since(start)
	logf("done: %s, root %.1f MiB, sha256 %s", cfg.Out, float64(res.RootSize)/mib, res.SHA256)
	return res, nil
}

func (c Config) logger(start time.Time) func(string, ...any) {
	return func(format string, args ...any) {
		if c.Log != nil {
			fmt.Fprintf(c.Log, "[%5.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
		}
	}
}

// buildRoot stages and packs the root file system into out.
func buildRoot(ctx context.Context, cfg Config, layout Layout, work, out string, logf func(string, ...any)) (debs []string, size int64, err error) {
	sysroot, debs, release, err := fetchDebs(ctx, cfg.CacheDir, logf)
	if err != nil {
		return nil, 0, err
	}
	defer release()
	rootDir := filepath.Join(work, "root")
	if err := stageRoot(ctx, cfg, rootDir, sysroot, logf); err != nil {
		return nil, 0, fmt.Errorf("root file system: %w", err)
	}
	logf("mksquashfs (gzip) %s", out)
	os.Remove(out)
	if err := makeSquashfs(ctx, cfg, rootDir, out); err != nil {
		return nil, 0, err
	}
	fi, err := os.Stat(out)
	if err != nil {
		return nil, 0, err
	}
	if uint64(fi.Size()) > layout.RootSize*sectorSize {
		return nil, 0, fmt.Errorf("root file system is %d bytes; the root partitions hold %d", fi.Size(), layout.RootSize*sectorSize)
	}
	return debs, fi.Size(), nil
}

// assemble writes the partition table and the three file systems into the
// image; the root goes into p2 (the first root). Runs of zeros are left as
// holes, so the file stays sparse.
func assemble(out string, l Layout, boot, root, perm string) error {
	tmp := out + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	defer f.Close()
	if err := f.Truncate(int64(l.Sectors) * sectorSize); err != nil {
		return err
	}
	if err := l.WritePartitionTable(f); err != nil {
		return err
	}
	for _, p := range []struct {
		n    int
		file string
	}{{1, boot}, {2, root}, {4, perm}} {
		if err := copySparse(f, int64(l.Start(p.n))*sectorSize, int64(l.Size(p.n))*sectorSize, p.file); err != nil {
			return fmt.Errorf("partition %d: %w", p.n, err)
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// copySparse copies src into dst at off, skipping all-zero blocks.
func copySparse(dst *os.File, off, max int64, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if fi, err := in.Stat(); err != nil {
		return err
	} else if fi.Size() > max {
		return fmt.Errorf("%s is %d bytes, the partition %d", src, fi.Size(), max)
	}
	buf := make([]byte, 64<<10)
	for pos := int64(0); ; {
		n, err := io.ReadFull(in, buf)
		if n > 0 && !allZero(buf[:n]) {
			if _, werr := dst.WriteAt(buf[:n], off+pos); werr != nil {
				return werr
			}
		}
		pos += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func fileSHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
