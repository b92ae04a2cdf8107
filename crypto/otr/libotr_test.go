package otr

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

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
		{"v3 padded", true, policyV3, libotrAllowV2 | libotrAllowV3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			us := newPeer(t, "alice", tt.ourPolicy, 0x1111, 0)
			lib := startLibotr(t, "bob", tt.libPolicy, 0)
			if strings.HasSuffix(tt.name, "padded") {
				us.c.cfg.PadTo = 256
			}
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

func TestInteropLibotrHeartbeat(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c, err := NewConversation(Config{PrivateKey: testKey(t, "alice"), Policy: policyV3, Rand: newDetRand("alice"),
		InstanceTag: 0x1111, HeartbeatInterval: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	us := &peer{name: "alice", c: c}
	lib := startLibotr(t, "bob", libotrAllowV2|libotrAllowV3, 0)
	relay(t, us, lib, []string{us.c.QueryMessage()}, nil)
	now = now.Add(5 * time.Minute)
	relay(t, us, lib, nil, lib.do("send are you there?"))
	if lib.find("msgevent", "10") == nil { // OTRL_MSGEVENT_LOG_HEARTBEAT_RCVD
		t.Fatalf("libotr saw no heartbeat: %v", lib.events)
	}
	if len(lib.shown) != 0 {
		t.Fatalf("libotr showed the heartbeat: %q", lib.shown)
	}
}
