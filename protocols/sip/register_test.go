package sip

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/tests/peers/kamailio"
)

func newDriver(t *testing.T, st *statusLog, accts ...Account) *Driver {
	t.Helper()
	d, err := New(Config{
		Accounts:       accts,
		Media:          newUDPMedia(),
		OnStatus:       st.report,
		Backoff:        fastBackoff,
		KeepAlive:      300 * time.Millisecond,
		RequestTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestRegisterWithKamailio(t *testing.T) {
	k := kamailio.Start(t, kamailio.User{Name: "alice", Password: "alicepass"}, kamailio.User{Name: "carol", Password: "carolpass"})
	tests := []struct {
		name     string
		acct     Account
		wantOK   bool
		wantText string
	}{
		{"udp", Account{User: "alice", Password: "alicepass", Domain: "127.0.0.1", Registrar: k.Addr, Expires: time.Minute}, true, ""},
		{"udp on every address", Account{User: "alice", Password: "alicepass", Domain: "127.0.0.1", Registrar: k.Addr, Listen: "0.0.0.0:0"}, true, ""},
		{"udp dual stack", Account{User: "alice", Password: "alicepass", Domain: "127.0.0.1", Registrar: k.Addr, Listen: ":0"}, true, ""},
		{"tcp", Account{User: "carol", Password: "carolpass", Domain: "127.0.0.1", Registrar: k.Addr, Transport: "tcp"}, true, ""},
		{"wrong password", Account{User: "alice", Password: "nope", Domain: "127.0.0.1", Registrar: k.Addr}, false, "registrar answered 401: wrong password for alice@127.0.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newStatusLog()
			d := newDriver(t, st, tc.acct)
			d.Start()
			s := st.wait(t, 5*time.Second, "registration result", func(AccountStatus) bool { return true })
			if s.Registered != tc.wantOK {
				t.Fatalf("registered = %v (%v), want %v\nkamailio log:\n%s", s.Registered, s.Err, tc.wantOK, k.Log())
			}
			if !tc.wantOK {
				if s.Err == nil || s.Err.Error() != tc.wantText {
					t.Fatalf("error %q, want %q", s.Err, tc.wantText)
				}
				return
			}
			if c := k.Contacts(tc.acct.User); len(c) == 0 {
				t.Fatalf("kamailio has no contact for %s", tc.acct.User)
			} else {
				t.Logf("kamailio contacts for %s: %v", tc.acct.User, c)
				if tc.acct.Transport == "" {
					// Over UDP requests leave from the socket we registered,
					// so replies and calls come back to it.
					port := c[0][strings.LastIndex(c[0], ":")+1:]
					if !strings.Contains(k.Log(), "REGISTER sip:127.0.0.1 from 127.0.0.1:"+port+" ") {
						t.Errorf("REGISTER did not come from the contact port %s:\n%s", port, k.Log())
					}
				}
			}
			if tc.acct.Expires > 0 && s.Expires != tc.acct.Expires {
				t.Errorf("granted %v, want %v", s.Expires, tc.acct.Expires)
			}
		})
	}
}

func TestRegistrarUnreachable(t *testing.T) {
	port := kamailio.FreePort(t) // nothing listens there
	st := newStatusLog()
	d := newDriver(t, st, Account{User: "alice", Password: "x", Domain: "127.0.0.1", Registrar: "127.0.0.1:" + itoa(port)})
	d.Start()
	s := st.wait(t, 5*time.Second, "registration result", func(AccountStatus) bool { return true })
	if s.Registered || s.Err == nil || !strings.Contains(s.Err.Error(), "did not answer") {
		t.Fatalf("status %+v, want a 'did not answer' error", s)
	}
}

func TestReregisterAfterKamailioRestart(t *testing.T) {
	k := kamailio.Start(t, kamailio.User{Name: "alice", Password: "alicepass"})
	st := newStatusLog()
	d := newDriver(t, st, Account{User: "alice", Password: "alicepass", Domain: "127.0.0.1", Registrar: k.Addr})
	d.Start()
	st.wait(t, 5*time.Second, "registration", func(s AccountStatus) bool { return s.Registered })
	k.Stop()
	st.wait(t, 5*time.Second, "loss of the registrar", func(s AccountStatus) bool { return !s.Registered })
	k.Start()
	start := time.Now()
	st.wait(t, 10*time.Second, "registration after restart", func(s AccountStatus) bool { return s.Registered })
	t.Logf("registered again %v after kamailio came back", time.Since(start))
	if len(k.Contacts("alice")) == 0 {
		t.Fatal("the restarted kamailio has no contact for alice")
	}
}

func registerCount(log string) int {
	n := 0
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "REGISTER sip:127.0.0.1 from") && strings.Contains(l, "@padlock)") {
			n++
		}
	}
	return n
}

func TestRegisterRefreshAndUnregister(t *testing.T) {
	k := kamailio.Start(t, kamailio.User{Name: "alice", Password: "alicepass"})
	st := newStatusLog()
	d := newDriver(t, st, Account{User: "alice", Password: "alicepass", Domain: "127.0.0.1", Registrar: k.Addr, Expires: 2 * time.Second})
	d.Start()
	s := st.wait(t, 5*time.Second, "registration", func(s AccountStatus) bool { return s.Registered })
	if s.Expires != 2*time.Second {
		t.Fatalf("granted %v", s.Expires)
	}
	first := registerCount(k.Log()) // challenge + answer
	deadline := time.Now().Add(5 * time.Second)
	for registerCount(k.Log()) < 2*first && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := registerCount(k.Log()); n < 2*first {
		t.Fatalf("no refresh: kamailio saw %d REGISTERs", n)
	}
	if len(k.Contacts("alice")) == 0 {
		t.Fatal("registration lapsed")
	}
	d.Close()
	if c := k.Contacts("alice"); len(c) != 0 {
		t.Fatalf("still registered after Close: %v", c)
	}
}

func TestOutboundProxy(t *testing.T) {
	k := kamailio.Start(t, kamailio.User{Name: "alice", Password: "alicepass"})
	st := newStatusLog()
	// Nothing listens at the registrar address: only the proxy can answer.
	d := newDriver(t, st, Account{User: "alice", Password: "alicepass", Domain: "127.0.0.1",
		Registrar: "127.0.0.1:" + itoa(kamailio.FreePort(t)), Proxy: k.Addr})
	d.Start()
	st.wait(t, 5*time.Second, "registration through the proxy", func(s AccountStatus) bool { return s.Registered })
}

func TestTwoAccountsCallEachOther(t *testing.T) {
	k := kamailio.Start(t, kamailio.User{Name: "alice", Password: "alicepass"}, kamailio.User{Name: "dave", Password: "davepass"})
	st := newStatusLog()
	d := newDriver(t, st,
		Account{User: "alice", Password: "alicepass", Domain: "127.0.0.1", Registrar: k.Addr},
		Account{User: "dave", Password: "davepass", Domain: "127.0.0.1", Registrar: k.Addr, Transport: "tcp"})
	d.Start()
	registered := map[string]bool{}
	st.wait(t, 5*time.Second, "both accounts registered", func(s AccountStatus) bool {
		registered[s.Account] = s.Registered
		return registered["alice@127.0.0.1"] && registered["dave@127.0.0.1"]
	})
	out, err := d.Dial("dave") // from the first account, alice
	if err != nil {
		t.Fatal(err)
	}
	in := waitEvent[call.Incoming](t, d, "", callWait)
	if in.From != "alice@127.0.0.1" || in.Account != "dave@127.0.0.1" {
		t.Fatalf("incoming %+v", in)
	}
	if err := d.Answer(in.ID); err != nil {
		t.Fatal(err)
	}
	got := map[call.ID]bool{}
	for len(got) < 2 {
		got[waitEvent[call.Answered](t, d, "", callWait).ID] = true
	}
	if !got[out] || !got[in.ID] {
		t.Fatalf("answered %v", got)
	}
	d.Hangup(out)
	ended := map[call.ID]string{}
	for len(ended) < 2 {
		e := waitEvent[call.Ended](t, d, "", callWait)
		ended[e.ID] = e.Reason
	}
	if ended[out] != "hung up" || ended[in.ID] != "the other side hung up" {
		t.Fatalf("ended %v", ended)
	}
	// And back, from the second account, which the target alone would not pick.
	back, err := d.DialFrom("dave@127.0.0.1", "alice")
	if err != nil {
		t.Fatal(err)
	}
	in = waitEvent[call.Incoming](t, d, "", callWait)
	if in.From != "dave@127.0.0.1" || in.Account != "alice@127.0.0.1" {
		t.Fatalf("incoming %+v", in)
	}
	d.Reject(in.ID, call.Busy)
	if e := waitEvent[call.Ended](t, d, back, callWait); e.Reason != "alice@127.0.0.1 is busy" {
		t.Errorf("reason %q", e.Reason)
	}
	if _, err := d.DialFrom("nobody@127.0.0.1", "alice"); err == nil {
		t.Error("dialled from an unknown account")
	}
}

func TestTLSAccount(t *testing.T) {
	k := kamailio.StartWith(t, kamailio.Options{TLS: true},
		kamailio.User{Name: "alice", Password: "alicepass"}, kamailio.User{Name: "erin", Password: "erinpass"})
	st := newStatusLog()
	d := newDriver(t, st,
		Account{User: "erin", Password: "erinpass", Domain: "127.0.0.1", Registrar: k.Addr},
		Account{User: "alice", Password: "alicepass", Domain: "127.0.0.1", Registrar: k.TLSAddr, Transport: "tls",
			TLS: &tls.Config{RootCAs: k.Roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}})
	d.Start()
	registered := map[string]bool{}
	st.wait(t, 5*time.Second, "both accounts registered", func(s AccountStatus) bool {
		registered[s.Account] = s.Registered
		return registered["alice@127.0.0.1"] && registered["erin@127.0.0.1"]
	})
	if c := k.Contacts("alice"); len(c) != 1 || !strings.Contains(c[0], "transport=tls") {
		t.Fatalf("alice's contact %v", c)
	}
	// erin (UDP) calls alice (TLS): kamailio opens TLS to alice's listener.
	out, err := d.Dial("alice")
	if err != nil {
		t.Fatal(err)
	}
	in := waitEvent[call.Incoming](t, d, "", callWait)
	if in.Account != "alice@127.0.0.1" {
		t.Fatalf("incoming %+v", in)
	}
	d.Answer(in.ID)
	got := map[call.ID]bool{}
	for len(got) < 2 {
		got[waitEvent[call.Answered](t, d, "", callWait).ID] = true
	}
	d.Hangup(in.ID) // BYE from the TLS side
	if e := waitEvent[call.Ended](t, d, out, callWait); e.Reason != "the other side hung up" {
		t.Errorf("reason %q", e.Reason)
	}
}

func TestTLSWrongRoots(t *testing.T) {
	k := kamailio.StartWith(t, kamailio.Options{TLS: true}, kamailio.User{Name: "alice", Password: "alicepass"})
	st := newStatusLog()
	d := newDriver(t, st, Account{User: "alice", Password: "alicepass", Domain: "127.0.0.1", Registrar: k.TLSAddr, Transport: "tls",
		TLS: &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "127.0.0.1"}})
	d.Start()
	s := st.wait(t, 5*time.Second, "registration result", func(AccountStatus) bool { return true })
	if s.Registered || s.Err == nil || !strings.Contains(s.Err.Error(), "showed a TLS certificate this phone does not trust") {
		t.Fatalf("status %+v, want a certificate error", s)
	}
	t.Logf("error: %v", s.Err)
}
