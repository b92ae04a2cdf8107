// Package hil runs the hardware-in-the-loop scenario (hw/rig) against real
// appliances: a process of cmd/appliance with the simulated board and the
// file headset (the sim rig), and the image under QEMU (the QEMU rig), each
// called by linphonec through kamailio. Test support: only tests import it.
package hil

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// applianceBinary builds cmd/appliance once per test binary, into a
// directory removed when the process ends (TestMain's cleanup).
func applianceBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "padlock-hil-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(buildDir, "appliance"), "github.com/padlock-phone/padlock/cmd/appliance")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/appliance: %v\n%s", err, out.String())
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "appliance")
}

// RemoveBuild deletes the built appliance; TestMain calls it.
func RemoveBuild() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

// Appliance is one appliance process on loopback: simulated board, file
// headset in Ear, state in Data. It survives Restart with its data.
type Appliance struct {
	Data, Ear   string
	Edges       string // the -sim-lamp-edges file
	Base        string // https://127.0.0.1:port, read from the log
	Fingerprint string // certificate_sha256 from the log

	t    testing.TB
	bin  string
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	log  bytes.Buffer
}

var running = regexp.MustCompile(`msg="padlock running" web=(https://\S+) .*certificate_sha256=(\S+)`)

// StartAppliance builds and starts an appliance with fresh data and ear
// directories; it is stopped when the test ends.
func StartAppliance(t testing.TB) *Appliance {
	t.Helper()
	a := &Appliance{Data: t.TempDir(), Ear: t.TempDir(), t: t, bin: applianceBinary(t)}
	a.Edges = filepath.Join(t.TempDir(), "lamp-edges")
	t.Cleanup(func() {
		a.Stop()
		if t.Failed() {
			t.Logf("appliance log:\n%s", a.Log())
		}
	})
	a.start()
	return a
}

func (a *Appliance) start() {
	a.t.Helper()
	// Every port is the kernel's pick (port 0), read back from the log:
	// none is chosen here and handed over.
	a.cmd = exec.Command(a.bin, "-data", a.Data, "-board", "sim", "-audio", "file:"+a.Ear+",loop",
		"-http", "127.0.0.1:0", "-https", "127.0.0.1:0", "-sip", "127.0.0.1:0", "-log", "debug",
		"-sim-lamp-edges", a.Edges)
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	a.cmd.WaitDelay = 2 * time.Second
	out, err := a.cmd.StderrPipe()
	if err != nil {
		a.t.Fatal(err)
	}
	if err := a.cmd.Start(); err != nil {
		a.t.Fatalf("appliance: %v", err)
	}
	a.done = make(chan struct{})
	ready := make(chan []string, 1)
	go a.read(out, ready)
	select {
	case m := <-ready:
		a.Base, a.Fingerprint = m[1], m[2]
	case <-a.done:
		a.t.Fatalf("appliance exited before it ran:\n%s", a.Log())
	case <-time.After(30 * time.Second):
		a.t.Fatalf("appliance did not log 'padlock running' within 30 s:\n%s", a.Log())
	}
}

func (a *Appliance) read(r io.Reader, ready chan<- []string) {
	defer close(a.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		a.mu.Lock()
		a.log.WriteString(line + "\n")
		a.mu.Unlock()
		if m := running.FindStringSubmatch(line); m != nil && !sent {
			ready <- m
			sent = true
		}
	}
}

// Log is everything the appliance logged so far, every run.
func (a *Appliance) Log() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.log.String()
}

// Stop ends the appliance with SIGTERM (SIGKILL after 10 s).
func (a *Appliance) Stop() {
	if a.cmd == nil {
		return
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(10 * time.Second):
		a.t.Errorf("appliance did not stop within 10 s of SIGTERM")
		syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
	}
	a.cmd.Wait()
	a.cmd = nil
}

// Restart stops the appliance and starts it again on the same data: a
// reboot, after which the vault is locked.
func (a *Appliance) Restart() {
	a.t.Helper()
	a.Stop()
	a.start()
}
