package linphone

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/tests/peers/kamailio"
)

func TestRegistersAndCallsAnother(t *testing.T) {
	k := kamailio.Start(t, kamailio.User{Name: "alice", Password: "alicepass"}, kamailio.User{Name: "bob", Password: "bobpass"})
	a := Start(t, Config{User: "alice", Password: "alicepass", Domain: "127.0.0.1", Registrar: k.Addr})
	b := Start(t, Config{User: "bob", Password: "bobpass", Domain: "127.0.0.1", Registrar: k.Addr, AutoAnswer: true})
	a.Send(t, "call sip:bob@127.0.0.1")
	a.WaitFor(t, "connected", 10*time.Second)
	b.WaitFor(t, "connected", 5*time.Second)
	a.Send(t, "terminate")
	a.WaitFor(t, "ended", 5*time.Second)
	b.WaitFor(t, "ended", 5*time.Second)
	if !strings.Contains(k.Log(), "INVITE sip:bob@127.0.0.1") {
		t.Errorf("the call did not go through kamailio:\n%s", k.Log())
	}
}

func TestRCHasNoAccountWithoutRegistrar(t *testing.T) {
	p := &Phone{SIPPort: 5071, RTPPort: 7078, Dir: "/x"}
	rc := p.rc(Config{User: "zed", MediaEncryption: "none"})
	if strings.Contains(rc, "[proxy_0]") || !strings.Contains(rc, "default_proxy=-1") {
		t.Errorf("rc:\n%s", rc)
	}
}

type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper()           {}
func (f *fatalRecorder) Fatal(args ...any) { f.msg = fmt.Sprint(args...) }

func TestMissingBinaryGivesInstallHint(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	rec := &fatalRecorder{TB: t}
	Binary(rec)
	if !strings.Contains(rec.msg, "apt-get install -y --no-install-recommends linphone-cli") {
		t.Errorf("message %q lacks the install hint", rec.msg)
	}
}
