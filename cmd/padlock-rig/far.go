package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/padlock-phone/padlock/hw/rig"
	"github.com/padlock-phone/padlock/media/audio"
)

// linphonec is the far phone of a board run: linphonec (Debian package
// linphone-cli) on the rig's host, registered to the same SIP server as the
// phone, with ZRTP mandatory and file audio (it plays rig.FarTone and
// records what it hears). tests/peers/linphone is the test suite's richer
// driver; tests/ is for tests only, so the command carries this small one.
type linphonec struct {
	dir    string
	target string
	cmd    *exec.Cmd
	stdin  io.WriteCloser

	mu    sync.Mutex
	lines []string
	grew  chan struct{}
	mark  int
}

// farConfig is the far phone's account.
type farConfig struct {
	bin, user, password, domain, registrar, target string
}

func startLinphonec(ctx context.Context, c farConfig) (*linphonec, error) {
	dir, err := os.MkdirTemp("", "padlock-rig-far-")
	if err != nil {
		return nil, err
	}
	// linphonec opens no SIP socket without this directory.
	if err := os.MkdirAll(filepath.Join(dir, ".local", "share", "linphone"), 0o755); err != nil {
		return nil, err
	}
	rc := fmt.Sprintf(`[sip]
sip_port=-1
default_proxy=0
guess_hostname=1
media_encryption=zrtp
media_encryption_mandatory=1
zrtp_secrets_db_uri=%s
register_only_when_network_is_up=0
inc_timeout=60
[video]
enabled=0
capture=0
display=0
[sound]
echocancellation=0
[proxy_0]
reg_proxy=sip:%s;transport=udp
reg_identity=<sip:%s@%s>
reg_expires=600
reg_sendregister=1
publish=0
[auth_info_0]
username=%s
passwd=%s
realm=%s
domain=%s
`, filepath.Join(dir, "zrtp.db"), c.registrar, c.user, c.domain, c.user, c.password, c.domain, c.domain)
	if err := os.WriteFile(filepath.Join(dir, "linphonerc"), []byte(rc), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(c.bin, "-c", filepath.Join(dir, "linphonerc"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 2 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w (install linphone-cli)", c.bin, err)
	}
	f := &linphonec{dir: dir, target: c.target, cmd: cmd, stdin: stdin, grew: make(chan struct{})}
	go f.read(out)
	f.send("soundcard use files")
	if _, err := f.wait(ctx, 0, "Using wav files"); err != nil {
		f.stop()
		return nil, err
	}
	for {
		mark := f.markNow()
		f.send("status register")
		if _, err := f.wait(ctx, mark, "registered, identity="); err == nil {
			return f, nil
		}
		if ctx.Err() != nil {
			f.stop()
			return nil, fmt.Errorf("linphonec never registered to %s as %s", c.registrar, c.user)
		}
	}
}

func (f *linphonec) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f.mu.Lock()
		f.lines = append(f.lines, strings.TrimPrefix(sc.Text(), "linphonec> "))
		close(f.grew)
		f.grew = make(chan struct{})
		f.mu.Unlock()
	}
}

func (f *linphonec) send(cmd string) { io.WriteString(f.stdin, cmd+"\n") }

func (f *linphonec) markNow() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.lines)
}

// wait returns the first console line after mark containing substr; it
// gives up after 2 s or at ctx's end, whichever is first.
func (f *linphonec) wait(ctx context.Context, mark int, substr string) (string, error) {
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	for {
		f.mu.Lock()
		for _, l := range f.lines[min(mark, len(f.lines)):] {
			if strings.Contains(l, substr) {
				f.mu.Unlock()
				return l, nil
			}
		}
		grew := f.grew
		f.mu.Unlock()
		select {
		case <-grew:
		case <-t.C:
			return "", fmt.Errorf("linphonec did not print %q", substr)
		case <-ctx.Done():
			return "", fmt.Errorf("linphonec did not print %q: %w", substr, ctx.Err())
		}
	}
}

// waitLong is wait until ctx ends.
func (f *linphonec) waitLong(ctx context.Context, substr string) (string, error) {
	for {
		l, err := f.wait(ctx, f.mark, substr)
		if err == nil || ctx.Err() != nil {
			return l, err
		}
	}
}

func (f *linphonec) stop() {
	f.send("quit")
	done := make(chan struct{})
	go func() { f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	os.RemoveAll(f.dir)
}

var _ rig.Far = (*linphonec)(nil)

func (f *linphonec) Call(ctx context.Context) error {
	f.mark = f.markNow()
	f.send("call " + f.target)
	return nil
}

var sasLine = regexp.MustCompile(`auth token is (\S+?)\.?$`)

func (f *linphonec) SAS(ctx context.Context) (string, error) {
	l, err := f.waitLong(ctx, "is fully encrypted and auth token is")
	if err != nil {
		return "", err
	}
	m := sasLine.FindStringSubmatch(l)
	if m == nil {
		return "", fmt.Errorf("no SAS in linphonec's %q", l)
	}
	return m[1], nil
}

func (f *linphonec) Talk(ctx context.Context) error {
	tone := filepath.Join(f.dir, "far.wav")
	w, err := audio.CreateWAV(tone, 8000)
	if err != nil {
		return err
	}
	if err := w.Write(rig.Tone(rig.FarTone, 8000, 30)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	f.send("play " + tone)
	f.send("record " + filepath.Join(f.dir, "heard.wav"))
	return nil
}

func (f *linphonec) Ended(ctx context.Context, declined bool) error {
	want := "ended"
	if declined {
		want = "ended (Call declined)"
	}
	_, err := f.waitLong(ctx, want)
	return err
}

func (f *linphonec) Heard(ctx context.Context) ([]int16, int, error) {
	return audio.ReadWAV(filepath.Join(f.dir, "heard.wav"))
}
