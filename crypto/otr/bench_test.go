package otr

import (
	"crypto/rand"
	"strings"
	"testing"
)

// benchPair returns two engines with a private conversation between them.
func benchPair(b *testing.B, p Policy) (*peer, *peer) {
	b.Helper()
	alice := newPeer(b, "alice", p, 0x1111, 0)
	bob := newPeer(b, "bob", p, 0x2222, 0)
	alice.c.rand, bob.c.rand = rand.Reader, rand.Reader
	pump(b, alice, bob, []string{alice.c.QueryMessage()})
	if !alice.c.IsEncrypted() || !bob.c.IsEncrypted() {
		b.Fatal("no private conversation")
	}
	return alice, bob
}

// pump delivers without recording (for benchmarks).
func pump(b *testing.B, from, to *peer, msgs []string) {
	for len(msgs) > 0 {
		var replies []string
		for _, m := range msgs {
			_, out, _, err := to.c.Receive(m)
			if err != nil {
				b.Fatal(err)
			}
			replies = append(replies, out...)
		}
		msgs = replies
		from, to = to, from
	}
}

// BenchmarkAKE is one whole AKE, both sides' work (4 messages).
func BenchmarkAKE(b *testing.B) {
	alice := newPeer(b, "alice", policyV3, 0x1111, 0)
	bob := newPeer(b, "bob", policyV3, 0x2222, 0)
	alice.c.rand, bob.c.rand = rand.Reader, rand.Reader
	b.ReportAllocs()
	for b.Loop() {
		pump(b, alice, bob, []string{alice.c.QueryMessage()})
	}
}

// BenchmarkDataMessage sends one 100-byte message and receives it,
// alternating direction so that every message also rotates keys.
func BenchmarkDataMessage(b *testing.B) {
	alice, bob := benchPair(b, policyV3)
	text := strings.Repeat("x", 100)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		from, to := alice, bob
		if i%2 == 1 {
			from, to = bob, alice
		}
		out, err := from.c.Send(text)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, _, err := to.c.Receive(out[0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDataMessageSameDirection sends without replies: no D-H work
// after the first message, only AES-CTR and HMAC.
func BenchmarkDataMessageSameDirection(b *testing.B) {
	alice, bob := benchPair(b, policyV3)
	text := strings.Repeat("x", 100)
	b.ReportAllocs()
	for b.Loop() {
		out, _ := alice.c.Send(text)
		if _, _, _, err := bob.c.Receive(out[0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSMP is one whole SMP run, both sides' work.
func BenchmarkSMP(b *testing.B) {
	alice, bob := benchPair(b, policyV3)
	b.ReportAllocs()
	for b.Loop() {
		out, err := alice.c.Authenticate("", []byte("secret"))
		if err != nil {
			b.Fatal(err)
		}
		pump(b, alice, bob, out)
		out, err = bob.c.Authenticate("", []byte("secret"))
		if err != nil {
			b.Fatal(err)
		}
		pump(b, bob, alice, out)
	}
}

func BenchmarkGenerateKey(b *testing.B) {
	for b.Loop() {
		if _, err := GenerateKey(rand.Reader); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseFragmentedMessage(b *testing.B) {
	msg := encodeWire([]byte(strings.Repeat("y", 4000)))
	frags, _ := fragmentMessage(msg, 400, 3, 0x100, 0x200)
	b.ReportAllocs()
	for b.Loop() {
		var r reassembler
		for _, f := range frags {
			p, _, _ := parseFragment(f)
			r.add(p)
		}
	}
}
