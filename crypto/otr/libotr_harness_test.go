package otr

import (
	"bufio"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Interoperability with libotr 4 (the reference implementation, protocol
// versions 2 and 3), driven through testdata/libotr/peer.c: a small C
// program built here against the system's libotr.

const libotrHint = "install the libotr headers and a C compiler: apt-get install libotr5-dev gcc pkg-config (listed in deps.txt)"

// libotr policy bits (OTRL_POLICY_*).
const (
	libotrAllowV2       = 0x02
	libotrAllowV3       = 0x04
	libotrRequireEncr   = 0x08
	libotrSendWSTag     = 0x10
	libotrWSStartAKE    = 0x20
	libotrErrorStartAKE = 0x40
)

var (
	libotrOnce sync.Once
	libotrBin  string
	libotrErr  error
	libotrDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if libotrDir != "" {
		os.RemoveAll(libotrDir)
	}
	os.Exit(code)
}

// buildLibotrPeer compiles the helper once per test binary.
func buildLibotrPeer(t *testing.T) string {
	t.Helper()
	libotrOnce.Do(func() {
		for _, tool := range []string{"gcc", "pkg-config"} {
			if _, err := exec.LookPath(tool); err != nil {
				libotrErr = fmt.Errorf("%s not found", tool)
				return
			}
		}
		flags, err := exec.Command("pkg-config", "--cflags", "--libs", "libotr").Output()
		if err != nil {
			libotrErr = fmt.Errorf("pkg-config libotr: %v", err)
			return
		}
		libotrDir, err = os.MkdirTemp("", "otr-libotr-peer-")
		if err != nil {
			libotrErr = err
			return
		}
		bin := filepath.Join(libotrDir, "peer")
		args := append([]string{"-O1", "-o", bin, "testdata/libotr/peer.c"}, strings.Fields(string(flags))...)
		out, err := exec.Command("gcc", append(args, "-lgcrypt")...).CombinedOutput()
		if err != nil {
			libotrErr = fmt.Errorf("building the libotr peer: %v\n%s", err, out)
			return
		}
		libotrBin = bin
	})
	if libotrErr != nil {
		t.Fatalf("libotr peer unavailable: %v; %s", libotrErr, libotrHint)
	}
	return libotrBin
}

// libotrKeyFile writes a test key in libotr's private key file format (an
// S-expression; MPIs as hex, with a leading zero byte so that none reads as
// negative).
func libotrKeyFile(t *testing.T, k *PrivateKey) string {
	h := func(v *big.Int) string { return fmt.Sprintf("#00%X#", v.Bytes()) }
	s := fmt.Sprintf("(privkeys\n (account\n  (name \"libotr@padlock.test\")\n  (protocol xmpp)\n  (private-key\n   (dsa\n    (p %s)\n    (q %s)\n    (g %s)\n    (y %s)\n    (x %s)\n   )\n  )\n )\n)\n",
		h(k.P), h(k.Q), h(k.G), h(k.Y), h(k.X))
	path := filepath.Join(t.TempDir(), "otr.private_key")
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type libLine struct{ kind, text string }

type libotrPeer struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  *bufio.Writer
	lines  chan string
	key    *PrivateKey
	shown  []string
	events []libLine // everything but inject, shown and done
}

func startLibotr(t *testing.T, keyName string, policy, maxSize int) *libotrPeer {
	t.Helper()
	bin := buildLibotrPeer(t)
	key := testKey(t, keyName)
	cmd := exec.Command(bin, libotrKeyFile(t, key), filepath.Join(t.TempDir(), "otr.instance_tags"), fmt.Sprint(policy), fmt.Sprint(maxSize))
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &libotrPeer{t: t, cmd: cmd, stdin: bufio.NewWriter(in), lines: make(chan string, 64), key: key}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(func() {
		in.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("libotr peer: %v\n%s", err, stderr.String())
		}
	})
	return p
}

func libEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

func libUnescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			case '\\':
				b.WriteByte('\\')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// do runs one command and returns the messages libotr injected.
func (p *libotrPeer) do(command string) []string {
	p.t.Helper()
	p.stdin.WriteString(libEscape(command) + "\n")
	if err := p.stdin.Flush(); err != nil {
		p.t.Fatalf("libotr peer: %v", err)
	}
	var injected []string
	timeout := time.After(20 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				p.t.Fatal("libotr peer exited")
			}
			kind, text, _ := strings.Cut(line, " ")
			text = libUnescape(text)
			switch kind {
			case "done":
				return injected
			case "inject":
				injected = append(injected, text)
			case "shown":
				p.shown = append(p.shown, text)
			case "error":
				p.t.Fatalf("libotr peer error on %.40q: %s", command, text)
			default:
				p.events = append(p.events, libLine{kind, text})
			}
		case <-timeout:
			p.t.Fatalf("libotr peer did not answer %.40q", command)
		}
	}
}

func (p *libotrPeer) find(kind, prefix string) *libLine {
	for i := range p.events {
		if p.events[i].kind == kind && strings.HasPrefix(p.events[i].text, prefix) {
			return &p.events[i]
		}
	}
	return nil
}

// relay passes messages between our engine and libotr until both are
// quiet: toLib go to libotr first, toUs to our engine first.
func relay(t *testing.T, us *peer, lib *libotrPeer, toLib, toUs []string) {
	t.Helper()
	for round := 0; len(toLib)+len(toUs) > 0; round++ {
		if round > 50 {
			t.Fatal("conversation did not settle")
		}
		var nextLib, nextUs []string
		for _, m := range toLib {
			nextUs = append(nextUs, lib.do("recv "+m)...)
		}
		for _, m := range toUs {
			plain, out, ev, err := us.c.Receive(m)
			if err != nil {
				t.Fatalf("%s receiving %.60q: %v", us.name, m, err)
			}
			if plain != "" {
				us.shown = append(us.shown, plain)
			}
			us.events = append(us.events, ev...)
			nextLib = append(nextLib, out...)
		}
		toLib, toUs = nextLib, nextUs
	}
}

// checkLibotrSecure compares what both sides say about the session.
func checkLibotrSecure(t *testing.T, us *peer, lib *libotrPeer, version int) {
	t.Helper()
	e := us.has(WentSecure)
	s := lib.find("secure", "")
	if e == nil || s == nil || !us.c.IsEncrypted() {
		t.Fatalf("not secure: ours %v, libotr %v", us.events, lib.events)
	}
	var fp, ssid string
	var v int
	var theirTag, ourTag uint32
	if _, err := fmt.Sscanf(s.text, "%s %s %d %x %x", &fp, &ssid, &v, &theirTag, &ourTag); err != nil {
		t.Fatalf("libotr secure line %q: %v", s.text, err)
	}
	ourFP := us.c.cfg.PrivateKey.Fingerprint()
	libFP := lib.key.Fingerprint()
	switch {
	case e.Version != version || v != version:
		t.Fatalf("versions: ours %d, libotr %d, want %d", e.Version, v, version)
	case fp != fmt.Sprintf("%x", ourFP):
		t.Fatalf("libotr sees fingerprint %s, ours is %x", fp, ourFP)
	case e.Fingerprint != libFP:
		t.Fatalf("we see fingerprint %x, libotr's is %x", e.Fingerprint, libFP)
	case ssid != fmt.Sprintf("%x", e.SSID):
		t.Fatalf("ssid: libotr %s, ours %x", ssid, e.SSID)
	}
	if version == 3 && (theirTag != us.c.InstanceTag() || ourTag != us.c.sess.theirTag) {
		t.Fatalf("instance tags: libotr has ours as %#x (we are %#x), its own %#x (we hold %#x)",
			theirTag, us.c.InstanceTag(), ourTag, us.c.sess.theirTag)
	}
}
