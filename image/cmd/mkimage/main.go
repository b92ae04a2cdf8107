// Command mkimage writes the gokrazy disk image of a Padlock phone:
//
//	go run ./image/cmd/mkimage -o padlock.img          # Raspberry Pi (GPIO board)
//	go run ./image/cmd/mkimage -o padlock.img -qemu    # QEMU -M virt (simulated board)
//
// Flash the first with e.g. `dd if=padlock.img of=/dev/sdX bs=4M conv=fsync`;
// boot the second with `make qemu`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/padlock-phone/padlock/image"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fl := flag.NewFlagSet("mkimage", flag.ContinueOnError)
	out := fl.String("o", "padlock.img", "image file to write")
	qemu := fl.Bool("qemu", false, "for QEMU -M virt: the simulated board, and silence as the microphone")
	board := fl.String("board", "gpio", "the appliance's -board: gpio (Raspberry Pi) or sim")
	audio := fl.String("audio", "malgo", "the appliance's -audio: malgo (the USB headset) or null")
	hostname := fl.String("hostname", "padlock", "the device's hostname (also gives the partition GUIDs)")
	size := fl.Int64("size", image.DefaultSize, "disk size in bytes")
	pwFile := fl.String("password-file", image.DefaultPasswordFile(), "file with the password of gokrazy's update interface (made if missing)")
	cache := fl.String("cache", image.DefaultCacheDir(), "directory for the arm64 Debian packages")
	if err := fl.Parse(args); err != nil {
		return err
	}
	pw, made, err := image.Password(*pwFile)
	if err != nil {
		return err
	}
	if made {
		fmt.Printf("made a new update password in %s\n", *pwFile)
	}
	mod, err := image.ModuleRoot()
	if err != nil {
		return err
	}
	epoch, err := image.EpochFromEnv()
	if err != nil {
		return fmt.Errorf("SOURCE_DATE_EPOCH: %w", err)
	}
	res, err := image.Build(ctx, image.Config{
		Out: *out, ModuleDir: mod, CacheDir: *cache, Hostname: *hostname,
		Board: *board, QEMU: *qemu, Audio: *audio, Password: pw, Size: *size, Epoch: epoch, Log: os.Stdout,
	})
	if err != nil {
		return err
	}
	fmt.Printf("image %s: %d bytes, boot files %.1f MiB, root %.1f MiB, built in %s\n",
		*out, res.Size, float64(res.BootUsed)/(1<<20), float64(res.RootSize)/(1<<20), res.Took.Round(100e6))
	fmt.Printf("packages: %s\n", strings.Join(res.Debs, " "))
	return nil
}
