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

func TestInteropLibotrAKE(t *testing.T) {
	tests := []struct {
		name      string
		weStart   bool
		ourPolicy Policy
		libPolicy int
		version   int
	}{
		{"v3 we query", true, policyV3, libotrAllowV2 | libotrAllowV3, 3},
		{"v3 libotr queries", false, policyV3, libotrAllowV2 | libotrAllowV3, 3},
		{"v2 we allow only v2", true, policyV2, libotrAllowV2 | libotrAllowV3, 2},
		{"v2 libotr allows only v2", false, policyV3, libotrAllowV2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			us := newPeer(t, "alice", tt.ourPolicy, 0x1111, 0)
			lib := startLibotr(t, "bob", tt.libPolicy, 0)
			if tt.weStart {
				relay(t, us, lib, []string{us.c.QueryMessage()}, nil)
			} else {
				relay(t, us, lib, nil, lib.do("query"))
			}
			checkLibotrSecure(t, us, lib, tt.version)
			exchangeWithLibotr(t, us, lib, 4)
		})
	}
}

// exchangeWithLibotr sends n rounds both ways, varying who sends twice,
// and checks what each side showed.
func exchangeWithLibotr(t *testing.T, us *peer, lib *libotrPeer, n int) {
	t.Helper()
	var wantLib, wantUs []string
	for i := 0; i < n; i++ {
		for j := 0; j < 1+i%2; j++ {
			m := fmt.Sprintf("from us %d.%d <b>ü</b>", i, j)
			wantLib = append(wantLib, m)
			relay(t, us, lib, us.send(t, m), nil)
		}
		for j := 0; j < 2-i%2; j++ {
			m := fmt.Sprintf("from libotr %d.%d", i, j)
			wantUs = append(wantUs, m)
			relay(t, us, lib, nil, lib.do("send "+m))
		}
	}
	if strings.Join(lib.shown, "|") != strings.Join(wantLib, "|") {
		t.Fatalf("libotr showed %q, want %q", lib.shown, wantLib)
	}
	if strings.Join(us.shown, "|") != strings.Join(wantUs, "|") {
		t.Fatalf("we showed %q, want %q", us.shown, wantUs)
	}
}

func TestInteropLibotrFragments(t *testing.T) {
	for _, v := range []struct {
		name    string
		policy  Policy
		version int
	}{{"v3", policyV3, 3}, {"v2", policyV2, 2}} {
		t.Run(v.name, func(t *testing.T) {
			us := newPeer(t, "alice", v.policy, 0x1111, 180)
			lib := startLibotr(t, "bob", libotrAllowV2|libotrAllowV3, 180)
			relay(t, us, lib, []string{us.c.QueryMessage()}, nil)
			checkLibotrSecure(t, us, lib, v.version)
			long := strings.Repeat("a long message in many pieces. ", 60)
			relay(t, us, lib, us.send(t, long), nil)
			frags := lib.do("send " + long)
			if len(frags) < 5 {
				t.Fatalf("libotr sent %d fragments", len(frags))
			}
			relay(t, us, lib, nil, frags)
			if len(lib.shown) != 1 || lib.shown[0] != long || len(us.shown) != 1 || us.shown[0] != long {
				t.Fatalf("long message lost: libotr %d shown, us %d shown", len(lib.shown), len(us.shown))
			}
		})
	}
}

func TestInteropLibotrSMP(t *testing.T) {
	tests := []struct {
		name         string
		weStart      bool
		question     string
		ours, theirs string
		same         bool
	}{
		{"we start, same", true, "", "s3cret", "s3cret", true},
		{"we start with question, same", true, "first pet?", "rex", "rex", true},
		{"we start, different", true, "", "s3cret", "other", false},
		{"libotr starts, same", false, "", "s3cret", "s3cret", true},
		{"libotr starts with question, same", false, "city?", "Berlin", "Berlin", true},
		{"libotr starts, different", false, "", "s3cret", "other", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			us := newPeer(t, "alice", policyV3, 0x1111, 0)
			lib := startLibotr(t, "bob", libotrAllowV2|libotrAllowV3, 0)
			relay(t, us, lib, []string{us.c.QueryMessage()}, nil)
			checkLibotrSecure(t, us, lib, 3)
			if tt.weStart {
				relay(t, us, lib, authenticate(t, us, tt.question, tt.ours), nil)
				ask := "ask_secret"
				if tt.question != "" {
					ask = "ask_answer"
				}
				if e := lib.find("smp", ask); e == nil || strings.TrimPrefix(e.text, ask+" ") != tt.question {
					t.Fatalf("libotr: %v", lib.events)
				}
				relay(t, us, lib, nil, lib.do("answer "+tt.theirs))
			} else {
				cmd := "smp " + tt.theirs
				if tt.question != "" {
					cmd = "smpq " + tt.question + "\t" + tt.theirs
				}
				relay(t, us, lib, nil, lib.do(cmd))
				need := us.has(SMPSecretNeeded)
				if need == nil || need.Question != tt.question {
					t.Fatalf("us: %v", us.events)
				}
				relay(t, us, lib, authenticate(t, us, "", tt.ours), nil)
			}
			libWant, usWant := "failure", SMPFailed
			if tt.same {
				libWant, usWant = "success", SMPSucceeded
			}
			if lib.find("smp", libWant) == nil || us.has(usWant) == nil {
				t.Fatalf("libotr %v, us %v", lib.events, us.events)
			}
		})
	}
	t.Run("libotr aborts", func(t *testing.T) {
		us := newPeer(t, "alice", policyV3, 0x1111, 0)
		lib := startLibotr(t, "bob", libotrAllowV2|libotrAllowV3, 0)
		relay(t, us, lib, []string{us.c.QueryMessage()}, nil)
		relay(t, us, lib, authenticate(t, us, "", "x"), nil)
		relay(t, us, lib, nil, lib.do("abort"))
		if us.has(SMPAborted) == nil {
			t.Fatalf("us: %v", us.events)
		}
	})
	t.Run("we abort", func(t *testing.T) {
		us := newPeer(t, "alice", policyV3, 0x1111, 0)
		lib := startLibotr(t, "bob", libotrAllowV2|libotrAllowV3, 0)
		relay(t, us, lib, []string{us.c.QueryMessage()}, nil)
		relay(t, us, lib, nil, lib.do("smp x"))
		abort, err := us.c.AbortSMP()
		if err != nil {
			t.Fatal(err)
		}
		relay(t, us, lib, abort, nil)
		if lib.find("smp", "abort") == nil {
			t.Fatalf("libotr: %v", lib.events)
		}
	})
}

func TestInteropLibotrExtraKey(t *testing.T) {
	us := newPeer(t, "alice", policyV3, 0x1111, 0)
	lib := startLibotr(t, "bob", libotrAllowV2|libotrAllowV3, 0)
	relay(t, us, lib, []string{us.c.QueryMessage()}, nil)
	checkLibotrSecure(t, us, lib, 3)
	relay(t, us, lib, nil, lib.do("send rotate keys first"))
	key, msgs, err := us.c.ExtraSymmetricKey(7, []byte("file"))
	if err != nil {
		t.Fatal(err)
	}
	relay(t, us, lib, msgs, nil)
	if e := lib.find("symkey", ""); e == nil || e.text != fmt.Sprintf("7 %x", key) {
		t.Fatalf("libotr derived %v, we %x", e, key)
	}
	relay(t, us, lib, nil, lib.do("symkey 9"))
	ours := lib.find("ourkey", "9 ")
	e := us.has(ExtraKeyReceived)
	if ours == nil || e == nil || ours.text != fmt.Sprintf("9 %x", e.ExtraKey) || string(e.ExtraKeyData) != "padlock" {
		t.Fatalf("libotr's key %v, ours %+v", ours, e)
	}
}

func TestInteropLibotrEnd(t *testing.T) {
	us := newPeer(t, "alice", policyV3, 0x1111, 0)
	lib := startLibotr(t, "bob", libotrAllowV2|libotrAllowV3, 0)
	relay(t, us, lib, []string{us.c.QueryMessage()}, nil)
	relay(t, us, lib, nil, lib.do("end"))
	if us.has(WentInsecure) == nil {
		t.Fatalf("libotr's end not seen: %v", us.events)
	}
	us.c.End()
	us.events, lib.events = nil, nil
	relay(t, us, lib, nil, lib.do("query"))
	checkLibotrSecure(t, us, lib, 3)
	bye, err := us.c.End()
	if err != nil {
		t.Fatal(err)
	}
	relay(t, us, lib, bye, nil)
	if lib.find("disconnected", "") == nil {
		t.Fatalf("our end not seen by libotr: %v", lib.events)
	}
}

func TestInteropLibotrPolicies(t *testing.T) {
	t.Run("whitespace tags both ways", func(t *testing.T) {
		us := newPeer(t, "alice", policyAuto, 0x1111, 0)
		lib := startLibotr(t, "bob", libotrAllowV2|libotrAllowV3|libotrSendWSTag|libotrWSStartAKE, 0)
		relay(t, us, lib, nil, lib.do("send hi there"))
		checkLibotrSecure(t, us, lib, 3)
		if len(us.shown) != 1 || us.shown[0] != "hi there" {
			t.Fatalf("we showed %q", us.shown)
		}
		us2 := newPeer(t, "alice", policyAuto, 0x1111, 0)
		lib2 := startLibotr(t, "bob", libotrAllowV2|libotrAllowV3|libotrWSStartAKE, 0)
		relay(t, us2, lib2, us2.send(t, "hello"), nil)
		checkLibotrSecure(t, us2, lib2, 3)
	})
	t.Run("libotr requires encryption", func(t *testing.T) {
		us := newPeer(t, "alice", policyV3, 0x1111, 0)
		lib := startLibotr(t, "bob", libotrAllowV2|libotrAllowV3|libotrRequireEncr, 0)
		relay(t, us, lib, nil, lib.do("send held by libotr"))
		checkLibotrSecure(t, us, lib, 3)
		if len(us.shown) != 1 || !strings.HasSuffix(us.shown[0], "held by libotr") {
			t.Fatalf("we showed %q", us.shown)
		}
	})
	t.Run("we require encryption", func(t *testing.T) {
		p := policyV3
		p.RequireEncryption = true
		us := newPeer(t, "alice", p, 0x1111, 0)
		lib := startLibotr(t, "bob", libotrAllowV2|libotrAllowV3, 0)
		out, err := us.c.Send("held by us")
		if err != ErrHeld {
			t.Fatal(err)
		}
		relay(t, us, lib, out, nil)
		checkLibotrSecure(t, us, lib, 3)
		if len(lib.shown) != 1 || lib.shown[0] != "held by us" {
			t.Fatalf("libotr showed %q", lib.shown)
		}
	})
	t.Run("message for another instance", func(t *testing.T) {
		us := newPeer(t, "alice", policyV3, 0x1111, 0)
		lib := startLibotr(t, "bob", libotrAllowV2|libotrAllowV3, 0)
		relay(t, us, lib, []string{us.c.QueryMessage()}, nil)
		m := mustParse(t, us.send(t, "not for you")[0])
		m.receiverTag = 0x7777
		if out := lib.do("recv " + encodeWire(m.marshal())); len(out) != 0 || len(lib.shown) != 0 {
			t.Fatalf("libotr used a message for another instance: %q %q", out, lib.shown)
		}
		if lib.find("msgevent", "15") == nil { // OTRL_MSGEVENT_RCVDMSG_FOR_OTHER_INSTANCE
			t.Fatalf("libotr did not report a message for another instance: %v", lib.events)
		}
	})
}

// TestInteropLibotrTwoInstances is the case instance tags exist for: the
// correspondent is logged in twice and the network delivers everything to
// both. Both instances answer our query; the AKE must settle with one of
// them, without looping, and the other must ignore what is not addressed to
// it.
func TestInteropLibotrTwoInstances(t *testing.T) {
	us := newPeer(t, "alice", policyV3, 0x1111, 0)
	libs := []*libotrPeer{
		startLibotr(t, "bob", libotrAllowV2|libotrAllowV3, 0),
		startLibotr(t, "bob", libotrAllowV2|libotrAllowV3, 0),
	}
	broadcast := func(toLibs []string) {
		for round := 0; len(toLibs) > 0; round++ {
			if round > 30 {
				t.Fatal("the AKE with two instances did not settle")
			}
			var toUs []string
			for _, m := range toLibs {
				for _, lib := range libs {
					toUs = append(toUs, lib.do("recv "+m)...)
				}
			}
			if round == 0 && len(toLibs) == 1 && toLibs[0] == us.c.QueryMessage() && len(toUs) != 2 {
				t.Fatalf("expected a D-H Commit from each instance, got %d messages", len(toUs))
			}
			toLibs = nil
			for _, m := range toUs {
				plain, out, ev, err := us.c.Receive(m)
				if err != nil {
					t.Fatalf("receiving %.60q: %v", m, err)
				}
				if plain != "" {
					us.shown = append(us.shown, plain)
				}
				us.events = append(us.events, ev...)
				toLibs = append(toLibs, out...)
			}
		}
	}
	broadcast([]string{us.c.QueryMessage()})
	if !us.c.IsEncrypted() {
		t.Fatalf("not secure: %v", us.events)
	}
	var secure []*libotrPeer
	for _, lib := range libs {
		if lib.find("secure", "") != nil {
			secure = append(secure, lib)
		}
	}
	if len(secure) != 1 {
		t.Fatalf("%d libotr instances went secure", len(secure))
	}
	checkLibotrSecure(t, us, secure[0], 3)
	broadcast(us.send(t, "for one instance only"))
	shown := 0
	for _, lib := range libs {
		shown += len(lib.shown)
	}
	if shown != 1 || len(secure[0].shown) != 1 {
		t.Fatalf("message shown %d times (the secure instance %d)", shown, len(secure[0].shown))
	}
	// The secure instance answers; the other has nothing to say.
	broadcast(nil)
	relay(t, us, secure[0], nil, secure[0].do("send reply from the right instance"))
	if us.shown[len(us.shown)-1] != "reply from the right instance" {
		t.Fatalf("we showed %q", us.shown)
	}
}
