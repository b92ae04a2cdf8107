package otr

import (
	"strings"
	"testing"

	xotr "golang.org/x/crypto/otr"
)

// Interoperability with golang.org/x/crypto/otr, an independent OTR v2
// implementation (it speaks v2 only and knows no instance tags).

type xpeer struct {
	c       *xotr.Conversation
	shown   []string
	changes []xotr.SecurityChange
}

func newXPeer(t *testing.T, name string, fragSize int) *xpeer {
	t.Helper()
	b, err := testKey(t, name).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	k := new(xotr.PrivateKey)
	if _, ok := k.Parse(b); !ok {
		t.Fatal("x/crypto/otr cannot parse our key encoding")
	}
	return &xpeer{c: &xotr.Conversation{PrivateKey: k, Rand: newDetRand("x" + name), FragmentSize: fragSize}}
}

func (x *xpeer) receive(t *testing.T, msg string) []string {
	t.Helper()
	out, _, change, toSend, err := x.c.Receive([]byte(msg))
	if err != nil {
		t.Fatalf("x/crypto/otr receiving %.60q: %v", msg, err)
	}
	if len(out) > 0 {
		x.shown = append(x.shown, string(out))
	}
	if change != xotr.NoChange {
		x.changes = append(x.changes, change)
	}
	return strs(toSend)
}

func strs(bs [][]byte) []string {
	var out []string
	for _, b := range bs {
		out = append(out, string(b))
	}
	return out
}

func (x *xpeer) has(c xotr.SecurityChange) bool {
	for _, got := range x.changes {
		if got == c {
			return true
		}
	}
	return false
}

// bounce passes messages between our engine and x/crypto/otr until both
// are quiet. toX go to x first; toUs go to us first.
func bounce(t *testing.T, us *peer, x *xpeer, toX, toUs []string) {
	t.Helper()
	for round := 0; len(toX)+len(toUs) > 0; round++ {
		if round > 50 {
			t.Fatal("conversation did not settle")
		}
		var nextX, nextUs []string
		for _, m := range toX {
			nextUs = append(nextUs, x.receive(t, m)...)
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
			nextX = append(nextX, out...)
		}
		toX, toUs = nextX, nextUs
	}
}

func checkXSecure(t *testing.T, us *peer, x *xpeer) {
	t.Helper()
	e := us.has(WentSecure)
	if e == nil || !x.has(xotr.NewKeys) || !x.c.IsEncrypted() {
		t.Fatalf("not secure: ours %v, x %v", us.events, x.changes)
	}
	if e.Version != 2 {
		t.Fatalf("version %d with a v2-only peer", e.Version)
	}
	if e.SSID != x.c.SSID {
		t.Fatalf("ssid: ours %x, x/crypto/otr %x", e.SSID, x.c.SSID)
	}
	if e.Fingerprint != [20]byte(x.c.PrivateKey.PublicKey.Fingerprint()) {
		t.Fatal("fingerprint of x/crypto/otr's key differs")
	}
	if got := x.c.TheirPublicKey.Fingerprint(); [20]byte(got) != us.c.cfg.PrivateKey.Fingerprint() {
		t.Fatal("x/crypto/otr sees a different fingerprint for our key")
	}
}

func TestInteropXCryptoAKE(t *testing.T) {
	tests := []struct {
		name      string
		weStart   bool
		ourPolicy Policy
	}{
		{"we query, v2+v3 policy", true, policyV3},
		{"we query, v2 policy", true, policyV2},
		{"they query", false, policyV3},
		{"we query, padded", true, policyV3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			us := newPeer(t, "alice", tt.ourPolicy, 0x1111, 0)
			x := newXPeer(t, "bob", 0)
			if strings.HasSuffix(tt.name, "padded") {
				us.c.cfg.PadTo = 256
			}
			if tt.weStart {
				bounce(t, us, x, []string{us.c.QueryMessage()}, nil)
			} else {
				bounce(t, us, x, nil, []string{xotr.QueryMessage})
			}
			checkXSecure(t, us, x)
			exchangeWithX(t, us, x, 5)
		})
	}
}

// exchangeWithX sends n rounds of messages both ways (rotating keys each
// time) and checks what each side showed.
func exchangeWithX(t *testing.T, us *peer, x *xpeer, n int) {
	t.Helper()
	var wantX, wantUs []string
	for i := 0; i < n; i++ {
		m := "from us " + strings.Repeat("·", i)
		wantX = append(wantX, m)
		bounce(t, us, x, us.send(t, m), nil)
		// two in a row from x, then one from us, to vary the rotation
		for j := 0; j < 2; j++ {
			m := "from x/crypto " + strings.Repeat("*", i+j)
			wantUs = append(wantUs, m)
			out, err := x.c.Send([]byte(m))
			if err != nil {
				t.Fatal(err)
			}
			bounce(t, us, x, nil, strs(out))
		}
	}
	if strings.Join(x.shown, "|") != strings.Join(wantX, "|") {
		t.Fatalf("x/crypto/otr showed %q, want %q", x.shown, wantX)
	}
	if strings.Join(us.shown, "|") != strings.Join(wantUs, "|") {
		t.Fatalf("we showed %q, want %q", us.shown, wantUs)
	}
}

func TestInteropXCryptoFragments(t *testing.T) {
	us := newPeer(t, "alice", policyV3, 0x1111, 150)
	x := newXPeer(t, "bob", 150)
	bounce(t, us, x, []string{us.c.QueryMessage()}, nil)
	checkXSecure(t, us, x)
	long := strings.Repeat("fragmented both ways. ", 80)
	bounce(t, us, x, us.send(t, long), nil)
	out, err := x.c.Send([]byte(long))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 5 {
		t.Fatalf("x/crypto/otr sent %d fragments", len(out))
	}
	bounce(t, us, x, nil, strs(out))
	if len(x.shown) != 1 || x.shown[0] != long || len(us.shown) != 1 || us.shown[0] != long {
		t.Fatal("long message lost on the way")
	}
}

func TestInteropXCryptoEnd(t *testing.T) {
	us := newPeer(t, "alice", policyV3, 0x1111, 0)
	x := newXPeer(t, "bob", 0)
	bounce(t, us, x, []string{us.c.QueryMessage()}, nil)
	bounce(t, us, x, nil, strs(x.c.End()))
	if us.has(WentInsecure) == nil {
		t.Fatal("x/crypto/otr's end not seen")
	}
	us.c.End()
	us.events, x.changes = nil, nil
	bounce(t, us, x, []string{us.c.QueryMessage()}, nil)
	bye, err := us.c.End()
	if err != nil {
		t.Fatal(err)
	}
	bounce(t, us, x, bye, nil)
	if !x.has(xotr.ConversationEnded) {
		t.Fatal("our end not seen by x/crypto/otr")
	}
}
