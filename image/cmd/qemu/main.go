// Command qemu boots a Padlock image under qemu-system-aarch64 -M virt with
// the web admin forwarded to the host:
//
//	go run ./image/cmd/qemu -img padlock.img     # then open https://127.0.0.1:8443/
//
// The serial console is printed; the emulated USB headset's playback goes to
// the -wav file. Stop it with Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/padlock-phone/padlock/image"
)

func main() {
	img := flag.String("img", "padlock.img", "the image (from mkimage -qemu); it is booted read-write")
	https := flag.Int("https", 8443, "host port forwarded to the web admin (guest 443)")
	gokrazy := flag.Int("gokrazy", 8080, "host port forwarded to gokrazy's interface and update endpoints (guest 8080)")
	wav := flag.String("wav", "headset.wav", "file receiving the emulated USB headset's playback")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	boots := make(chan int)
	go func() {
		for n := range boots {
			fmt.Fprintf(os.Stderr, "qemu: boot %d; web admin https://127.0.0.1:%d/, gokrazy http://127.0.0.1:%d/\n", n, *https, *gokrazy)
		}
	}()
	q := &image.QEMU{
		Image:   *img,
		Forward: map[int]int{*https: 443, *gokrazy: 8080},
		WAV:     *wav,
		Serial:  os.Stdout,
		Boots:   boots,
	}
	if err := q.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "qemu:", err)
		os.Exit(1)
	}
}
