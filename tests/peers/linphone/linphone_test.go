package linphone

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/internal/testkit/ports"
	testtone "github.com/padlock-phone/padlock/internal/testkit/tone"
	"github.com/padlock-phone/padlock/media/audio"
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
	testtone.WriteWAV(t, tone, 8000, testtone.Sine(8000, 440, 0.5, 5*8000))
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
	samples, rate, err := audio.ReadWAV(rec)
	if err != nil {
		t.Fatal(err)
	}
	l440, l1000 := testtone.Level(samples, rate, 440), testtone.Level(samples, rate, 1000)
	t.Logf("bob recorded %d samples at %d Hz: level at 440 Hz %.3f, at 1 kHz %.5f", len(samples), rate, l440, l1000)
	if l440 < 0.045 || l440 < 4.5*l1000 {
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

// TestRC checks the linphonerc written for each option.
func TestRC(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string
		not  []string
	}{
		{"registrar", Config{User: "bob", Password: "pw", Domain: "127.0.0.1", Registrar: "127.0.0.1:5060", Expires: 60},
			[]string{"default_proxy=0\n", "reg_proxy=sip:127.0.0.1:5060;transport=udp\n", "reg_expires=60\n", "passwd=pw\n"},
			[]string{"zrtp_key_agreements_suites", "[audio_codec_0]"}},
		{"direct", Config{User: "erin", Domain: "127.0.0.1"},
			[]string{"default_proxy=-1\n", "use_ipv6=0\n"}, []string{"[proxy_0]", "[auth_info_0]"}},
		{"suites", Config{User: "bob", KeyAgreements: []string{"x255", "DH3K"}, Ciphers: []string{"AES3"}, Hashes: []string{"S384"}, SAS: []string{"B256"}},
			[]string{"zrtp_key_agreements_suites=MS_ZRTP_KEY_AGREEMENT_X255,MS_ZRTP_KEY_AGREEMENT_DH3K\n",
				"zrtp_cipher_suites=MS_ZRTP_CIPHER_AES3\n", "zrtp_hash_suites=MS_ZRTP_HASH_S384\n", "zrtp_sas_suites=MS_ZRTP_SAS_B256\n"}, nil},
		{"codecs", Config{User: "bob", Codecs: []string{"PCMU/8000"}},
			[]string{"[audio_codec_0]\nmime=PCMU\nrate=8000\nchannels=1\nenabled=1\n", "mime=opus\nrate=48000\nchannels=2\nenabled=0\n",
				"mime=PCMA\nrate=8000\nchannels=1\nenabled=0\n"},
			[]string{"mime=PCMU\nrate=8000\nchannels=1\nenabled=0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Phone{SIPPort: 5072, RTPPort: 7078, Dir: "/tmp/x"}
			rc := p.rc(tc.cfg)
			for _, w := range tc.want {
				if !strings.Contains(rc, w) {
					t.Errorf("rc lacks %q:\n%s", w, rc)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(rc, n) {
					t.Errorf("rc has %q:\n%s", n, rc)
				}
			}
		})
	}
}

// TestLaunchReportsTakenSIPPort: a linphonec whose SIP port is already
// bound says so, and launch reports it as ports.ErrInUse, which is what
// makes Start try other ports.
func TestLaunchReportsTakenSIPPort(t *testing.T) {
	taken := ports.UDP(t)
	rtp := ports.Reserve(t, 6, ports.UDPOnly)
	_, err := launch(t, Binary(t), Config{User: "zed", MediaEncryption: "none"}, taken.LocalAddr().(*net.UDPAddr).Port, rtp[0])
	if !errors.Is(err, ports.ErrInUse) {
		t.Fatalf("launch on a taken SIP port: %v, want ports.ErrInUse", err)
	}
}
