package prosody

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// EnableWebSocket turns on prosody's mod_websocket (RFC 7395) on a loopback
// HTTP port, for browser clients such as StanzaJS, restarts the server and
// returns the WebSocket URL. The socket counts as secure (it never leaves
// loopback), so the server's require-encryption rule lets it log in.
func (s *Server) EnableWebSocket(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	port := freePorts(t, 1)[0]
	cfg := string(b)
	for old, repl := range map[string]string{
		`http_ports = {}`: fmt.Sprintf("http_ports = { %d }\nhttp_interfaces = { \"127.0.0.1\" }\nconsider_websocket_secure = true\ncross_domain_websocket = true", port),
		`"posix" }`:       `"posix"; "websocket" }`,
	} {
		if !strings.Contains(cfg, old) {
			t.Fatalf("prosody config has no %q to change for the WebSocket", old)
		}
		cfg = strings.Replace(cfg, old, repl, 1)
	}
	if err := os.WriteFile(s.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
	return fmt.Sprintf("ws://127.0.0.1:%d/xmpp-websocket", port)
}
