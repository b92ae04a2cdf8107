package prosody

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
)

// TestStartRegisterRestart starts a server, makes an account, checks the
// direct TLS port presents the test certificate, and survives a kill and
// restart on the same ports.
func TestStartRegisterRestart(t *testing.T) {
	s := Start(t, Options{})
	s.Register(t, "alice", "alicepass")
	check := func() {
		t.Helper()
		c, err := tls.Dial("tcp", s.DirectTLSAddr, &tls.Config{ServerName: Domain, RootCAs: s.CertPool()})
		if err != nil {
			t.Fatalf("direct TLS to prosody: %v\n%s", err, s.Logs())
		}
		c.Close()
	}
	check()
	s.Kill()
	if c, err := net.Dial("tcp", s.Addr); err == nil {
		c.Close()
		t.Fatal("port still open after Kill")
	}
	s.Restart(t)
	check()
	if !strings.Contains(config("/d", "/c", "/k", 1, 2, false, false), "allow_registration = false") {
		t.Fatal("RegistrationClosed not in config")
	}
}
