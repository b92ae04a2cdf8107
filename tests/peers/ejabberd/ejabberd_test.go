package ejabberd

import (
	"net"
	"testing"
)

// TestStartRegisterRestart starts a server, makes an account, checks it
// with ejabberd itself, and survives a restart on the same ports with the
// account kept.
func TestStartRegisterRestart(t *testing.T) {
	s := Start(t)
	s.Register(t, "alice", "alicepass")
	if !s.CheckPassword(t, "alice", "alicepass") || s.CheckPassword(t, "alice", "wrong") {
		t.Fatal("check_password does not tell the right password from a wrong one")
	}
	s.Restart(t)
	if !s.CheckPassword(t, "alice", "alicepass") {
		t.Fatal("account lost across a restart")
	}
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatalf("c2s after restart: %v", err)
	}
	c.Close()
}
