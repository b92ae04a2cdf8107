package prosody

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/internal/testkit/ports"
)

// EnableWebSocket turns on prosody's mod_websocket (RFC 7395) on a loopback
// HTTP port, for browser clients such as StanzaJS, restarts the server and
// returns the WebSocket URL. The socket counts as secure (it never leaves
// loopback), so the server's require-encryption rule lets it log in. The
// port is reserved for the test (internal/testkit/ports), so nothing else
// takes it before prosody binds it.
func (s *Server) EnableWebSocket(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	for old, repl := range map[string]string{
		`http_ports = {}`: "http_ports = { 0 }\nhttp_interfaces = { \"127.0.0.1\" }\nconsider_websocket_secure = true\ncross_domain_websocket = true",
		`"posix" }`:       `"posix"; "websocket" }`,
	} {
		if !strings.Contains(cfg, old) {
			t.Fatalf("prosody config has no %q to change for the WebSocket", old)
		}
		cfg = strings.Replace(cfg, old, repl, 1)
	}
	portLine := regexp.MustCompile(`http_ports = \{ \d+ \}`)
	for attempt := 0; attempt < 3; attempt++ {
		port := ports.Reserve(t, 1, ports.TCPOnly)[0]
		cfg = portLine.ReplaceAllString(cfg, "http_ports = { "+strconv.Itoa(port)+" }")
		if err := os.WriteFile(s.cfg, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		s.Restart(t)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				return fmt.Sprintf("ws://%s/xmpp-websocket", addr)
			}
		}
	}
	t.Fatalf("prosody's WebSocket never listened:\n%s", s.logs())
	return ""
}
