package xmpp

import (
	"strings"
	"testing"
	"time"
)

func TestNewAccount(t *testing.T) {
	pw := []byte("pw")
	for _, tc := range []struct {
		name     string
		cfg      Config
		wantAddr string
		wantErr  string
	}{
		{"defaults", Config{JID: "alice@example.org", Password: pw}, "example.org:5222", ""},
		{"direct TLS default port", Config{JID: "alice@example.org", Password: pw, TLS: DirectTLS}, "example.org:5223", ""},
		{"server override", Config{JID: "alice@example.org/desk", Password: pw, Server: "10.0.0.2:5999"}, "10.0.0.2:5999", ""},
		{"no JID", Config{Password: pw}, "", "no XMPP address"},
		{"no user", Config{JID: "example.org", Password: pw}, "", "has no user name"},
		{"bad JID", Config{JID: "a@b@c", Password: pw}, "", "not a valid XMPP address"},
		{"no password", Config{JID: "alice@example.org"}, "", "no password given for alice@example.org"},
		{"server without port", Config{JID: "alice@example.org", Password: pw, Server: "10.0.0.2"}, "", "write it as host:port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := newAccount(tc.cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.addr != tc.wantAddr {
				t.Errorf("addr %q, want %q", a.addr, tc.wantAddr)
			}
			if a.cfg.Backoff != (Backoff{time.Second, 60 * time.Second}) || a.cfg.Timeout != 30*time.Second || a.cfg.PingInterval != time.Minute {
				t.Errorf("defaults: %+v %v %v", a.cfg.Backoff, a.cfg.Timeout, a.cfg.PingInterval)
			}
			if &a.cfg.Password[0] == &tc.cfg.Password[0] {
				t.Error("password not copied")
			}
		})
	}
}
