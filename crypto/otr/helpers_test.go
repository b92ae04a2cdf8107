package otr

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/big"
	"testing"
)

// detRand is a deterministic randomness source for tests: SHA-256 of a
// seed and a counter.
type detRand struct {
	seed string
	n    uint64
	buf  []byte
}

func newDetRand(seed string) *detRand { return &detRand{seed: seed} }

func (r *detRand) Read(p []byte) (int, error) {
	for i := range p {
		if len(r.buf) == 0 {
			var c [8]byte
			binary.BigEndian.PutUint64(c[:], r.n)
			r.n++
			h := sha256.Sum256(append([]byte(r.seed), c[:]...))
			r.buf = h[:]
		}
		p[i] = r.buf[0]
		r.buf = r.buf[1:]
	}
	return len(p), nil
}

// testKey loads one of the fixed test keys.
func testKey(t testing.TB, name string) *PrivateKey {
	t.Helper()
	for _, v := range readVectors(t, "testdata/keys.txt") {
		if v[0] != name {
			continue
		}
		b, err := hex.DecodeString(v[1])
		if err != nil {
			t.Fatal(err)
		}
		var k PrivateKey
		if err := k.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		return &k
	}
	t.Fatalf("no test key %q", name)
	return nil
}

var (
	policyV3   = Policy{AllowV2: true, AllowV3: true, ErrorStartAKE: true}
	policyV2   = Policy{AllowV2: true}
	policyAuto = Policy{AllowV2: true, AllowV3: true, SendWhitespaceTag: true, WhitespaceStartAKE: true, ErrorStartAKE: true}
)

// peer is one side of a test conversation with everything it produced.
type peer struct {
	name   string
	c      *Conversation
	shown  []string
	events []Event
}

func newPeer(t testing.TB, name string, p Policy, tag uint32, fragSize int) *peer {
	t.Helper()
	c, err := NewConversation(Config{PrivateKey: testKey(t, name), Policy: p, Rand: newDetRand(name), InstanceTag: tag, FragmentSize: fragSize})
	if err != nil {
		t.Fatal(err)
	}
	return &peer{name: name, c: c}
}

// deliver passes msgs from -> to, and the answers back and forth until
// both sides are quiet.
func deliver(t *testing.T, from, to *peer, msgs []string) {
	t.Helper()
	for round := 0; len(msgs) > 0; round++ {
		if round > 50 {
			t.Fatal("conversation did not settle")
		}
		var replies []string
		for _, m := range msgs {
			plain, out, ev, err := to.c.Receive(m)
			if err != nil {
				t.Fatalf("%s receiving %.60q: %v", to.name, m, err)
			}
			if plain != "" {
				to.shown = append(to.shown, plain)
			}
			to.events = append(to.events, ev...)
			replies = append(replies, out...)
		}
		msgs = replies
		from, to = to, from
	}
}

func (p *peer) has(k EventKind) *Event {
	for i := range p.events {
		if p.events[i].Kind == k {
			return &p.events[i]
		}
	}
	return nil
}

func (p *peer) send(t *testing.T, text string) []string {
	t.Helper()
	out, err := p.c.Send(text)
	if err != nil {
		t.Fatalf("%s Send: %v", p.name, err)
	}
	return out
}

// secure runs the AKE started by a query from a and checks both sides
// went secure with each other's keys.
func secure(t *testing.T, a, b *peer) {
	t.Helper()
	deliver(t, a, b, []string{a.c.QueryMessage()})
	checkSecure(t, a, b)
}

func checkSecure(t *testing.T, a, b *peer) {
	t.Helper()
	ea, eb := a.has(WentSecure), b.has(WentSecure)
	if ea == nil || eb == nil || !a.c.IsEncrypted() || !b.c.IsEncrypted() {
		t.Fatalf("not secure: %s %v, %s %v", a.name, a.events, b.name, b.events)
	}
	if ea.Fingerprint != b.c.cfg.PrivateKey.Fingerprint() || eb.Fingerprint != a.c.cfg.PrivateKey.Fingerprint() {
		t.Fatal("fingerprints in WentSecure do not match the keys")
	}
	if ea.SSID != eb.SSID || ea.SSID == [8]byte{} {
		t.Fatalf("ssid differs: %x %x", ea.SSID, eb.SSID)
	}
	if ea.SSIDWeRevealed == eb.SSIDWeRevealed {
		t.Fatal("both sides claim the same half of the SSID")
	}
}

func one() *big.Int { return big.NewInt(1) }
