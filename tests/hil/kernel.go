package hil

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The QEMU rig's kernel: Debian bookworm's arm64 kernel, which has the GPIO
// character device but no GPIO_SIM, and gpio-sim built for it out of tree
// from the same Debian source package (with irq_sim, which that kernel
// lacks too, in the same module). Pinned, so the module's version magic
// and symbol CRCs are that kernel's.
const (
	kernelRelease = "6.1.0-47-arm64"
	kernelPackage = "6.1.170-3"
)

// KernelHint says what the build needs.
const KernelHint = "the QEMU rig's kernel needs apt (arm64 package lists), dpkg-deb, gcc-aarch64-linux-gnu, make, flex, bison, bc, libelf-dev, libssl-dev: make deps"

var (
	kernelOnce sync.Once
	kernelDir  string
	kernelErr  error
)

// guestKernel returns the directory holding vmlinuz, configfs.ko and
// gpio-sim.ko, fetching and building them once into the user cache (a few
// minutes the first time; the Debian source tree is removed afterwards).
func guestKernel(t testing.TB) string {
	t.Helper()
	kernelOnce.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		kernelDir = filepath.Join(cache, "padlock", "hil", kernelRelease+"_"+kernelPackage)
		if _, err := os.Stat(filepath.Join(kernelDir, "gpio-sim.ko")); err == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		defer cancel()
		kernelErr = buildKernel(ctx, kernelDir)
	})
	if kernelErr != nil {
		t.Fatalf("%v\n(%s)", kernelErr, KernelHint)
	}
	return kernelDir
}

func buildKernel(ctx context.Context, dest string) error {
	work, err := os.MkdirTemp("", "padlock-hil-kernel-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	sh := func(dir string, env []string, name string, args ...string) error {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			s := out.String()
			if len(s) > 3000 {
				s = "..." + s[len(s)-3000:]
			}
			return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, s)
		}
		return nil
	}
	// A private apt state for arm64, as the image builder keeps one.
	apt := []string{"-o", "APT::Architecture=arm64", "-o", "APT::Architectures::=arm64",
		"-o", "Dir::State=" + filepath.Join(work, "state"), "-o", "Dir::State::status=" + filepath.Join(work, "state", "status"),
		"-o", "Dir::Cache=" + filepath.Join(work, "cache"), "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root", "-q"}
	for _, d := range []string{"state/lists/partial", "cache/archives/partial", "debs", "root"} {
		if err := os.MkdirAll(filepath.Join(work, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(work, "state", "status"), nil, 0o644); err != nil {
		return err
	}
	if err := sh(work, nil, "apt-get", append(apt, "update")...); err != nil {
		return err
	}
	debs := filepath.Join(work, "debs")
	pkgs := []string{"linux-image-" + kernelRelease + "-unsigned=" + kernelPackage, "linux-headers-" + kernelRelease + "=" + kernelPackage,
		"linux-source-6.1=" + kernelPackage}
	if err := sh(debs, nil, "apt-get", append(append(apt, "download"), pkgs...)...); err != nil {
		return err
	}
	have, _ := filepath.Glob(filepath.Join(debs, "*.deb"))
	root := filepath.Join(work, "root")
	for _, d := range have {
		if strings.Contains(d, "linux-source") {
			if err := sh(work, nil, "sh", "-c", "dpkg-deb --fsys-tarfile "+d+" | tar -x -O ./usr/src/linux-source-6.1.tar.xz | tar -xJ"); err != nil {
				return err
			}
			continue
		}
		if err := sh(work, nil, "dpkg-deb", "-x", d, root); err != nil {
			return err
		}
	}
	src := filepath.Join(work, "linux-source-6.1")
	headers := filepath.Join(root, "usr/src/linux-headers-"+kernelRelease)
	cross := []string{"ARCH=arm64", "CROSS_COMPILE=aarch64-linux-gnu-"}
	steps := [][]string{
		{"cp", filepath.Join(headers, ".config"), ".config"},
		// The signing keys are Debian's; an unsigned module loads (the
		// kernel only taints itself).
		{"scripts/config", "--set-str", "SYSTEM_TRUSTED_KEYS", "", "--set-str", "SYSTEM_REVOCATION_KEYS", ""},
		{"make", "olddefconfig"},
		{"make", "-j2", "modules_prepare"},
		{"cp", filepath.Join(headers, "Module.symvers"), "Module.symvers"},
		{"cp", filepath.Join(headers, "include/generated/utsrelease.h"), "include/generated/utsrelease.h"},
		{"sh", "-c", "echo " + kernelRelease + " > include/config/kernel.release"},
	}
	for _, s := range steps {
		if err := sh(src, cross, s[0], s[1:]...); err != nil {
			return err
		}
	}
	mod := filepath.Join(work, "gpio-sim")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		return err
	}
	for from, to := range map[string]string{"drivers/gpio/gpio-sim.c": "gpio-sim-main.c", "drivers/gpio/gpiolib.h": "gpiolib.h", "kernel/irq/irq_sim.c": "irq-sim.c"} {
		b, err := os.ReadFile(filepath.Join(src, from))
		if err != nil {
			return err
		}
		if to == "irq-sim.c" {
			// irq_to_desc is not exported to modules; the handler
			// generic_handle_irq finds is the same handle_simple_irq.
			const call = "handle_simple_irq(irq_to_desc(irqnum));"
			if !bytes.Contains(b, []byte(call)) {
				return fmt.Errorf("irq_sim.c no longer calls %s: look again at the out-of-tree patch", call)
			}
			b = bytes.Replace(b, []byte(call), []byte("generic_handle_irq(irqnum);"), 1)
		}
		if err := os.WriteFile(filepath.Join(mod, to), b, 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(mod, "Kbuild"), []byte("obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq-sim.o\n"), 0o644); err != nil {
		return err
	}
	if err := sh(src, cross, "make", "M="+mod, "modules"); err != nil {
		return err
	}
	if err := sh(mod, nil, "aarch64-linux-gnu-strip", "--strip-debug", "gpio-sim.ko"); err != nil {
		return err
	}
	tmp := dest + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	for from, to := range map[string]string{
		filepath.Join(root, "boot/vmlinuz-"+kernelRelease):                                  "vmlinuz",
		filepath.Join(root, "lib/modules", kernelRelease, "kernel/fs/configfs/configfs.ko"): "configfs.ko",
		filepath.Join(mod, "gpio-sim.ko"):                                                   "gpio-sim.ko",
	} {
		if err := sh(work, nil, "cp", from, filepath.Join(tmp, to)); err != nil {
			return err
		}
	}
	os.RemoveAll(dest)
	return os.Rename(tmp, dest)
}
