// Package kamailio runs a real kamailio SIP registrar and proxy on
// loopback for tests: a temp config, a free port, digest auth for the
// given users, no database. It is stopped by t.Cleanup.
package kamailio

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/internal/testkit/ports"
)

// InstallHint is what to do when kamailio is missing.
const InstallHint = "kamailio not found: install it with `apt-get install -y kamailio` (or `make deps`)"

// User is an account the registrar accepts.
type User struct{ Name, Password string }

// Options change what Start sets up.
type Options struct {
	// TLS adds a TLS listener with a fresh certificate for 127.0.0.1.
	TLS bool
}

// Server is a running (or stopped) kamailio.
type Server struct {
	Port int    // UDP and TCP
	Addr string // "127.0.0.1:<Port>"

	// With Options.TLS: the TLS listener and a pool that trusts it.
	TLSPort int
	TLSAddr string
	Roots   *x509.CertPool

	t   testing.TB
	dir string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	log    *bytes.Buffer
	run    int
}

// Binaries finds kamailio and kamcmd or fails the test with the install hint.
func Binaries(t testing.TB) (kamailio, kamcmd string) {
	t.Helper()
	k, err := exec.LookPath("kamailio")
	if err != nil {
		k, err = lookSbin("kamailio")
	}
	if err != nil {
		t.Fatal(InstallHint)
	}
	c, err := exec.LookPath("kamcmd")
	if err != nil {
		c, err = lookSbin("kamcmd")
	}
	if err != nil {
		t.Fatal(InstallHint)
	}
	return k, c
}

// sbinDirs are searched when PATH lacks them (a non-root PATH often does).
var sbinDirs = []string{"/usr/sbin", "/usr/local/sbin", "/sbin"}

func lookSbin(name string) (string, error) {
	for _, d := range sbinDirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", os.ErrNotExist
}

// Start writes a config for users, starts kamailio on a free port and
// waits until it listens.
func Start(t testing.TB, users ...User) *Server {
	t.Helper()
	return StartWith(t, Options{}, users...)
}

// StartWith is Start with options. Its ports are reserved for the test
// (testkit/ports); should kamailio still find one taken, it is started
// again on others.
func StartWith(t testing.TB, opts Options, users ...User) *Server {
	t.Helper()
	Binaries(t)
	n := 1
	if opts.TLS {
		n = 2
	}
	var s *Server
	ports.Retry(t, n, ports.Both, func(ps []int) error {
		var err error
		s, err = launch(t, opts, ps, users)
		return err
	})
	return s
}

// launch writes the config for ports and starts kamailio on them.
func launch(t testing.TB, opts Options, ps []int, users []User) (*Server, error) {
	t.Helper()
	s := &Server{t: t, dir: t.TempDir()}
	s.Port = ps[0]
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))
	if err := os.MkdirAll(filepath.Join(s.dir, "run"), 0o755); err != nil {
		return nil, err
	}
	cfg := Config(s.Port, filepath.Join(s.dir, "run", "kamailio_ctl"), users)
	if opts.TLS {
		if _, err := os.Stat("/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so"); err != nil {
			t.Fatal("kamailio's tls module is missing: install it with `apt-get install -y kamailio-tls-modules` (or `make deps`)")
		}
		s.TLSPort = ps[1]
		s.TLSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.TLSPort))
		certPEM, keyPEM := certificate(t)
		s.Roots = x509.NewCertPool()
		s.Roots.AppendCertsFromPEM(certPEM)
		certFile, keyFile, tlsFile := filepath.Join(s.dir, "cert.pem"), filepath.Join(s.dir, "key.pem"), filepath.Join(s.dir, "tls.cfg")
		for f, b := range map[string][]byte{
			certFile: certPEM, keyFile: keyPEM,
			tlsFile: []byte(strings.NewReplacer("@KEY@", keyFile, "@CERT@", certFile).Replace(tlsConfig)),
		} {
			if err := os.WriteFile(f, b, 0o600); err != nil {
				return nil, err
			}
		}
		r := strings.NewReplacer("@TLSPORT@", strconv.Itoa(s.TLSPort), "@TLSCFG@", tlsFile)
		cfg = strings.Replace(cfg, "@TLSCORE@", r.Replace(tlsCore), 1)
		cfg = strings.Replace(cfg, "@TLSMOD@", r.Replace(tlsMod), 1)
	}
	cfg = strings.NewReplacer("@TLSCORE@", "", "@TLSMOD@", "").Replace(cfg)
	if err := os.WriteFile(filepath.Join(s.dir, "kamailio.cfg"), []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	k, _ := Binaries(t)
	if out, err := exec.Command(k, "-c", "-f", filepath.Join(s.dir, "kamailio.cfg")).CombinedOutput(); err != nil {
		t.Fatalf("kamailio config check failed: %v\n%s", err, out)
	}
	t.Cleanup(s.Stop)
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Start (re)starts a stopped server on the same ports (they stay reserved
// for the test).
func (s *Server) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatal(err)
	}
}

// start runs kamailio and waits until it listens. A port it could not
// bind is ports.ErrInUse.
func (s *Server) start() error {
	k, _ := Binaries(s.t)
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		return errors.New("kamailio already running")
	}
	s.run++
	s.log = &bytes.Buffer{}
	cmd := exec.Command(k, "-f", filepath.Join(s.dir, "kamailio.cfg"), "-DD", "-E",
		"-Y", filepath.Join(s.dir, "run"), "-P", filepath.Join(s.dir, "run", "kamailio.pid"),
		"-w", s.dir, "-m", "32", "-M", "8")
	// Its own process group, so Stop reaches every worker it forks.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 2 * time.Second
	cmd.Stdout = &lockedWriter{mu: &s.mu, w: s.log}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("kamailio did not start: %w", err)
	}
	s.cmd = cmd
	exited := make(chan struct{})
	s.exited = exited
	go func() { cmd.Wait(); close(exited) }()
	s.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			log := s.Log()
			s.Stop()
			if strings.Contains(log, "Address already in use") {
				return fmt.Errorf("kamailio could not bind %s: %w", s.Addr, ports.ErrInUse)
			}
			return fmt.Errorf("kamailio exited before listening on %s; log:\n%s", s.Addr, log)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kamailio did not listen on %s within 10 s; log:\n%s", s.Addr, s.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops kamailio (its main process takes the workers with it).
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	pgid := cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(time.Second):
		// It keeps nothing worth a clean exit (usrloc is in memory); after a
		// kamcmd call it was seen to take 5 s to stop on SIGTERM.
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-exited
	}
	// Wait until the port is free again so a restart can bind it.
	for i := 0; i < 100; i++ {
		l, err := net.Listen("tcp", s.Addr)
		if err == nil {
			l.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Log is kamailio's output of the current run.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		return ""
	}
	return s.log.String()
}

// Contacts lists the registered contacts of user (from the location
// table, through kamcmd ul.lookup). Empty means not registered.
func (s *Server) Contacts(user string) []string {
	s.t.Helper()
	_, c := Binaries(s.t)
	out, err := exec.Command(c, "-s", "unix:"+filepath.Join(s.dir, "run", "kamailio_ctl"), "ul.lookup", "location", user).CombinedOutput()
	if err != nil {
		return nil // "AOR not found" exits non-zero
	}
	var contacts []string
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "Address:"); ok {
			contacts = append(contacts, strings.TrimSpace(v))
		}
	}
	return contacts
}

// certificate makes a self-signed ECDSA certificate for 127.0.0.1.
func certificate(t testing.TB) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// FreePort is a port reserved for the test on 127.0.0.1, UDP and TCP,
// where nothing listens (testkit/ports).
func FreePort(t testing.TB) int {
	t.Helper()
	return ports.Reserve(t, 1, ports.Both)[0]
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Config is the kamailio.cfg for a loopback registrar on port with users.
func Config(port int, ctl string, users []User) string {
	var cases strings.Builder
	for _, u := range users {
		fmt.Fprintf(&cases, "        case %q: $var(pw) = %q; break;\n", u.Name, u.Password)
	}
	r := strings.NewReplacer("@PORT@", strconv.Itoa(port), "@CTL@", ctl, "@USERS@", cases.String())
	return r.Replace(configTemplate)
}
