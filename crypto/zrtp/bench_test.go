package zrtp

import (
	"crypto/rand"
	"testing"
)

func BenchmarkParsePacket(b *testing.B) {
	ex := loadExchange(b)
	pkt := ex.packets["dhpart1_12345678"]
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := ParsePacket(pkt)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ParseMessage(p.Message); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKDF(b *testing.B) {
	key := make([]byte, 32)
	ctx := make([]byte, 56)
	b.ReportAllocs()
	for b.Loop() {
		KDF(HashS256, key, "Initiator SRTP master key", ctx, 128)
	}
}

// BenchmarkKeyAgreement is one side's work: a key pair and a shared secret.
func BenchmarkKeyAgreement(b *testing.B) {
	for _, ka := range SupportedKeyAgreements {
		peer, err := newKeyPair(ka, rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(ka.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				k, err := newKeyPair(ka, rand.Reader)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := k.shared(peer.public()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandshake is a whole exchange between two engines in memory,
// both sides' CPU time, from Start to Secured.
func BenchmarkHandshake(b *testing.B) {
	for _, ka := range SupportedKeyAgreements {
		b.Run(ka.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ca, cb := testConfig(1), testConfig(2)
				ca.Rand, cb.Rand = rand.Reader, rand.Reader
				ca.KeyAgreements, cb.KeyAgreements = []Algo{ka}, []Algo{ka}
				a, c := newEndpoint(b, "a", ca), newEndpoint(b, "b", cb)
				(&link{t: b, a: a, b: c}).run()
				if len(a.secured) != 1 || len(c.secured) != 1 {
					b.Fatal("not secured")
				}
			}
		})
	}
}
