package kamailio

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/internal/testkit/ports"
)

func TestConfigHasUsers(t *testing.T) {
	cfg := Config(5099, "/tmp/x", []User{{"alice", "alicepass"}, {"bob", "bobpass"}})
	for _, w := range []string{`case "alice": $var(pw) = "alicepass"`, `case "bob": $var(pw) = "bobpass"`, "listen=udp:127.0.0.1:5099", `"gruu_enabled", 0`} {
		if !strings.Contains(cfg, w) {
			t.Errorf("config lacks %q", w)
		}
	}
}

func TestStartStop(t *testing.T) {
	s := Start(t, User{"alice", "alicepass"})
	if got := s.Contacts("alice"); len(got) != 0 {
		t.Errorf("alice registered before anyone registered: %v", got)
	}
	s.Stop()
	s.Start()
	if !strings.Contains(s.Log(), "") {
		t.Fatal("no log")
	}
}

func TestTLSListener(t *testing.T) {
	s := StartWith(t, Options{TLS: true}, User{"alice", "alicepass"})
	c, err := tls.Dial("tcp", s.TLSAddr, &tls.Config{RootCAs: s.Roots, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("TLS handshake with kamailio: %v\n%s", err, s.Log())
	}
	c.Close()
}

// fatalRecorder is a testing.TB whose Fatal only records the message.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper()           {}
func (f *fatalRecorder) Fatal(args ...any) { f.msg = fmt.Sprint(args...) }

func TestMissingBinaryGivesInstallHint(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	old := sbinDirs
	sbinDirs = []string{t.TempDir()}
	defer func() { sbinDirs = old }()
	rec := &fatalRecorder{TB: t}
	Binaries(rec)
	if !strings.Contains(rec.msg, "apt-get install -y kamailio") {
		t.Errorf("message %q lacks the install hint", rec.msg)
	}
}

// TestLaunchReportsTakenPort: a kamailio whose port is already bound
// exits, and launch reports it as ports.ErrInUse, which is what makes
// Start try other ports.
func TestLaunchReportsTakenPort(t *testing.T) {
	taken := ports.UDP(t) // UDP: a TCP listener would answer the readiness probe itself
	_, err := launch(t, Options{}, []int{taken.LocalAddr().(*net.UDPAddr).Port}, []User{{Name: "alice", Password: "pw"}})
	if !errors.Is(err, ports.ErrInUse) {
		t.Fatalf("launch on a taken port: %v, want ports.ErrInUse", err)
	}
}
