// Command guest is /init of the initramfs the QEMU rig boots: under a real
// Debian arm64 kernel it loads configfs and gpio-sim, makes a simulated GPIO
// chip whose lines carry the phone's BCM names, opens the phone's real board
// code (hw/gpio, periph.io on the GPIO character device) on it, and then
// acts as the rig's agent on the serial console: it pulls button lines
// down and up from outside (gpio-sim's sysfs pull), reports the presses
// hw/gpio decodes, sets lamp patterns, and reports the lamp lines' levels
// over a window, timestamped, as the blinker drives them.
//
// Commands, one per line on the console; answers start with "rig ":
//
//	press BUTTON MS      hold a button down for MS ms    -> rig held BUTTON MSms, and
//	                                                        rig pressed BUTTON long|short (async)
//	lamp LAMP PATTERN    set a lamp's pattern            -> rig ok
//	watch MS             sample every lamp for MS ms     -> rig edges LAMP INITIAL t:level ...
//	brain                start the phone's brain on the board, locked, with
//	                     the test lines; from then on it owns the lamps
//	unlock               the master password was entered -> rig ok
//	dial TARGET          dial from the web admin         -> rig ok
//	state                                                -> rig state STATUS SECURITY
//	off                  power off
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/padlock-phone/padlock/hw"
	hwgpio "github.com/padlock-phone/padlock/hw/gpio"
	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/protocols/testline"
)

func main() {
	if err := run(); err != nil {
		fmt.Printf("rig error %v\n", err)
	}
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
}

var out sync.Mutex

func say(format string, args ...any) {
	out.Lock()
	defer out.Unlock()
	fmt.Printf("rig "+format+"\n", args...)
}

func run() error {
	for _, m := range []struct{ src, dst, fs string }{{"proc", "/proc", "proc"}, {"sysfs", "/sys", "sysfs"}, {"devtmpfs", "/dev", "devtmpfs"}} {
		os.MkdirAll(m.dst, 0o755)
		if err := syscall.Mount(m.src, m.dst, m.fs, 0, ""); err != nil {
			return fmt.Errorf("mount %s: %w", m.dst, err)
		}
	}
	for _, ko := range []string{"/lib/configfs.ko", "/lib/gpio-sim.ko"} {
		if err := loadModule(ko); err != nil {
			return err
		}
	}
	if err := syscall.Mount("configfs", "/sys/kernel/config", "configfs", 0, ""); err != nil {
		return fmt.Errorf("mount configfs: %w", err)
	}
	pins := hw.DefaultPins()
	lines, err := makeChip()
	if err != nil {
		return err
	}
	board, err := hwgpio.Open(pins)
	if err != nil {
		return err
	}
	defer board.Close()
	say("ready %d lines", len(lines))
	// Every press is reported; once the brain runs it gets them too.
	toBrain := make(chan hw.Press, 16)
	var brainOn atomic.Bool
	go func() {
		for p := range board.Presses() {
			kind := "short"
			if p.Long {
				kind = "long"
			}
			say("pressed %s %s", p.Button, kind)
			if brainOn.Load() {
				toBrain <- p
			}
		}
	}()
	var brain *phone.Phone
	buttons := map[string]string{"answer": pins.Answer, "hangup": pins.Hangup, "sas": pins.SAS}
	lamps := map[string]string{"lock": pins.Lock, "alert": pins.Alert, "status": pins.Status}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 3 && f[0] == "press":
			ms, _ := strconv.Atoi(f[2])
			dir, ok := lines[buttons[f[1]]]
			if !ok {
				say("error no button %q", f[1])
				continue
			}
			// Pull the line down for the hold, then up again: from outside,
			// as a finger on a switch to GND would.
			// The hold as the guest's clock saw it is reported too, so a
			// press the board missed shows whether the emulator stalled.
			go func() {
				os.WriteFile(filepath.Join(dir, "pull"), []byte("pull-down"), 0)
				down := time.Now()
				time.Sleep(time.Duration(ms) * time.Millisecond)
				os.WriteFile(filepath.Join(dir, "pull"), []byte("pull-up"), 0)
				say("held %s %dms", f[1], time.Since(down).Milliseconds())
			}()
		case len(f) == 3 && f[0] == "lamp":
			l, lok := lampNamed(f[1])
			p, pok := patternNamed(f[2])
			if !lok || !pok {
				say("error lamp %q pattern %q", f[1], f[2])
				continue
			}
			board.SetLamp(l, p)
			say("ok")
		case len(f) == 2 && f[0] == "watch":
			ms, _ := strconv.Atoi(f[1])
			watch(lines, lamps, time.Duration(ms)*time.Millisecond)
		case len(f) == 1 && f[0] == "brain" && brain == nil:
			brain = phone.New(phone.Config{
				Board:     brainBoard{board, toBrain},
				Telephony: testline.New(testline.DefaultTiming),
				Voice:     voice{},
				Initial:   phone.State{VaultLocked: true},
			})
			go brain.Run(context.Background())
			brainOn.Store(true)
			say("ok")
		case len(f) == 1 && f[0] == "unlock" && brain != nil:
			brain.Post(context.Background(), phone.VaultLocked{Locked: false})
			say("ok")
		case len(f) == 2 && f[0] == "dial" && brain != nil:
			brain.Post(context.Background(), phone.Dial{Target: f[1]})
			say("ok")
		case len(f) == 1 && f[0] == "state" && brain != nil:
			st := brain.State()
			c := st.Current()
			say("state %v %v", c.Status, c.Security)
		case len(f) == 1 && f[0] == "off":
			return nil
		case len(f) > 0:
			say("error unknown command %q", sc.Text())
		}
	}
	return sc.Err()
}

// sampleEvery is the lamps' sampling period: a fifth of rig.Tolerance of
// the fastest blink, and light enough for an emulated CPU.
const sampleEvery = 5 * time.Millisecond

// watch samples every lamp line's value every sampleEvery for d and
// reports each line's level at the start and its changes, in µs since.
func watch(lines map[string]string, lamps map[string]string, d time.Duration) {
	type state struct {
		f          *os.File
		last, init byte
		edges      []string
	}
	st := map[string]*state{}
	buf := make([]byte, 8)
	read := func(s *state) byte {
		// A sysfs attribute is formatted afresh on every read at offset 0.
		if n, _ := s.f.ReadAt(buf, 0); n > 0 {
			return buf[0]
		}
		return '?'
	}
	for n := range lamps {
		f, err := os.Open(filepath.Join(lines[lamps[n]], "value"))
		if err != nil {
			say("error %v", err)
			return
		}
		defer f.Close()
		st[n] = &state{f: f}
	}
	start := time.Now()
	for _, s := range st {
		s.init = read(s)
		s.last = s.init
	}
	tick := time.NewTicker(sampleEvery)
	defer tick.Stop()
	for time.Since(start) < d {
		<-tick.C
		for _, s := range st {
			if v := read(s); v != s.last {
				s.edges = append(s.edges, fmt.Sprintf("%d:%c", time.Since(start).Microseconds(), v))
				s.last = v
			}
		}
	}
	for n, s := range st {
		say("edges %s %c %s", n, s.init, strings.Join(s.edges, " "))
	}
	say("watched")
}

func lampNamed(s string) (hw.Lamp, bool) {
	for _, l := range hw.Lamps {
		if l.String() == s {
			return l, true
		}
	}
	return 0, false
}

func patternNamed(s string) (hw.Pattern, bool) {
	for _, p := range []hw.Pattern{hw.Off, hw.On, hw.Blink, hw.FastBlink, hw.SlowBlink} {
		if p.String() == s {
			return p, true
		}
	}
	return 0, false
}

func loadModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.FinitModule(int(f.Fd()), "", 0); err != nil && err != unix.EEXIST {
		return fmt.Errorf("loading %s: %w", path, err)
	}
	return nil
}

// makeChip makes a gpio-sim chip of 28 lines named like a Raspberry Pi's
// (GPIO0 … GPIO27) and returns each name's sysfs directory.
func makeChip() (map[string]string, error) {
	const cfg = "/sys/kernel/config/gpio-sim/padlock"
	bank := filepath.Join(cfg, "bank0")
	if err := os.MkdirAll(bank, 0o755); err != nil {
		return nil, err
	}
	write := func(p, v string) error { return os.WriteFile(p, []byte(v), 0) }
	if err := write(filepath.Join(bank, "num_lines"), "28"); err != nil {
		return nil, err
	}
	write(filepath.Join(bank, "label"), "padlock-sim")
	for i := range 28 {
		line := filepath.Join(bank, fmt.Sprintf("line%d", i))
		if err := os.Mkdir(line, 0o755); err != nil {
			return nil, err
		}
		if err := write(filepath.Join(line, "name"), fmt.Sprintf("GPIO%d", i)); err != nil {
			return nil, err
		}
	}
	if err := write(filepath.Join(cfg, "live"), "1"); err != nil {
		return nil, fmt.Errorf("gpio-sim live: %w", err)
	}
	dev, _ := os.ReadFile(filepath.Join(cfg, "dev_name"))
	chip, _ := os.ReadFile(filepath.Join(bank, "chip_name"))
	base := filepath.Join("/sys/devices/platform", strings.TrimSpace(string(dev)), strings.TrimSpace(string(chip)))
	lines := map[string]string{}
	for i := range 28 {
		lines[fmt.Sprintf("GPIO%d", i)] = filepath.Join(base, fmt.Sprintf("sim_gpio%d", i))
	}
	return lines, nil
}

// brainBoard is the board as the brain sees it: presses through the
// reporting goroutine, lamps straight to hw/gpio.
type brainBoard struct {
	*hwgpio.Board
	presses chan hw.Press
}

func (b brainBoard) Presses() <-chan hw.Press { return b.presses }

// voice is the brain's voice in a guest without sound: it says what it
// would have said.
type voice struct{}

func (voice) Ring(on bool, _ string)        { say("voice ring %v", on) }
func (voice) Waiting(on bool)               { say("voice waiting %v", on) }
func (voice) SaySAS(int, string)            { say("voice sas") }
func (voice) Announce(a phone.Announcement) { say("voice announce %d", a) }
func (voice) SayFavourite(phone.Favourite)  { say("voice favourite") }
