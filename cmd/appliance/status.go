package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/padlock-phone/padlock/media/audio"
)

// buildInfo is the status page's firmware line: the image's build stamp
// (gokrazyinit passes it in PADLOCK_BUILD; a host build has none), the
// module version and the Go release.
func buildInfo() string {
	stamp := os.Getenv("PADLOCK_BUILD")
	if stamp == "" {
		stamp = "host build (not an image)"
	}
	version := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		version = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				version += " " + s.Value[:12]
			}
		}
	}
	return fmt.Sprintf("%s · padlock %s · %s", stamp, version, runtime.Version())
}

// headsetStatus says which sound device the calls use: for the USB headset
// (malgo) the cards ALSA sees now, or "not plugged in"; for the test
// devices their name.
func headsetStatus(dev audio.Device) func() string {
	m, ok := dev.(*audio.Malgo)
	if !ok {
		return func() string { return dev.Name() + " (no headset: a test device)" }
	}
	return func() string {
		capture, playback, err := m.Devices()
		if err != nil {
			return "cannot list the sound devices: " + err.Error()
		}
		if len(playback) == 0 {
			return "not plugged in"
		}
		return fmt.Sprintf("%s · playback: %s · capture: %s", m.Name(), strings.Join(playback, ", "), orNone(capture))
	}
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
