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

func TestFingerprint(t *testing.T) {
	var fp [32]byte
	for i := range fp {
		fp[i] = byte(i * 7)
	}
	s := FormatFingerprint(fp)
	if !strings.HasPrefix(s, "00:07:0E:15:") || len(s) != 32*3-1 {
		t.Fatalf("FormatFingerprint = %s", s)
	}
	for _, in := range []string{s, strings.ToLower(s), strings.ReplaceAll(s, ":", ""), strings.ReplaceAll(s, ":", " ")} {
		got, err := ParseFingerprint(in)
		if err != nil || got != fp {
			t.Errorf("ParseFingerprint(%q) = %x, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "00:11", s + ":00", strings.Replace(s, "00", "zz", 1)} {
		if _, err := ParseFingerprint(bad); err == nil {
			t.Errorf("ParseFingerprint(%q) accepted", bad)
		}
	}
}

func FuzzParseFingerprint(f *testing.F) {
	f.Add("00:07:0E:15:1C:23:2A:31:38:3F:46:4D:54:5B:62:69:70:77:7E:85:8C:93:9A:A1:A8:AF:B6:BD:C4:CB:D2:D9")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		fp, err := ParseFingerprint(s)
		if err != nil {
			return
		}
		// Whatever parses survives a round trip through the display form.
		if again, err := ParseFingerprint(FormatFingerprint(fp)); err != nil || again != fp {
			t.Fatalf("round trip of %q: %x %v", s, again, err)
		}
	})
}
