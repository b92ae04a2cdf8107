package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// syncBuffer is a log sink the appliance's goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startAppliance runs the appliance in this process on a free loopback
// port with the simulated board, and stops it when the test ends.
func startAppliance(t *testing.T) (base string, stop func() error, logs *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	logs = &syncBuffer{}
	args := []string{"-data", t.TempDir(), "-board", "sim", "-audio", "null", "-http", "127.0.0.1:0", "-log", "debug"}
	go func() { errc <- run(ctx, args, logs, ready) }()
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-errc:
		cancel()
		t.Fatalf("appliance did not start: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("appliance did not start in 30 s")
	}
	var once sync.Once
	var stopErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-errc:
			case <-time.After(10 * time.Second):
				t.Errorf("appliance did not stop within 10 s")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { stop() })
	return base, stop, logs
}

func getState(t *testing.T, base string) map[string]any {
	t.Helper()
	resp, err := http.Get(base + "/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func waitState(t *testing.T, base, key, want string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v := getState(t, base)
		if v[key] == want {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %s (state %v)", key, v[key], want, v)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func post(t *testing.T, base, path string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Requested-With", "fetch")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestStartStopNoLeak: the whole appliance starts, answers, and stops with
// every goroutine gone (an open event stream included).
func TestStartStopNoLeak(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	base, stop, logs := startAppliance(t)
	resp, err := http.Get(base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if n, _ := resp.Body.Read(buf); !strings.HasPrefix(string(buf[:n]), "event: state") {
		t.Fatalf("event stream starts with %q", buf[:n])
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	if !strings.Contains(logs.String(), "stopped") {
		t.Errorf("no clean stop in the log:\n%s", logs)
	}
}

// TestButtonsThroughSimulatedPins drives the whole path: panel POST ->
// simulated pin edges -> debounce -> phone -> lamps -> simulated pins.
func TestButtonsThroughSimulatedPins(t *testing.T) {
	base, _, logs := startAppliance(t)
	if r := post(t, base, "/call/dial", url.Values{"target": {"ringback"}}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("dial: %s", r.Status)
	}
	v := waitState(t, base, "status", "ringing-in")
	if lamps := v["lamps"].(map[string]any); lamps["status"] != "fast" {
		t.Errorf("STATUS lamp while ringing: %v", lamps)
	}
	post(t, base, "/panel/press", url.Values{"button": {"answer"}})
	v = waitState(t, base, "status", "active")
	if v["security"] != "local" {
		t.Errorf("security of a test call: %v", v["security"])
	}
	if lamps := v["lamps"].(map[string]any); lamps["status"] != "off" || lamps["alert"] != "off" {
		t.Errorf("lamps in a local call: %v", lamps)
	}
	post(t, base, "/panel/press", url.Values{"button": {"hangup"}, "hold_ms": {"1200"}})
	v = waitState(t, base, "status", "ended")
	if v["reason"] != "you hung up" {
		t.Errorf("reason %v", v["reason"])
	}
	// ANSWER when idle redials the last number.
	post(t, base, "/panel/press", url.Values{"button": {"answer"}})
	waitState(t, base, "status", "ringing-out")
	if strings.Contains(logs.String(), "ringback") {
		t.Errorf("the dialled number reached the log:\n%s", logs)
	}
}

func TestRefusesBadInput(t *testing.T) {
	base, _, _ := startAppliance(t)
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
	}
	for _, tt := range tests {
		if r := post(t, base, tt.path, tt.form); r.StatusCode != tt.want {
			t.Errorf("%s %v: %s, want %d", tt.path, tt.form, r.Status, tt.want)
		}
	}
	// A page on another site cannot press buttons.
	req, _ := http.NewRequest("POST", base+"/panel/press", strings.NewReader("button=answer"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site press: %s", resp.Status)
	}
	resp, err = http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
}

func TestFlags(t *testing.T) {
	var out bytes.Buffer
	for _, args := range [][]string{
		{"-board", "abacus"},
		{"-audio", "trumpet"},
		{"-audio", "malgo"},
		{"extra"},
	} {
		if _, err := parseFlags(args, &out); err == nil {
			t.Errorf("%v accepted", args)
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
		logs := &syncBuffer{}
		cmd := exec.Command(bin, "-data", t.TempDir(), "-board", "sim", "-http", "127.0.0.1:0")
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
