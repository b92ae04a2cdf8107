package image

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// runtimeDebs are the Debian arm64 packages whose files the appliance needs
// at run time: glibc (the loader, libc, libm; the binary is cgo because
// malgo is), ALSA (malgo dlopens libasound; alsa.conf lives in
// /usr/share/alsa) and libopus (media/codec links it). libopus-dev is
// there for the build only: its header and the libopus.so link the cross
// compiler needs (CGO_CFLAGS/CGO_LDFLAGS point into the sysroot).
var runtimeDebs = []string{"libc6", "libasound2", "libasound2-data", "libopus0", "libopus-dev"}

// aptOptions make apt-get work on a private state directory as if the
// machine were arm64, without adding a foreign architecture to dpkg: the
// package lists and the downloaded .debs stay in dir.
func aptOptions(dir string) []string {
	return []string{
		"-o", "APT::Architecture=arm64",
		"-o", "APT::Architectures::=arm64",
		"-o", "Dir::State=" + filepath.Join(dir, "state"),
		"-o", "Dir::State::status=" + filepath.Join(dir, "state", "status"),
		"-o", "Dir::Cache=" + filepath.Join(dir, "cache"),
		"-o", "Debug::NoLocking=1",
		"-o", "APT::Sandbox::User=root",
		"-q",
	}
}

// fetchDebs downloads the arm64 packages into dir/debs once (a later build
// reuses them, so it needs no network) and unpacks them into a sysroot.
//
// The cache is shared by every build on the machine (two test packages
// may build images at once), so the caller holds it locked from here until
// it no longer needs the sysroot: release ends that. The sysroot stays at
// one path in the cache because the cgo flags that name it are recorded
// in the binary, and the image must come out the same every time.
func fetchDebs(ctx context.Context, dir string, logf func(string, ...any)) (sysroot string, debs []string, release func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, nil, err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", nil, nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		lock.Close()
		return "", nil, nil, fmt.Errorf("locking the package cache %s: %w", dir, err)
	}
	release = func() { lock.Close() } // closing the file drops the lock
	defer func() {
		if err != nil {
			release()
			release = nil
		}
	}()
	sysroot, debs, err = fetchDebsLocked(ctx, dir, logf)
	return sysroot, debs, release, err
}

func fetchDebsLocked(ctx context.Context, dir string, logf func(string, ...any)) (sysroot string, debs []string, err error) {
	debDir := filepath.Join(dir, "debs")
	have, _ := filepath.Glob(filepath.Join(debDir, "*.deb"))
	if !allFetched(have) {
		logf("fetching arm64 packages %s with apt into %s", strings.Join(runtimeDebs, " "), dir)
		for _, d := range []string{"state/lists/partial", "cache/archives/partial", "debs"} {
			if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
				return "", nil, err
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "state", "status"), nil, 0o644); err != nil {
			return "", nil, err
		}
		if err := run(ctx, dir, nil, "apt-get", append(aptOptions(dir), "update")...); err != nil {
			return "", nil, fmt.Errorf("arm64 package lists: %w", err)
		}
		if err := run(ctx, debDir, nil, "apt-get", append(aptOptions(dir), append([]string{"download"}, runtimeDebs...)...)...); err != nil {
			return "", nil, fmt.Errorf("arm64 packages: %w", err)
		}
		have, _ = filepath.Glob(filepath.Join(debDir, "*.deb"))
		if !allFetched(have) {
			return "", nil, fmt.Errorf("apt-get download left %v in %s, want %v", have, debDir, runtimeDebs)
		}
	}
	sort.Strings(have)
	sysroot = filepath.Join(dir, "sysroot")
	if err := os.RemoveAll(sysroot); err != nil {
		return "", nil, err
	}
	for _, deb := range have {
		if err := run(ctx, dir, nil, "dpkg-deb", "-x", deb, sysroot); err != nil {
			return "", nil, err
		}
		debs = append(debs, filepath.Base(deb))
	}
	return sysroot, debs, nil
}

// allFetched says whether there is one .deb of each runtime package (a
// newer download of the same package would make two: then fetch again).
func allFetched(debs []string) bool {
	count := map[string]int{}
	for _, d := range debs {
		name, _, _ := strings.Cut(filepath.Base(d), "_")
		count[name]++
	}
	for _, p := range runtimeDebs {
		if count[p] != 1 {
			return false
		}
	}
	return len(debs) == len(runtimeDebs)
}
