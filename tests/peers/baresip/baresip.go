// Package baresip runs baresip (Debian baresip-core) as a SIP peer for
// tests: a phone without ZRTP whose one form of call encryption is
// SDES-SRTP (its srtp module). It plays a WAV file as its microphone and
// records what it hears with the sndfile module. Only tests import it.
package baresip

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// InstallHint is what to do when baresip is missing.
const InstallHint = "baresip not found: install it with `apt-get install -y --no-install-recommends baresip-core` (or `make deps`)"

// Config describes the baresip account.
type Config struct {
	User, Password string
	// Registrar is host:port of the registrar/proxy (kamailio).
	Registrar string
	// Transport is "udp" (default) or "tls" to the registrar.
	Transport string
	// MediaEnc is baresip's mediaenc: "" (none), "srtp", "srtp-mand".
	MediaEnc string
	// Source is the WAV file baresip sends as its microphone.
	Source     string
	AutoAnswer bool
	Codecs     []string // audio_codecs, e.g. "PCMU"; empty: baresip's defaults
}

// Phone is a running baresip.
type Phone struct {
	Dir string // config, and snd/ with the recordings

	t     testing.TB
	cmd   *exec.Cmd
	stdin io.WriteCloser

	mu    sync.Mutex
	lines []string
	done  chan struct{}
}

// Start writes a config and accounts file and starts baresip, listening on
// a port it picks itself (port 0), and waits until it is registered.
func Start(t testing.TB, cfg Config) *Phone {
	t.Helper()
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Fatal(InstallHint)
	}
	p := &Phone{Dir: t.TempDir(), t: t, done: make(chan struct{})}
	if err := os.MkdirAll(filepath.Join(p.Dir, "snd"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Its TLS listener needs a certificate (kamailio connects to it to
	// bring requests such as BYE); nobody checks it.
	certFile := filepath.Join(p.Dir, "cert.pem")
	if err := os.WriteFile(certFile, selfSigned(t), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := strings.Join([]string{
		"poll_method epoll",
		"sip_certificate " + certFile,
		"sip_listen 127.0.0.1:0",
		"net_interface 127.0.0.1",
		"audio_source aufile," + cfg.Source,
		"audio_alert aufile,/dev/null",
		"audio_srate 8000",
		"audio_channels 1",
		"module_path /usr/lib/baresip/modules",
		"module stdio.so",
		"module g711.so",
		"module g722.so",
		"module aufile.so",
		"module srtp.so",
		"module sndfile.so",
		"module_tmp account.so",
		"module_app menu.so",
		"snd_path " + filepath.Join(p.Dir, "snd"),
		"",
	}, "\n")
	host := cfg.Registrar
	outbound := "sip:" + host
	aor := "sip:" + cfg.User + "@" + strings.Split(host, ":")[0]
	if cfg.Transport == "tls" {
		outbound += ";transport=tls"
		aor += ";transport=tls"
	}
	acct := "<" + aor + ">;auth_pass=" + cfg.Password + `;outbound="` + outbound + `";regint=600`
	if cfg.MediaEnc != "" {
		acct += ";mediaenc=" + cfg.MediaEnc
	}
	if cfg.AutoAnswer {
		acct += ";answermode=auto"
	}
	if len(cfg.Codecs) > 0 {
		acct += ";audio_codecs=" + strings.Join(cfg.Codecs, ",")
	}
	for name, body := range map[string]string{"config": conf, "accounts": acct + "\n"} {
		if err := os.WriteFile(filepath.Join(p.Dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-f", p.Dir)
	cmd.Dir = p.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 2 * time.Second
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("baresip did not start: %v", err)
	}
	p.cmd = cmd
	go p.read(out)
	t.Cleanup(p.Stop)
	p.WaitFor(t, "200 OK", 10*time.Second) // the REGISTER's answer
	return p
}

func (p *Phone) read(r io.Reader) {
	defer close(p.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		p.mu.Lock()
		p.lines = append(p.lines, sc.Text())
		p.mu.Unlock()
	}
}

// Send types a command (e.g. "/dial sip:alice@127.0.0.1").
func (p *Phone) Send(t testing.TB, command string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, command+"\n"); err != nil {
		t.Fatalf("baresip: %v", err)
	}
}

// Mark is the current end of the console, for WaitForAfter.
func (p *Phone) Mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// WaitFor waits until the console shows what.
func (p *Phone) WaitFor(t testing.TB, what string, d time.Duration) string {
	t.Helper()
	return p.WaitForAfter(t, 0, what, d)
}

// WaitForAfter waits until a console line after mark shows what, and
// returns that line.
func (p *Phone) WaitForAfter(t testing.TB, mark int, what string, d time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		p.mu.Lock()
		for _, l := range p.lines[min(mark, len(p.lines)):] {
			if strings.Contains(l, what) {
				p.mu.Unlock()
				return l
			}
		}
		p.mu.Unlock()
		select {
		case <-p.done:
			t.Fatalf("baresip exited before %q:\n%s", what, p.Console())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("baresip never printed %q:\n%s", what, p.Console())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Console is everything baresip printed so far.
func (p *Phone) Console() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// Recordings are sndfile's WAV dumps: what baresip decoded (heard), with
// "-dec" in the name, and what it encoded (sent), with "-enc".
func (p *Phone) Recordings() (heard, sent []string) {
	files, _ := filepath.Glob(filepath.Join(p.Dir, "snd", "*.wav"))
	for _, f := range files {
		switch {
		case strings.Contains(filepath.Base(f), "-dec"):
			heard = append(heard, f)
		case strings.Contains(filepath.Base(f), "-enc"):
			sent = append(sent, f)
		}
	}
	return heard, sent
}

// Stop quits baresip (politely, then by force).
func (p *Phone) Stop() {
	if p.cmd == nil {
		return
	}
	io.WriteString(p.stdin, "/quit\n")
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	p.cmd.Wait()
	p.cmd = nil
}

// selfSigned is a PEM certificate for 127.0.0.1 followed by its key.
func selfSigned(t testing.TB) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})...)
}
