package image

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// QEMU boots an image under qemu-system-aarch64 -M virt the way a Raspberry
// Pi's firmware does: before every boot it reads the kernel and
// /cmdline.txt from the image's boot partition, so a root switched by
// gokrazy's updater takes effect at the next boot. QEMU runs with
// -no-reboot, and a reboot of the guest starts a new QEMU on the same disk.
type QEMU struct {
	Image string
	// Forward maps host ports (on 127.0.0.1) to guest TCP ports. The
	// guest reaches nothing else: user networking with restrict=on.
	Forward map[int]int
	// WAV receives what the appliance plays to its headset, an emulated
	// USB sound card (kernel.rpi has the USB audio class driver).
	WAV    string
	Memory string    // default 1024 (MiB)
	Serial io.Writer // the serial console; nil: discarded
	// Boots, if not nil, receives the number of each boot as it starts.
	Boots chan<- int
}

// bootFiles extracts the kernel and the command line from the boot
// partition into dir.
func bootFiles(ctx context.Context, img, dir string) (kernel, cmdline string, err error) {
	l, err := readLayout(img)
	if err != nil {
		return "", "", err
	}
	at := fmt.Sprintf("%s@@%d", img, l.BootStart*sectorSize)
	kernel = filepath.Join(dir, "vmlinuz")
	os.Remove(kernel)
	if err := run(ctx, "", nil, "mcopy", "-n", "-i", at, "::/vmlinuz", kernel); err != nil {
		return "", "", err
	}
	path, err := lookTool("mtype")
	if err != nil {
		return "", "", err
	}
	cmd := exec.CommandContext(ctx, path, "-i", at, "::/cmdline.txt")
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	out, err := cmd.Output()
	if err != nil {
		return "", "", fmt.Errorf("mtype cmdline.txt: %w", err)
	}
	return kernel, strings.TrimSpace(string(out)), nil
}

// Args is the QEMU command line for one boot.
func (q *QEMU) Args(kernel, cmdline string) []string {
	mem := q.Memory
	if mem == "" {
		mem = "1024"
	}
	netdev := "user,id=net0,restrict=on"
	for host, guest := range q.Forward {
		netdev += fmt.Sprintf(",hostfwd=tcp:127.0.0.1:%d-:%d", host, guest)
	}
	args := []string{
		"-M", "virt", "-cpu", "cortex-a53", "-smp", "2", "-m", mem,
		"-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
		"-drive", "file=" + q.Image + ",format=raw,if=none,id=disk0",
		"-device", "virtio-blk-pci,drive=disk0",
		"-netdev", netdev,
		// romfile= (empty): no iPXE option ROM, which -kernel boots never use.
		"-device", "virtio-net-pci,netdev=net0,romfile=",
		"-device", "qemu-xhci",
	}
	if q.WAV != "" {
		// 16 kHz mono 16-bit: the rate of the phone's own audio path.
		args = append(args, "-audiodev", "wav,id=snd0,path="+q.WAV+",out.frequency=16000,out.channels=1,out.format=s16",
			"-device", "usb-audio,audiodev=snd0")
	}
	// The virt machine's UART is a PL011: ttyAMA0.
	return append(args, "-kernel", kernel, "-append", cmdline+" console=ttyAMA0")
}

// Run boots the image until ctx ends, booting again whenever the guest
// reboots (or powers off). It returns ctx's error, or QEMU's if QEMU fails.
func (q *QEMU) Run(ctx context.Context) error {
	qemu, err := lookTool("qemu-system-aarch64")
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "padlock-qemu-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	serial := q.Serial
	if serial == nil {
		serial = io.Discard
	}
	for boot := 1; ; boot++ {
		kernel, cmdline, err := bootFiles(ctx, q.Image, dir)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("boot %d: %w", boot, err)
		}
		if q.Boots != nil {
			select {
			case q.Boots <- boot:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		cmd := exec.CommandContext(ctx, qemu, q.Args(kernel, cmdline)...)
		cmd.Stdout, cmd.Stderr = serial, serial
		cmd.Stdin = nil
		err = cmd.Run()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return fmt.Errorf("qemu (boot %d): %w", boot, err)
		}
	}
}

// readLayout reads the boot partition's place from the image's GPT.
func readLayout(img string) (Layout, error) {
	f, err := os.Open(img)
	if err != nil {
		return Layout{}, err
	}
	defer f.Close()
	return ReadPartitionTable(f)
}
