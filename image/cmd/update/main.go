// Command update builds a new root file system and pushes it to a running
// Padlock phone through gokrazy's update endpoints, then reboots it into
// the new root:
//
//	go run ./image/cmd/update -host 192.168.1.20:8080
//
// The phone must have been flashed with an image built with the same update
// password (-password-file, as for mkimage).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/padlock-phone/padlock/image"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "update:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fl := flag.NewFlagSet("update", flag.ContinueOnError)
	host := fl.String("host", "", "gokrazy's interface on the phone: host:port (port 8080 in Padlock images)")
	root := fl.String("root", "", "a root squashfs to push; empty: build one now")
	qemu := fl.Bool("qemu", false, "build for QEMU (as mkimage -qemu)")
	board := fl.String("board", "gpio", "the appliance's -board: gpio or sim")
	audio := fl.String("audio", "malgo", "the appliance's -audio: malgo (the USB headset) or null")
	hostname := fl.String("hostname", "padlock", "the device's hostname")
	pwFile := fl.String("password-file", image.DefaultPasswordFile(), "file with gokrazy's update password")
	cache := fl.String("cache", image.DefaultCacheDir(), "directory for the arm64 Debian packages")
	noReboot := fl.Bool("no-reboot", false, "switch to the new root but do not reboot")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *host == "" {
		return fmt.Errorf("-host is required (e.g. -host 192.168.1.20:8080)")
	}
	pw, made, err := image.Password(*pwFile)
	if err != nil {
		return err
	}
	if made {
		return fmt.Errorf("no update password in %s: use the file the phone's image was built with", *pwFile)
	}
	if *root == "" {
		mod, err := image.ModuleRoot()
		if err != nil {
			return err
		}
		epoch, err := image.EpochFromEnv()
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH: %w", err)
		}
		dir, err := os.MkdirTemp("", "padlock-update-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		*root = filepath.Join(dir, "root.squashfs")
		if _, err := image.BuildRoot(ctx, image.Config{
			Out: *root, ModuleDir: mod, CacheDir: *cache, Hostname: *hostname,
			Board: *board, QEMU: *qemu, Audio: *audio, Password: pw, Epoch: epoch, Log: os.Stdout,
		}); err != nil {
			return err
		}
	}
	base := *host
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	logf := func(format string, args ...any) { fmt.Printf(format+"\n", args...) }
	if err := image.Update(ctx, nil, base, pw, *root, !*noReboot, logf); err != nil {
		return err
	}
	fmt.Println("updated; the phone boots the new root")
	return nil
}
