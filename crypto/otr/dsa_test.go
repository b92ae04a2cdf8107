package otr

import (
	"bytes"
	"math/big"
	"testing"
)

func TestDSASignVerify(t *testing.T) {
	for _, name := range []string{"alice", "bob", "carol"} {
		k := testKey(t, name)
		m := bytes.Repeat([]byte{0xab}, 32)
		sig, err := k.sign(newDetRand("sig"), m)
		if err != nil {
			t.Fatal(err)
		}
		if len(sig) != 40 {
			t.Fatalf("signature of %d bytes", len(sig))
		}
		if !k.verify(m, sig) {
			t.Fatalf("%s: own signature rejected", name)
		}
		again, _ := k.sign(newDetRand("sig"), m)
		other, _ := k.sign(newDetRand("other"), m)
		if !bytes.Equal(sig, again) || bytes.Equal(sig, other) {
			t.Error("signature not a function of the randomness given")
		}
		bad := append([]byte(nil), m...)
		bad[31] ^= 1
		if k.verify(bad, sig) {
			t.Error("signature verified for another message")
		}
		n := len(sig) / 2
		q := k.Q.FillBytes(make([]byte, n))
		for _, s := range [][]byte{
			sig[:39],
			append(make([]byte, n), sig[n:]...), // r = 0
			append(append([]byte(nil), sig[:n]...), q...), // s = q
			append(q, sig[n:]...),                         // r = q
		} {
			if k.verify(m, s) {
				t.Errorf("bad signature %x verified", s)
			}
		}
		if name != "alice" && testKey(t, "alice").verify(m, sig) {
			t.Error("signature verified under another key")
		}
	}
}

func TestGenerateKey(t *testing.T) {
	k, err := GenerateKey(newDetRand("keygen"))
	if err != nil {
		t.Fatal(err)
	}
	one := big.NewInt(1)
	pm1 := new(big.Int).Sub(k.P, one)
	switch {
	case k.P.BitLen() != 1024 || k.Q.BitLen() != 160:
		t.Fatalf("sizes %d/%d", k.P.BitLen(), k.Q.BitLen())
	case !k.P.ProbablyPrime(20) || !k.Q.ProbablyPrime(20):
		t.Fatal("p or q not prime")
	case new(big.Int).Mod(pm1, k.Q).Sign() != 0:
		t.Fatal("q does not divide p-1")
	case new(big.Int).Exp(k.G, k.Q, k.P).Cmp(one) != 0 || k.G.Cmp(one) <= 0:
		t.Fatal("g not of order q")
	case new(big.Int).Exp(k.G, k.X, k.P).Cmp(k.Y) != 0:
		t.Fatal("y != g^x")
	}
	b, _ := k.MarshalBinary()
	var back PrivateKey
	if err := back.UnmarshalBinary(b); err != nil || back.X.Cmp(k.X) != 0 || back.Fingerprint() != k.Fingerprint() {
		t.Fatalf("marshal round trip: %v", err)
	}
	b[len(b)-1] ^= 1
	if err := back.UnmarshalBinary(b); err == nil {
		t.Error("key with wrong x accepted")
	}
	if err := back.UnmarshalBinary(b[:len(b)-3]); err == nil {
		t.Error("truncated key accepted")
	}
}

func TestPublicKeyChecks(t *testing.T) {
	good := testKey(t, "alice").PublicKey
	tests := []struct {
		name  string
		spoil func(k *PublicKey)
	}{
		{"huge p", func(k *PublicKey) { k.P = new(big.Int).Lsh(big.NewInt(1), 4000); k.P.Add(k.P, big.NewInt(1)) }},
		{"even p", func(k *PublicKey) { k.P = new(big.Int).Add(k.P, big.NewInt(1)) }},
		{"q too big", func(k *PublicKey) { k.Q = new(big.Int).Lsh(big.NewInt(1), 300) }},
		{"g = 1", func(k *PublicKey) { k.G = big.NewInt(1) }},
		{"y = p", func(k *PublicKey) { k.Y = k.P }},
		{"y = 0", func(k *PublicKey) { k.Y = big.NewInt(0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := good
			tt.spoil(&k)
			if _, err := readPublicKey(&reader{b: k.appendTo(nil)}); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	b := append(good.appendTo(nil), 0)
	b[1] = 1 // type 1 is not DSA
	if _, err := readPublicKey(&reader{b: b}); err == nil {
		t.Fatal("non-DSA key type accepted")
	}
}

func FuzzPrivateKey(f *testing.F) {
	b, _ := testKey(f, "alice").MarshalBinary()
	f.Add(b)
	f.Add(b[:40])
	f.Fuzz(func(t *testing.T, b []byte) {
		var k PrivateKey
		if k.UnmarshalBinary(b) != nil {
			return
		}
		again, _ := k.MarshalBinary()
		var k2 PrivateKey
		if err := k2.UnmarshalBinary(again); err != nil || k2.Fingerprint() != k.Fingerprint() {
			t.Fatalf("re-encoded key: %v", err)
		}
	})
}
