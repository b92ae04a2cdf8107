package linphone

import (
	"fmt"
	"path/filepath"
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

func TestZRTPBetweenTwoLinphonecs(t *testing.T) {
	k := kamailio.Start(t, kamailio.User{Name: "alice", Password: "alicepass"}, kamailio.User{Name: "bob", Password: "bobpass"})
	a := Start(t, Config{User: "alice", Password: "alicepass", Domain: "127.0.0.1", Registrar: k.Addr, MediaEncryption: "zrtp", Mandatory: true})
	b := Start(t, Config{User: "bob", Password: "bobpass", Domain: "127.0.0.1", Registrar: k.Addr, MediaEncryption: "zrtp", Mandatory: true, AutoAnswer: true})
	tone, rec := filepath.Join(t.TempDir(), "tone440.wav"), filepath.Join(t.TempDir(), "bob.wav")
	if err := WriteTone(tone, 8000, 440, 5, 0.5); err != nil {
		t.Fatal(err)
	}
	a.Play(t, tone)
	b.Record(t, rec)
	ma, mb := a.Mark(), b.Mark()
	a.Send(t, "call sip:bob@127.0.0.1")
	sa, sb := a.WaitSAS(t, ma, 10*time.Second), b.WaitSAS(t, mb, 10*time.Second)
	if sa != sb || len(sa) != 4 {
		t.Fatalf("SAS %q and %q", sa, sb)
	}
	t.Logf("SAS %s", sa)
	// bob hears alice's tone.
	time.Sleep(1500 * time.Millisecond) // let audio flow: the recording is the thing measured
	a.Send(t, "terminate")
	b.WaitForAfter(t, mb, "ended", 5*time.Second)
	samples, rate, err := ReadWAV(rec)
	if err != nil {
		t.Fatal(err)
	}
	l440, l1000 := Level(samples, rate, 440), Level(samples, rate, 1000)
	t.Logf("bob recorded %d samples at %d Hz: level at 440 Hz %.3f, at 1 kHz %.5f", len(samples), rate, l440, l1000)
	if l440 < 0.002 || l440 < 20*l1000 {
		t.Errorf("no 440 Hz tone in bob's recording")
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
