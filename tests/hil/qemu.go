package hil

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/hw"
	"github.com/padlock-phone/padlock/hw/rig"
)

// Guest is the QEMU rig: Debian's arm64 kernel booted under
// qemu-system-aarch64 -M virt with an initramfs whose init (tests/hil/guest)
// makes a gpio-sim chip, runs the phone's hw/gpio board on it through the
// kernel's GPIO character device, and takes the rig's commands on the
// serial console. No disk and no network: the guest reaches nothing.
type Guest struct {
	t     testing.TB
	cmd   *exec.Cmd
	stdin io.WriteCloser

	mu      sync.Mutex
	console []string
	grew    chan struct{}
	done    chan struct{}
}

// BootGuest builds the guest's init, packs the initramfs and boots it; the
// guest is powered off when the test ends.
func BootGuest(t testing.TB) *Guest {
	t.Helper()
	qemu, err := exec.LookPath("qemu-system-aarch64")
	if err != nil {
		t.Fatal("qemu-system-aarch64 not found: apt-get install -y qemu-system-arm (or make deps)")
	}
	kdir := guestKernel(t)
	dir := t.TempDir()
	initBin := filepath.Join(dir, "init")
	build := exec.Command("go", "build", "-o", initBin, "github.com/padlock-phone/padlock/tests/hil/guest")
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the guest's init: %v\n%s", err, out)
	}
	files := []cpioFile{
		{name: "dev", mode: 0o040755},
		{name: "dev/console", mode: 0o020600, major: 5, minor: 1},
		{name: "proc", mode: 0o040755},
		{name: "sys", mode: 0o040755},
		{name: "lib", mode: 0o040755},
	}
	for name, path := range map[string]string{"init": initBin, "lib/configfs.ko": filepath.Join(kdir, "configfs.ko"), "lib/gpio-sim.ko": filepath.Join(kdir, "gpio-sim.ko")} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, cpioFile{name: name, mode: 0o100755, data: b})
	}
	initrd := filepath.Join(dir, "initrd")
	if err := initramfs(initrd, files); err != nil {
		t.Fatal(err)
	}
	g := &Guest{t: t, grew: make(chan struct{}), done: make(chan struct{})}
	g.cmd = exec.Command(qemu, "-M", "virt", "-cpu", "cortex-a53", "-smp", "2", "-m", "512",
		"-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot", "-nic", "none",
		"-kernel", filepath.Join(kdir, "vmlinuz"), "-initrd", initrd,
		"-append", "console=ttyAMA0 panic=-1 quiet loglevel=4")
	g.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	g.cmd.WaitDelay = 2 * time.Second
	if g.stdin, err = g.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := g.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	g.cmd.Stderr = g.cmd.Stdout
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go g.read(out)
	t.Cleanup(func() {
		g.Send("off")
		select {
		case <-g.done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-g.cmd.Process.Pid, syscall.SIGKILL)
		}
		g.cmd.Wait()
		if t.Failed() {
			t.Logf("guest console:\n%s", g.Console())
		}
	})
	if _, err := g.WaitLine(context.Background(), 0, "rig ready", 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	return g
}

func (g *Guest) read(r io.Reader) {
	defer close(g.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		g.mu.Lock()
		g.console = append(g.console, strings.TrimRight(sc.Text(), "\r"))
		close(g.grew)
		g.grew = make(chan struct{})
		g.mu.Unlock()
	}
}

// Send types a command on the guest's console.
func (g *Guest) Send(cmd string) { io.WriteString(g.stdin, cmd+"\n") }

// Mark is a position in the console.
func (g *Guest) Mark() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.console)
}

// Console is everything the guest printed.
func (g *Guest) Console() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return strings.Join(g.console, "\n")
}

// WaitLine waits for a console line after mark that starts with prefix.
func (g *Guest) WaitLine(ctx context.Context, mark int, prefix string, within time.Duration) (string, error) {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		g.mu.Lock()
		for _, l := range g.console[min(mark, len(g.console)):] {
			if strings.HasPrefix(l, prefix) {
				g.mu.Unlock()
				return l, nil
			}
			if strings.HasPrefix(l, "rig error") {
				g.mu.Unlock()
				return "", fmt.Errorf("guest: %s", l)
			}
		}
		grew := g.grew
		g.mu.Unlock()
		select {
		case <-grew:
		case <-g.done:
			return "", fmt.Errorf("the guest stopped before printing %q", prefix)
		case <-deadline.C:
			return "", fmt.Errorf("the guest did not print %q within %v", prefix, within)
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// Press holds a button of the guest's gpio-sim chip down for hold.
func (g *Guest) Press(b hw.Button, hold time.Duration) {
	g.Send(fmt.Sprintf("press %s %d", b, hold.Milliseconds()))
}

// SetLamp sets a lamp's pattern on the guest's hw/gpio board.
func (g *Guest) SetLamp(ctx context.Context, l hw.Lamp, p hw.Pattern) error {
	mark := g.Mark()
	g.Send(fmt.Sprintf("lamp %s %s", l, p))
	_, err := g.WaitLine(ctx, mark, "rig ok", 30*time.Second)
	return err
}

// Lamps reads every lamp line over window, as the guest sampled the lines'
// values (gpio-sim's sysfs, every 5 ms of guest time), and
// classifies each with rig.ClassifyWithin(rig.EmulatedTolerance).
func (g *Guest) Lamps(ctx context.Context, window time.Duration) (map[hw.Lamp]rig.Reading, error) {
	mark := g.Mark()
	g.Send(fmt.Sprintf("watch %d", window.Milliseconds()))
	if _, err := g.WaitLine(ctx, mark, "rig watched", window+time.Minute); err != nil {
		return nil, err
	}
	g.mu.Lock()
	lines := append([]string(nil), g.console[mark:]...)
	g.mu.Unlock()
	out := map[hw.Lamp]rig.Reading{}
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "rig" || f[1] != "edges" {
			continue
		}
		var lamp hw.Lamp
		ok := false
		for _, l := range hw.Lamps {
			if l.String() == f[2] {
				lamp, ok = l, true
			}
		}
		if !ok {
			return nil, fmt.Errorf("guest: edges of unknown lamp in %q", line)
		}
		var edges []rig.Edge
		for _, e := range f[4:] {
			at, lv, _ := strings.Cut(e, ":")
			us, err := strconv.ParseInt(at, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("guest: bad edge %q", e)
			}
			edges = append(edges, rig.Edge{At: time.Duration(us) * time.Microsecond, High: lv == "1"})
		}
		r, err := rig.ClassifyWithin(f[3] == "1", edges, window, rig.EmulatedTolerance)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", lamp, err)
		}
		out[lamp] = r
	}
	if len(out) != len(hw.Lamps) {
		return nil, fmt.Errorf("guest reported %d lamps, want %d", len(out), len(hw.Lamps))
	}
	return out, nil
}

// errNoHeadset is the QEMU rig's answer to audio: its guest has no sound.
var errNoHeadset = errors.New("the QEMU rig has no headset (its guest runs no sound card)")

// QEMURig is rig.Rig over a Guest running the brain ("brain"), with
// Control and a ringback Far beside it, for rig.Scenario.RunPanel.
type QEMURig struct{ G *Guest }

var (
	_ rig.Rig     = QEMURig{}
	_ rig.Control = QEMURig{}
	_ rig.Far     = QEMURig{}
)

// Start starts the guest's brain.
func (q QEMURig) Start(ctx context.Context) error { return q.ok(ctx, "brain") }

func (q QEMURig) ok(ctx context.Context, cmd string) error {
	mark := q.G.Mark()
	q.G.Send(cmd)
	_, err := q.G.WaitLine(ctx, mark, "rig ok", 30*time.Second)
	return err
}

// Press implements rig.Rig; it returns when the hold is over.
func (q QEMURig) Press(ctx context.Context, b hw.Button, hold time.Duration) error {
	q.G.Press(b, hold)
	select {
	case <-time.After(hold):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Lamps implements rig.Rig.
func (q QEMURig) Lamps(ctx context.Context, window time.Duration) (map[hw.Lamp]rig.Reading, error) {
	return q.G.Lamps(ctx, window)
}

// Say implements rig.Rig: not on this rig.
func (q QEMURig) Say([]int16, int) error { return errNoHeadset }

// Heard implements rig.Rig and rig.Far: not on this rig.
func (q QEMURig) Heard(context.Context) ([]int16, int, error) { return nil, 0, errNoHeadset }

// Login implements rig.Control: the guest has no web admin; the brain is
// told the vault opened, as the keyring tells it after a login.
func (q QEMURig) Login(ctx context.Context, _ string) error { return q.ok(ctx, "unlock") }

// WaitState implements rig.Control from the brain's own state.
func (q QEMURig) WaitState(ctx context.Context, what string, ok func(rig.State) bool) (rig.State, error) {
	var last rig.State
	for {
		mark := q.G.Mark()
		q.G.Send("state")
		l, err := q.G.WaitLine(ctx, mark, "rig state", 30*time.Second)
		if err != nil {
			return last, fmt.Errorf("waiting for %s: %w", what, err)
		}
		if f := strings.Fields(l); len(f) == 4 {
			last = rig.State{Status: f[2], Security: f[3]}
		}
		if ok(last) {
			return last, nil
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("waiting for %s: %w (last state %+v)", what, ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Call implements rig.Far: the phone dials its ringback test line, which
// hangs up and calls the phone back.
func (q QEMURig) Call(ctx context.Context) error { return q.ok(ctx, "dial ringback") }

// SAS implements rig.Far: a test line call is never secured.
func (q QEMURig) SAS(context.Context) (string, error) {
	return "", errors.New("the ringback test line has no ZRTP")
}

// Talk implements rig.Far: not on this rig.
func (q QEMURig) Talk(context.Context) error { return errNoHeadset }

// Ended implements rig.Far: the call is over when the phone is idle again
// (or showing the ended call).
func (q QEMURig) Ended(ctx context.Context, _ bool) error {
	_, err := q.WaitState(ctx, "the call's end", func(s rig.State) bool { return s.Status == "idle" || s.Status == "ended" })
	return err
}
