// Package mcabber runs a real mcabber (the console XMPP client, with
// libotr 4) on loopback for tests: an OTR v3 peer. mcabber needs a
// terminal, so it runs inside a private tmux server; it is driven through
// its command FIFO, and every message it receives is echoed back by its
// events_command (encrypted whenever the OTR session is). Stopped by
// t.Cleanup.
package mcabber

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// InstallHint is what to do when mcabber or tmux is missing.
const InstallHint = "mcabber/tmux not found: install them with `apt-get install -y --no-install-recommends mcabber tmux` (or `make deps`)"

// Config describes the account mcabber logs in to.
type Config struct {
	JID, Password string
	// Addr is the server's client port, 127.0.0.1:port. The server's
	// certificate is not checked (loopback test servers are self-signed).
	Addr string
}

// Client is a running mcabber.
type Client struct {
	JID string
	Dir string

	t    testing.TB
	sock string // the private tmux server's socket name
}

var seq atomic.Int64

// Binaries finds mcabber and tmux or fails the test with the install hint.
func Binaries(t testing.TB) (mcabber, tmux string) {
	t.Helper()
	m, err := exec.LookPath("mcabber")
	if err != nil {
		t.Fatal(InstallHint)
	}
	x, err := exec.LookPath("tmux")
	if err != nil {
		t.Fatal(InstallHint)
	}
	return m, x
}

// echoScript is mcabber's events_command: "MSG IN jid file" -> the body
// is logged to echo.log and sent back as "echo: body" (over OTR if the
// session is private). Protocol messages and echoes are not echoed.
const echoScript = `#!/bin/sh
[ "$1" = MSG ] && [ "$2" = IN ] || exit 0
jid="$3"; file="$4"
[ -n "$file" ] || exit 0
dir=%q
body=$(cat "$file"); rm -f "$file"
printf 'IN %%s: %%s\n' "$jid" "$body" >> "$dir/echo.log"
case "$body" in echo:*|"?OTR"*) exit 0;; esac
printf 'say_to -q %%s echo: %%s\n' "$jid" "$body" > "$dir/mcabber.fifo"
`

// Start runs mcabber logged in to cfg's account and waits until its FIFO
// is open and it is connected.
func Start(t testing.TB, cfg Config) *Client {
	t.Helper()
	mc, tmux := Binaries(t)
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		t.Fatalf("mcabber: server address %q: %v", cfg.Addr, err)
	}
	dir := t.TempDir()
	c := &Client{JID: cfg.JID, Dir: dir, t: t, sock: fmt.Sprintf("padlock-mcabber-%d-%d", os.Getpid(), seq.Add(1))}
	for _, d := range []string{"otr", "events", "histo"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	script := filepath.Join(dir, "echo_event.sh")
	if err := os.WriteFile(script, []byte(fmt.Sprintf(echoScript, dir)), 0o700); err != nil {
		t.Fatal(err)
	}
	rc := strings.Join([]string{
		"set jid = " + cfg.JID,
		"set password = " + cfg.Password,
		"set server = " + host,
		"set port = " + port,
		"set resource = mcabber",
		"set tls = 1",
		"set ssl_ignore_checks = 1",
		"set otr = 1",
		"set otr_dir = " + filepath.Join(dir, "otr") + "/",
		"otrpolicy default opportunistic",
		"set fifo_name = " + filepath.Join(dir, "mcabber.fifo"),
		"set fifo_hide_commands = 0",
		"module load fifo",
		"set events_command = " + script,
		"set event_log_files = 1",
		"set event_log_dir = " + filepath.Join(dir, "events"),
		"set logging = 1",
		"set logging_dir = " + filepath.Join(dir, "histo"),
		"set tracelog_level = 2",
		"set tracelog_file = " + filepath.Join(dir, "mcabber.trace"),
		"set beep_on_message = 0",
		"",
	}, "\n")
	rcPath := filepath.Join(dir, "mcabberrc")
	if err := os.WriteFile(rcPath, []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tmux, "-L", c.sock, "-f", "/dev/null", "new-session", "-d", "-s", "mc", "-x", "200", "-y", "50",
		"env", "HOME="+dir, "TERM=xterm", mc, "-f", rcPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mcabber: tmux: %v\n%s", err, out)
	}
	t.Cleanup(c.stop)
	c.waitFor("mcabber connected", 15*time.Second, func() bool {
		fi, err := os.Stat(filepath.Join(dir, "mcabber.fifo"))
		return err == nil && fi.Mode()&os.ModeNamedPipe != 0 && strings.Contains(c.Trace(), "Connection established.")
	})
	return c
}

func (c *Client) stop() {
	exec.Command("tmux", "-L", c.sock, "kill-server").Run()
}

// Command types one mcabber command (as on its command line, without the
// leading slash) through the FIFO.
func (c *Client) Command(cmd string) {
	c.t.Helper()
	f, err := os.OpenFile(filepath.Join(c.Dir, "mcabber.fifo"), os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		c.t.Fatalf("mcabber: FIFO not open (did mcabber exit?): %v\n%s", err, c.Screen())
	}
	defer f.Close()
	if _, err := f.WriteString(cmd + "\n"); err != nil {
		c.t.Fatalf("mcabber: %s: %v", cmd, err)
	}
}

// Trace is mcabber's trace log so far.
func (c *Client) Trace() string {
	b, _ := os.ReadFile(filepath.Join(c.Dir, "mcabber.trace"))
	return string(b)
}

// Echoed is every message mcabber received, as its events_command saw
// it (decrypted): "IN jid: body" lines.
func (c *Client) Echoed() string {
	b, _ := os.ReadFile(filepath.Join(c.Dir, "echo.log"))
	return string(b)
}

// Screen is what mcabber's terminal shows now (for failure messages).
func (c *Client) Screen() string {
	out, _ := exec.Command("tmux", "-L", c.sock, "capture-pane", "-p", "-t", "mc").CombinedOutput()
	return string(out)
}

// Await waits until ok holds, polling mcabber's files.
func (c *Client) Await(what string, timeout time.Duration, ok func() bool) {
	c.t.Helper()
	c.waitFor(what, timeout, ok)
}

func (c *Client) waitFor(what string, timeout time.Duration, ok func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			c.t.Fatalf("mcabber: timed out waiting for %s\ntrace:\n%s\nscreen:\n%s", what, tail(c.Trace(), 3000), c.Screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
