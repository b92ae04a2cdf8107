// Package ejabberd runs Debian's ejabberd (23.01) on loopback for tests,
// configured as Debian ships it (SASL mechanisms, STARTTLS required on
// c2s, MUC, roster versioning, private XML storage, PEP) plus the two
// lines every public server adds to let people sign up: mod_register for
// loopback (ejabberd's upstream default). It runs in the foreground with a
// temp config, spool and cookie, under its own node name, with Erlang
// distribution on a random port and no epmd (ERL_DIST_PORT), so it never
// touches another ejabberd or epmd on the machine.
package ejabberd

import (
	"bufio"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/internal/testkit/ports"
	"github.com/padlock-phone/padlock/tests/peers/xmppserver"
)

// CtlPath is Debian's control script, which starts the node and makes
// accounts.
const CtlPath = "/usr/sbin/ejabberdctl"

const installHint = "run `make deps` (apt-get install ejabberd)"

// Domain is the virtual host; MUC its group chat service.
const (
	Domain = "localhost"
	MUC    = "conference.localhost"
)

// Server is one running ejabberd.
type Server struct {
	Domain, MUC string
	// Addr is the client-to-server listener (STARTTLS required), 127.0.0.1:port.
	Addr        string
	Cert        *x509.Certificate
	Fingerprint [32]byte

	dir, node string
	c2s, dist int
	cred      *syscall.Credential
	t         testing.TB

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  strings.Builder
}

var seq atomic.Int64

// Start runs a fresh ejabberd and stops it when the test ends. A missing
// ejabberd fails the test with the install hint.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := os.Stat(CtlPath); err != nil {
		t.Fatalf("ejabberd not found at %s: %s", CtlPath, installHint)
	}
	s := &Server{Domain: Domain, MUC: MUC, t: t, node: fmt.Sprintf("padlock%d_%d@localhost", os.Getpid(), seq.Add(1))}
	s.cred = runAs(t)
	dir, err := os.MkdirTemp("", "padlock-ejabberd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s.dir = dir
	for _, d := range []string{"spool", "logs"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	crt, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	cert, err := xmppserver.WriteSelfSigned(crt, key, Domain, MUC)
	if err != nil {
		t.Fatalf("make test certificate: %v", err)
	}
	s.Cert, s.Fingerprint = cert, sha256.Sum256(cert.Raw)
	// ejabberd reads one file holding the certificate and its key.
	c, _ := os.ReadFile(crt)
	k, _ := os.ReadFile(key)
	if err := os.WriteFile(filepath.Join(dir, "certkey.pem"), append(c, k...), 0o600); err != nil {
		t.Fatal(err)
	}
	if s.cred != nil {
		filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error {
			return os.Lchown(p, int(s.cred.Uid), int(s.cred.Gid))
		})
	}
	// The ports are picked by binding port 0 and closing; if ejabberd then
	// finds one taken, it is started again on new ones.
	for try := 1; ; try++ {
		ports := ports.Reserve(t, 2, ports.TCPOnly) // held for the test: Restart reuses them
		s.c2s, s.dist = ports[0], ports[1]
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.c2s))
		s.writeConfig()
		err := s.start()
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "in use") || try == 3 {
			t.Fatalf("ejabberd: %v\n%s", err, s.Logs())
		}
	}
	t.Cleanup(s.Stop)
	return s
}

// Info describes the server for tests that run over several servers.
func (s *Server) Info() xmppserver.Info {
	return xmppserver.Info{Name: "ejabberd-stock", Domain: s.Domain, MUC: s.MUC, Addr: s.Addr, Cert: s.Cert,
		Fingerprint: s.Fingerprint, Register: s.Register, Restart: s.Restart}
}

// runAs is the ejabberd system user when running as root (ejabberdctl
// refuses any other user but root, and as root would su to it itself).
func runAs(t testing.TB) *syscall.Credential {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("ejabberd")
	if err != nil {
		t.Fatalf("ejabberd: no ejabberd system user (%v): %s", err, installHint)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

func (s *Server) writeConfig() {
	s.t.Helper()
	ctl := fmt.Sprintf("ERLANG_NODE=%s\nERL_DIST_PORT=%d\nERL_OPTIONS=\"-env ERL_CRASH_DUMP_BYTES 0\"\nEJABBERD_PID_PATH=%s\n",
		s.node, s.dist, filepath.Join(s.dir, "ejabberd.pid"))
	for name, body := range map[string]string{"ejabberdctl.cfg": ctl, "ejabberd.yml": config(filepath.Join(s.dir, "certkey.pem"), s.c2s)} {
		p := filepath.Join(s.dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			s.t.Fatal(err)
		}
		if s.cred != nil {
			os.Chown(p, int(s.cred.Uid), int(s.cred.Gid))
		}
	}
}

// config is Debian's shipped ejabberd.yml reduced to one loopback c2s
// listener (no HTTP, STUN, MQTT or s2s ports) and without mod_fail2ban
// (tests log in wrongly on purpose), plus mod_register for loopback
// without its once-per-10-minutes limit.
func config(certfile string, c2s int) string {
	return fmt.Sprintf(`# generated by tests/peers/ejabberd from Debian's ejabberd.yml
loglevel: info
log_rotate_count: 0
hosts:
  - localhost
certfiles:
  - %q
define_macro:
  'TLS_CIPHERS': "HIGH:!aNULL:!eNULL:!3DES:@STRENGTH"
  'TLS_OPTIONS':
    - "no_sslv3"
    - "no_tlsv1"
    - "no_tlsv1_1"
    - "cipher_server_preference"
    - "no_compression"
c2s_ciphers: 'TLS_CIPHERS'
c2s_protocol_options: 'TLS_OPTIONS'
listen:
  -
    port: %d
    ip: "127.0.0.1"
    module: ejabberd_c2s
    max_stanza_size: 262144
    shaper: c2s_shaper
    access: c2s
    starttls_required: true
    protocol_options: 'TLS_OPTIONS'
disable_sasl_mechanisms:
  - "digest-md5"
  - "X-OAUTH2"
auth_password_format: scram
# Not Debian's: ejabberd lets one address register once per 600 s by
# default, and every test registers from 127.0.0.1.
registration_timeout: infinity
acl:
  admin:
     user:
       - ""
  local:
    user_regexp: ""
  loopback:
    ip:
      - 127.0.0.0/8
      - ::1/128
access_rules:
  local:
    allow: local
  c2s:
    deny: blocked
    allow: all
  announce:
    allow: admin
  configure:
    allow: admin
  muc_create:
    allow: local
  pubsub_createnode:
    allow: local
  trusted_network:
    allow: loopback
shaper:
  normal:
    rate: 3000
    burst_size: 20000
  fast: 200000
shaper_rules:
  max_user_sessions: 10
  max_user_offline_messages:
    5000: admin
    100: all
  c2s_shaper:
    none: admin
    normal: all
  s2s_shaper: fast
modules:
  mod_adhoc: {}
  mod_admin_extra: {}
  mod_blocking: {}
  mod_caps: {}
  mod_carboncopy: {}
  mod_client_state: {}
  mod_disco: {}
  mod_last: {}
  mod_mam: {}
  mod_muc:
    access:
      - allow
    access_admin:
      - allow: admin
    access_create: muc_create
    access_persistent: muc_create
    access_mam:
      - allow
    default_room_options:
      mam: true
  mod_muc_admin: {}
  mod_offline:
    access_max_user_messages: max_user_offline_messages
  mod_ping: {}
  mod_privacy: {}
  mod_private: {}
  mod_pubsub:
    access_createnode: pubsub_createnode
    plugins:
      - flat
      - pep
    force_node_config:
      storage:bookmarks:
        access_model: whitelist
  mod_register:
    ip_access: trusted_network
  mod_roster:
    versioning: true
  mod_stream_mgmt:
    resend_on_timeout: if_offline
  mod_vcard:
    search: false
  mod_version: {}
`, certfile, c2s)
}

// ctl runs ejabberdctl as the server's user with its private cookie.
func (s *Server) ctl(args ...string) *exec.Cmd {
	cmd := exec.Command(CtlPath, append([]string{"-c", filepath.Join(s.dir, "ejabberdctl.cfg"),
		"-f", filepath.Join(s.dir, "ejabberd.yml"), "-s", filepath.Join(s.dir, "spool"), "-l", filepath.Join(s.dir, "logs")}, args...)...)
	cmd.Dir = s.dir
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + s.dir, "LANG=C.UTF-8"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.cred}
	return cmd
}

// start launches ejabberd in the foreground and waits until it says its
// c2s listener accepts connections.
func (s *Server) start() error {
	cmd := s.ctl("foreground")
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return fmt.Errorf("start: %v (%s)", err, installHint)
	}
	pw.Close()
	listening := fmt.Sprintf("Start accepting TCP connections at 127.0.0.1:%d for ejabberd_c2s", s.c2s)
	ready, exited := make(chan struct{}), make(chan struct{})
	var once sync.Once
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log.WriteString(line + "\n")
			s.mu.Unlock()
			if strings.Contains(line, listening) {
				once.Do(func() { close(ready) })
			}
		}
		pr.Close()
		cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.done = cmd, exited
	s.mu.Unlock()
	select {
	case <-ready:
		return nil
	case <-exited:
	case <-time.After(30 * time.Second):
		s.Stop()
		return fmt.Errorf("not listening on %s within 30 s", s.Addr)
	}
	s.Stop()
	logs := s.Logs()
	if strings.Contains(logs, "eaddrinuse") || strings.Contains(logs, "already in use") {
		return fmt.Errorf("a port was in use")
	}
	return fmt.Errorf("exited before listening on %s", s.Addr)
}

// Logs returns what ejabberd has printed so far.
func (s *Server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// Register creates an account with ejabberdctl.
func (s *Server) Register(t testing.TB, user, password string) {
	t.Helper()
	if out, err := s.ctl("register", user, s.Domain, password).CombinedOutput(); err != nil {
		t.Fatalf("ejabberdctl register %s: %v\n%s", user, err, out)
	}
}

// CheckPassword asks ejabberd itself whether password is user's.
func (s *Server) CheckPassword(t testing.TB, user, password string) bool {
	t.Helper()
	err := s.ctl("check_password", user, s.Domain, password).Run()
	return err == nil
}

// Stop ends ejabberd (SIGTERM to its process group, SIGKILL after 10 s).
// It is safe to call twice.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// Restart starts ejabberd again on the same ports with the same data.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.t = t
	if err := s.start(); err != nil {
		t.Fatalf("ejabberd restart: %v\n%s", err, s.Logs())
	}
}
