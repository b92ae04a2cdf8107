// Package linphone runs a real linphonec (linphone-cli) on loopback for
// tests: headless, fed commands on stdin, its console read line by line,
// audio from and to files instead of a sound card. Stopped by t.Cleanup.
package linphone

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/internal/testkit/ports"
)

// InstallHint is what to do when linphonec is missing.
const InstallHint = "linphonec not found: install it with `apt-get install -y --no-install-recommends linphone-cli` (or `make deps`)"

// Config describes the linphone account.
type Config struct {
	User, Password string
	Domain         string // e.g. "127.0.0.1"
	Registrar      string // host:port of the registrar/proxy; empty: no account
	AutoAnswer     bool   // answer every call at once (-a)
	// MediaEncryption is "none" (default), "zrtp" or "srtp"; Mandatory
	// refuses calls that cannot be encrypted.
	MediaEncryption string
	Mandatory       bool
	Expires         int // registration lifetime in seconds (default 600)

	// ZRTP algorithm preferences, bzrtp's short names in order of
	// preference (empty: bzrtp's defaults, DH3k/AES1/S256/B32 first):
	// KeyAgreements e.g. "X255", "DH3K", "EC25"; Ciphers "AES1", "AES3";
	// Hashes "S256", "S384"; SAS "B32", "B256".
	KeyAgreements, Ciphers, Hashes, SAS []string
	// Codecs, when set, are the only audio codecs enabled, in order:
	// "PCMU/8000", "PCMA/8000", "G722/8000".
	Codecs []string
}

// Direct reports whether the phone has no registrar: it is reached at
// sip:user@127.0.0.1:SIPPort. Beware: such a linphonec (5.1) puts the
// address of the host's default route in its SDP, not 127.0.0.1, though
// it sends its media from 127.0.0.1 (neither bind_address, nat_address
// nor a non-registering proxy entry changes that).
func (c Config) Direct() bool { return c.Registrar == "" }

// knownCodecs are linphonec's audio codecs that Codecs can leave out.
var knownCodecs = []string{"opus/48000/2", "speex/16000", "speex/8000", "PCMU/8000", "PCMA/8000", "G722/8000",
	"GSM/8000", "iLBC/8000", "speex/32000", "L16/44100", "BV16/8000", "G729/8000", "AMR/8000", "AMR-WB/16000"}

// logLine is how liblinphone's log lines on the console begin.
var logLine = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`)

// Phone is a running linphonec.
type Phone struct {
	SIPPort int
	RTPPort int
	Dir     string

	t     testing.TB
	cmd   *exec.Cmd
	stdin io.WriteCloser

	mu    sync.Mutex
	sent  map[string]bool // commands typed, to tell their echo from output
	lines []string
	grew  chan struct{}
	done  chan struct{}
}

// Binary finds linphonec or fails the test with the install hint.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("linphonec")
	if err != nil {
		t.Fatal(InstallHint)
	}
	return p
}

// Start writes a linphonerc, starts linphonec, switches it to file audio
// and, with a registrar, waits until it is registered. Its SIP and RTP
// ports are reserved for the test (testkit/ports): linphonec binds RTP
// only when a call starts, so the ports must stay out of everyone else's
// reach from now until then; should linphonec still find its SIP port
// taken, it is started again on others.
func Start(t testing.TB, cfg Config) *Phone {
	t.Helper()
	bin := Binary(t)
	if cfg.MediaEncryption == "" {
		cfg.MediaEncryption = "none"
	}
	if cfg.Expires == 0 {
		cfg.Expires = 600
	}
	var p *Phone
	// SIP on the first port; audio RTP/RTCP, video and text pairs from
	// the third (even) one.
	ports.Retry(t, 8, ports.UDPOnly, func(ps []int) error {
		var err error
		p, err = launch(t, bin, cfg, ps[0], ps[2])
		return err
	})
	if cfg.Registrar != "" {
		p.waitRegistered(cfg.User, 10*time.Second)
	}
	return p
}

// launch starts one linphonec on the given ports and waits until it
// plays and records files. A port it could not bind is ports.ErrInUse.
func launch(t testing.TB, bin string, cfg Config, sipPort, rtpPort int) (*Phone, error) {
	t.Helper()
	p := &Phone{t: t, Dir: t.TempDir(), grew: make(chan struct{}), done: make(chan struct{}), sent: map[string]bool{},
		SIPPort: sipPort, RTPPort: rtpPort}
	// Without this directory linphonec opens no SIP socket at all (PEERS.md gotcha 6).
	if err := os.MkdirAll(filepath.Join(p.Dir, ".local", "share", "linphone"), 0o755); err != nil {
		return nil, err
	}
	rc := filepath.Join(p.Dir, "linphonerc")
	if err := os.WriteFile(rc, []byte(p.rc(cfg)), 0o644); err != nil {
		return nil, err
	}
	args := []string{"-c", rc}
	if cfg.AutoAnswer {
		args = append(args, "-a")
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = p.Dir
	cmd.Env = append(os.Environ(), "HOME="+p.Dir)
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
		return nil, fmt.Errorf("linphonec did not start: %w", err)
	}
	p.cmd, p.stdin = cmd, stdin
	go p.read(out)
	t.Cleanup(p.Stop)
	p.Send(t, "soundcard use files") // not kept in the rc: send after every start
	_, ready := p.find(0, "Using wav files", 10*time.Second)
	if p.inUse() {
		p.Stop()
		return nil, fmt.Errorf("linphonec could not bind its SIP port %d: %w", sipPort, ports.ErrInUse)
	}
	if !ready {
		return nil, fmt.Errorf("linphonec did not switch to file audio within 10 s:\n%s", p.Console())
	}
	return p, nil
}

// inUse reports whether linphonec said a port it wanted was taken.
func (p *Phone) inUse() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.lines {
		if strings.Contains(l, "Address already in use") {
			return true
		}
	}
	return false
}

func (p *Phone) rc(cfg Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[sip]\nsip_port=%d\nbind_address=127.0.0.1\nuse_ipv6=0\nsip_tcp_port=0\nsip_tls_port=0\n", p.SIPPort)
	if cfg.Registrar != "" {
		b.WriteString("default_proxy=0\n")
	} else {
		b.WriteString("default_proxy=-1\n")
	}
	fmt.Fprintf(&b, "guess_hostname=0\ncontact=\"%s\" <sip:%s@127.0.0.1:%d>\n", cfg.User, cfg.User, p.SIPPort)
	fmt.Fprintf(&b, "media_encryption=%s\nmedia_encryption_mandatory=%d\n", cfg.MediaEncryption, b2i(cfg.Mandatory))
	fmt.Fprintf(&b, "zrtp_secrets_db_uri=%s\n", filepath.Join(p.Dir, "zrtp-secrets.db"))
	for _, s := range []struct {
		key, prefix string
		names       []string
	}{
		{"zrtp_key_agreements_suites", "MS_ZRTP_KEY_AGREEMENT_", cfg.KeyAgreements},
		{"zrtp_cipher_suites", "MS_ZRTP_CIPHER_", cfg.Ciphers},
		{"zrtp_hash_suites", "MS_ZRTP_HASH_", cfg.Hashes},
		{"zrtp_sas_suites", "MS_ZRTP_SAS_", cfg.SAS},
	} {
		if len(s.names) == 0 {
			continue
		}
		full := make([]string, len(s.names))
		for i, n := range s.names {
			full[i] = s.prefix + strings.ToUpper(n)
		}
		fmt.Fprintf(&b, "%s=%s\n", s.key, strings.Join(full, ","))
	}
	b.WriteString("ipv6_migration_done=1\nregister_only_when_network_is_up=0\ninc_timeout=60\n")
	b.WriteString("\n[net]\nipv6=0\nfirewall_policy=0\nmtu=1300\n")
	fmt.Fprintf(&b, "\n[rtp]\naudio_rtp_port=%d\nvideo_rtp_port=%d\ntext_rtp_port=%d\nrtcp_mux=0\n", p.RTPPort, p.RTPPort+2, p.RTPPort+4)
	b.WriteString("\n[video]\nenabled=0\ncapture=0\ndisplay=0\nautomatically_initiate=0\nautomatically_accept=0\n")
	b.WriteString("\n[sound]\nechocancellation=0\n")
	if len(cfg.Codecs) > 0 {
		// Listed first and enabled; every other known codec listed after,
		// disabled (linphone enables codecs its rc does not mention).
		n := 0
		for _, c := range cfg.Codecs {
			writeCodec(&b, n, c, true)
			n++
		}
		for _, c := range knownCodecs {
			if !slices.ContainsFunc(cfg.Codecs, func(x string) bool { return strings.EqualFold(x, c) }) {
				writeCodec(&b, n, c, false)
				n++
			}
		}
	}
	fmt.Fprintf(&b, "\n[misc]\nuuid=00000000-0000-0000-0000-%012d\n", p.SIPPort)
	if cfg.Registrar != "" {
		fmt.Fprintf(&b, "\n[proxy_0]\nreg_proxy=sip:%s;transport=udp\nreg_identity=\"%s\" <sip:%s@%s>\nreg_expires=%d\nreg_sendregister=1\npublish=0\n",
			cfg.Registrar, cfg.User, cfg.User, cfg.Domain, cfg.Expires)
		fmt.Fprintf(&b, "\n[auth_info_0]\nusername=%s\npasswd=%s\nrealm=%s\ndomain=%s\n", cfg.User, cfg.Password, cfg.Domain, cfg.Domain)
	}
	return b.String()
}

// writeCodec writes one [audio_codec_N] section for "mime/rate[/channels]".
func writeCodec(b *strings.Builder, n int, codec string, enabled bool) {
	f := strings.Split(codec, "/")
	mime, rate, channels := f[0], "8000", "1"
	if len(f) > 1 {
		rate = f[1]
	}
	if len(f) > 2 {
		channels = f[2]
	}
	fmt.Fprintf(b, "\n[audio_codec_%d]\nmime=%s\nrate=%s\nchannels=%s\nenabled=%d\n", n, mime, rate, channels, b2i(enabled))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (p *Phone) read(r io.Reader) {
	defer close(p.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		p.mu.Lock()
		p.lines = append(p.lines, sc.Text())
		close(p.grew)
		p.grew = make(chan struct{})
		p.mu.Unlock()
	}
}

// waitRegistered asks "status register" until linphonec says registered.
func (p *Phone) waitRegistered(user string, within time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		mark := p.Mark()
		p.Send(p.t, "status register")
		if _, ok := p.find(mark, "registered, identity=", 300*time.Millisecond); ok {
			return
		}
	}
	p.t.Fatalf("linphonec %s did not register within %v:\n%s", user, within, p.Console())
}

// Send types one command into linphonec.
func (p *Phone) Send(t testing.TB, cmd string) {
	t.Helper()
	p.mu.Lock()
	p.sent[cmd] = true
	p.mu.Unlock()
	if _, err := io.WriteString(p.stdin, cmd+"\n"); err != nil {
		t.Fatalf("linphonec command %q: %v", cmd, err)
	}
}

// Mark is a position in the console; WaitForAfter looks only past it.
func (p *Phone) Mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// WaitFor waits until a console line contains substr and returns it.
func (p *Phone) WaitFor(t testing.TB, substr string, within time.Duration) string {
	t.Helper()
	return p.WaitForAfter(t, 0, substr, within)
}

// WaitForAfter is WaitFor for lines after mark.
func (p *Phone) WaitForAfter(t testing.TB, mark int, substr string, within time.Duration) string {
	t.Helper()
	l, ok := p.find(mark, substr, within)
	if !ok {
		t.Fatalf("linphonec did not print %q within %v:\n%s", substr, within, p.Console())
	}
	return l
}

// Seen reports whether a line after mark already contains substr.
func (p *Phone) Seen(mark int, substr string) bool {
	_, ok := p.find(mark, substr, 0)
	return ok
}

// find waits for a line after mark that contains substr.
func (p *Phone) find(mark int, substr string, within time.Duration) (string, bool) {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		for _, l := range p.lines[min(mark, len(p.lines)):] {
			out := l
			for strings.HasPrefix(out, "linphonec> ") {
				out = strings.TrimPrefix(out, "linphonec> ")
			}
			// Skip the command echo and liblinphone's own log lines
			// ("2026-11-26 06:53:49:057 bctbx-error-..."), which mention
			// words like "error" or "ended" in passing.
			if strings.Contains(out, substr) && !p.sent[strings.TrimSpace(out)] && !logLine.MatchString(out) {
				p.mu.Unlock()
				return out, true
			}
		}
		grew := p.grew
		p.mu.Unlock()
		select {
		case <-grew:
		case <-p.done:
			return "", false
		case <-deadline.C:
			return "", false
		}
	}
}

var sasLine = regexp.MustCompile(`is fully encrypted and auth token is (\S+?)\.?$`)

// WaitSAS waits for linphonec to report a ZRTP-secured call after mark and
// returns the short authentication string it shows.
func (p *Phone) WaitSAS(t testing.TB, mark int, within time.Duration) string {
	t.Helper()
	l := p.WaitForAfter(t, mark, "is fully encrypted and auth token is", within)
	m := sasLine.FindStringSubmatch(l)
	if m == nil {
		t.Fatalf("cannot read the SAS from %q", l)
	}
	return m[1]
}

// SetVerified types zrtp-set-verified: the person confirmed the SAS of
// the current call.
func (p *Phone) SetVerified(t testing.TB) { p.Send(t, "zrtp-set-verified") }

// Play makes linphonec send wav (8 or 16 kHz mono) as its microphone.
func (p *Phone) Play(t testing.TB, wav string) { p.Send(t, "play "+wav) }

// Record makes linphonec write what it hears to wav.
func (p *Phone) Record(t testing.TB, wav string) { p.Send(t, "record "+wav) }

// PID is linphonec's process ID (0 once stopped), for measuring it.
func (p *Phone) PID() int {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Console is everything linphonec printed so far.
func (p *Phone) Console() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// Stop quits linphonec (politely, then by force).
func (p *Phone) Stop() {
	if p.cmd == nil {
		return
	}
	io.WriteString(p.stdin, "quit\n")
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	p.cmd.Wait()
	p.cmd = nil
}
