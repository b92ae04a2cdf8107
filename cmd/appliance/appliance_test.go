package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/internal/testkit/output"
	"go.uber.org/goleak"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/internal/testkit/admin"
	"github.com/padlock-phone/padlock/internal/testkit/tone"
	"github.com/padlock-phone/padlock/media/audio"
)

func init() { vaultParams = vault.TestParams } // fast unlocks in tests

// app is one appliance running in this process for a test.
type app struct {
	base   string // https://127.0.0.1:port
	plain  string // http://127.0.0.1:port (redirects only)
	data   string
	admin  *admin.Client // the web admin session
	client *http.Client  // admin's: trusts the device certificate, keeps cookies
	logs   *output.Buffer
	audio  string // -audio; null when empty
	sip    string // -sip; 127.0.0.1:0 when empty
	stop   func() error
}

// startAppliance runs the appliance in this process on free loopback
// ports with the simulated board, and stops it when the test ends.
func startAppliance(t *testing.T) *app {
	t.Helper()
	a := &app{data: t.TempDir(), logs: &output.Buffer{}}
	return a.start(t)
}

func (a *app) start(t *testing.T) *app {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	spec := a.audio
	if spec == "" {
		spec = "null"
	}
	sipAddr := a.sip
	if sipAddr == "" {
		sipAddr = "127.0.0.1:0"
	}
	args := []string{"-data", a.data, "-board", "sim", "-audio", spec, "-http", "127.0.0.1:0", "-https", "127.0.0.1:0", "-sip", sipAddr, "-log", "debug"}
	go func() { errc <- run(ctx, args, a.logs, ready) }()
	select {
	case addr := <-ready:
		a.base = "https://" + addr
	case err := <-errc:
		cancel()
		t.Fatalf("appliance did not start: %v\n%s", err, a.logs)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("appliance did not start in 30 s")
	}
	if m := regexp.MustCompile(`redirect=(http://\S+)`).FindStringSubmatch(a.logs.String()); m != nil {
		a.plain = m[1]
	}
	pem, err := os.ReadFile(filepath.Join(a.data, "webadmin-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	a.admin = admin.New(a.base, pem)
	a.admin.Logs = a.logs.String
	a.client = a.admin.HTTP
	var once sync.Once
	var stopErr error
	a.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-errc:
			case <-time.After(10 * time.Second):
				t.Errorf("appliance did not stop within 10 s")
			}
			a.client.CloseIdleConnections()
		})
		return stopErr
	}
	t.Cleanup(func() { a.stop() })
	return a
}

const testPassword = "correct pony staple battery"

// do sends a request the way the web admin's own script does.
func (a *app) do(t *testing.T, method, path string, form url.Values, csrf string) (*http.Response, string) {
	t.Helper()
	return a.admin.Do(t, method, path, form, csrf)
}

// setUp sets the master password on a fresh appliance and returns the
// session's CSRF token.
func (a *app) setUp(t *testing.T) string {
	t.Helper()
	return a.admin.SetUp(t, testPassword)
}

func (a *app) csrf(t *testing.T) string {
	t.Helper()
	return a.admin.CSRF(t)
}

func (a *app) state(t *testing.T) map[string]any {
	t.Helper()
	return a.admin.State(t)
}

func (a *app) waitState(t *testing.T, key, want string) map[string]any {
	t.Helper()
	return a.admin.WaitState(t, key, want)
}

// addSIPAccount adds alice's account with the registrar at addr
// (127.0.0.1:port) and waits until it is registered.
func (a *app) addSIPAccount(t *testing.T, csrf, addr string) {
	t.Helper()
	_, port, _ := strings.Cut(addr, ":")
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("registrar address %q: %v", addr, err)
	}
	a.admin.AddRegisteredSIPAccount(t, csrf, admin.SIPAccount{User: "alice", Password: "alice-pw", Server: "127.0.0.1", Port: n})
}

// TestStartStopNoLeak: the whole appliance starts, answers, and stops with
// every goroutine gone (an open event stream included).
func TestStartStopNoLeak(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	a := startAppliance(t)
	a.setUp(t)
	resp, err := a.client.Get(a.base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if n, _ := resp.Body.Read(buf); !strings.HasPrefix(string(buf[:n]), "event: state") {
		t.Fatalf("event stream starts with %q", buf[:n])
	}
	if err := a.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	resp.Body.Close()
	if !strings.Contains(a.logs.String(), "stopped") {
		t.Errorf("no clean stop in the log:\n%s", a.logs)
	}
}

// TestButtonsThroughSimulatedPins drives the whole path: panel POST ->
// simulated pin edges -> debounce -> phone -> lamps -> simulated pins.
func TestButtonsThroughSimulatedPins(t *testing.T) {
	a := startAppliance(t)
	if v := a.stateAfterLogin(t); v["lamps"].(map[string]any)["alert"] != "off" {
		t.Errorf("ALERT lamp after setup: %v", v["lamps"])
	}
	csrf := a.csrf(t)
	if r, _ := a.do(t, "POST", "/call/dial", url.Values{"target": {"ringback"}}, csrf); r.StatusCode != http.StatusNoContent {
		t.Fatalf("dial: %s", r.Status)
	}
	v := a.waitState(t, "status", "ringing-in")
	if lamps := v["lamps"].(map[string]any); lamps["status"] != "fast" {
		t.Errorf("STATUS lamp while ringing: %v", lamps)
	}
	a.do(t, "POST", "/panel/press", url.Values{"button": {"answer"}}, csrf)
	v = a.waitState(t, "status", "active")
	if v["security"] != "local" {
		t.Errorf("security of a test call: %v", v["security"])
	}
	if lamps := v["lamps"].(map[string]any); lamps["status"] != "off" || lamps["alert"] != "off" {
		t.Errorf("lamps in a local call: %v", lamps)
	}
	a.do(t, "POST", "/panel/press", url.Values{"button": {"hangup"}, "hold_ms": {"1200"}}, csrf)
	v = a.waitState(t, "status", "ended")
	if v["reason"] != "you hung up" {
		t.Errorf("reason %v", v["reason"])
	}
	// ANSWER when idle redials the last number.
	a.do(t, "POST", "/panel/press", url.Values{"button": {"answer"}}, csrf)
	a.waitState(t, "status", "ringing-out")
	if strings.Contains(a.logs.String(), "ringback") {
		t.Errorf("the dialled number reached the log:\n%s", a.logs)
	}
}

// stateAfterLogin sets up the vault and checks the ALERT lamp stopped
// blinking (it blinks while the vault is locked).
func (a *app) stateAfterLogin(t *testing.T) map[string]any {
	t.Helper()
	a.setUp(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		v := a.state(t)
		if v["vaultLocked"] == false || time.Now().After(deadline) {
			return v
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRefusesBadInput(t *testing.T) {
	a := startAppliance(t)
	csrf := a.setUp(t)
	tests := []struct {
		path string
		form url.Values
		want int
	}{
		{"/call/dial", url.Values{"target": {""}}, http.StatusBadRequest},
		{"/call/dial", url.Values{"target": {"a\r\nb"}}, http.StatusBadRequest},
		{"/panel/press", url.Values{"button": {"self-destruct"}}, http.StatusBadRequest},
		{"/panel/press", url.Values{"button": {"sas"}, "hold_ms": {"-5"}}, http.StatusBadRequest},
		{"/call/teleport", nil, http.StatusNotFound},
		{"/call/dtmf", url.Values{"digits": {"12x"}}, http.StatusBadRequest},
		{"/call/dtmf", url.Values{"digits": {""}}, http.StatusBadRequest},
		{"/call/dtmf", url.Values{"digits": {"12#"}}, http.StatusNoContent},
	}
	for _, tt := range tests {
		if r, _ := a.do(t, "POST", tt.path, tt.form, csrf); r.StatusCode != tt.want {
			t.Errorf("%s %v: %s, want %d", tt.path, tt.form, r.Status, tt.want)
		}
	}
	// Without the CSRF token, no button is pressed.
	if r, _ := a.do(t, "POST", "/panel/press", url.Values{"button": {"answer"}}, ""); r.StatusCode != http.StatusForbidden {
		t.Errorf("press without CSRF token: %s", r.Status)
	}
	resp, _ := a.do(t, "GET", "/", nil, "")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	// Plain HTTP only redirects to HTTPS.
	if a.plain == "" {
		t.Fatal("no redirect listener in the log")
	}
	plain, err := a.client.Get(a.plain + "/accounts?x=1")
	if err != nil {
		t.Fatal(err)
	}
	plain.Body.Close()
	if loc := plain.Header.Get("Location"); plain.StatusCode != http.StatusMovedPermanently || !strings.HasPrefix(loc, a.base+"/accounts?x=1") {
		t.Errorf("plain HTTP: %s -> %q, want a redirect to %s", plain.Status, loc, a.base)
	}
}

func TestFlags(t *testing.T) {
	var out bytes.Buffer
	for _, args := range [][]string{
		{"-board", "abacus"},
		{"extra"},
	} {
		if _, err := parseFlags(args, &out); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, spec := range []string{"trumpet", "file:", "null:x"} {
		err := run(ctx, []string{"-data", t.TempDir(), "-board", "sim", "-audio", spec}, &out, nil)
		if err == nil || !strings.Contains(err.Error(), "-audio") {
			t.Errorf("-audio %q: %v", spec, err)
		}
	}
	c, err := parseFlags([]string{"-board", "sim", "-pin-sas", "GPIO23"}, &out)
	if err != nil || c.pins.SAS != "GPIO23" || c.pins.Answer != "GPIO17" {
		t.Errorf("pins %+v, %v", c.pins, err)
	}
}

// TestSIGTERM builds the real binary and checks it exits 0 on SIGTERM.
func TestSIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "appliance")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		logs := &output.Buffer{}
		cmd := exec.Command(bin, "-data", t.TempDir(), "-board", "sim", "-audio", "null", "-http", "127.0.0.1:0", "-https", "127.0.0.1:0")
		cmd.Stderr = logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(logs.String(), "padlock running") {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("no start:\n%s", logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%v: exit %v\n%s", sig, err, logs)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v: still running after 10 s", sig)
		}
		if !strings.Contains(logs.String(), "stopped") {
			t.Errorf("%v: no clean stop:\n%s", sig, logs)
		}
	}
}

// TestRingToneInTheHeadset: an incoming call rings in the headset (the
// file audio device's out.wav), and answering stops it.
func TestRingToneInTheHeadset(t *testing.T) {
	ear := t.TempDir()
	a := &app{data: t.TempDir(), logs: &output.Buffer{}, audio: "file:" + ear}
	a.start(t)
	csrf := a.setUp(t)
	a.do(t, "POST", "/call/dial", url.Values{"target": {"ringback"}}, csrf)
	a.waitState(t, "status", "ringing-in")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if st, err := os.Stat(filepath.Join(ear, "out.wav")); err == nil && st.Size() > 2*16000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no ring tone played")
		}
		time.Sleep(20 * time.Millisecond)
	}
	a.do(t, "POST", "/panel/press", url.Values{"button": {"answer"}}, csrf)
	a.waitState(t, "status", "active")
	// out.wav's header holds the real size only once the stream closed,
	// which it does when the ring stopped (media/audio's file device).
	var pcm []int16
	for deadline = time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, err := os.ReadFile(filepath.Join(ear, "out.wav"))
		if err == nil && len(b) > 44 && !bytes.Equal(b[4:8], []byte{0xff, 0xff, 0xff, 0xff}) {
			if pcm, _, err = audio.ParseWAV(b); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the ring did not stop after answering")
		}
	}
	// The ring is 440+480 Hz: both must be strong in the first 0.4 s burst.
	burst := pcm[:6400]
	for _, f := range []float64{440, 480} {
		if l := tone.Level(burst, 16000, f); l < 0.03 {
			t.Errorf("%v Hz in the ring tone at level %.3f", f, l)
		}
	}
}
