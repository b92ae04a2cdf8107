package zrtp

import (
	"bytes"
	"crypto/rand"
	"errors"
	"math/big"
	mrand "math/rand/v2"
	"testing"
)

// detRand is a deterministic random source for tests.
func detRand(seed uint64) *mrand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	return mrand.NewChaCha8(s)
}

func TestMODP3072Prime(t *testing.T) {
	p := modp3072
	if p.BitLen() != 3072 {
		t.Fatalf("prime has %d bits", p.BitLen())
	}
	// RFC 3526 primes have their 64 top and 64 bottom bits set.
	ones := new(big.Int).Sub(new(big.Int).Lsh(bigOne, 64), bigOne)
	if new(big.Int).And(p, ones).Cmp(ones) != 0 || new(big.Int).Rsh(p, 3072-64).Cmp(ones) != 0 {
		t.Fatal("top/bottom 64 bits are not all ones")
	}
	if testing.Short() {
		return
	}
	q := new(big.Int).Rsh(p, 1) // (p-1)/2
	if !p.ProbablyPrime(2) || !q.ProbablyPrime(2) {
		t.Fatal("not a safe prime")
	}
}

func TestKeyAgreement(t *testing.T) {
	for _, ka := range SupportedKeyAgreements {
		t.Run(ka.String(), func(t *testing.T) {
			a, err := newKeyPair(ka, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			b, err := newKeyPair(ka, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.public()) != publicValueLen(ka) {
				t.Fatalf("public value %d bytes, want %d", len(a.public()), publicValueLen(ka))
			}
			za, err := a.shared(b.public())
			if err != nil {
				t.Fatal(err)
			}
			zb, err := b.shared(a.public())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(za, zb) {
				t.Fatal("the two sides disagree")
			}
			// the same random source gives the same key
			c1, _ := newKeyPair(ka, detRand(1))
			c2, _ := newKeyPair(ka, detRand(1))
			if !bytes.Equal(c1.public(), c2.public()) {
				t.Fatal("key generation does not use the given random source")
			}
		})
	}
}

func TestBadPublicValues(t *testing.T) {
	pMinus1 := modp3072Minus.FillBytes(make([]byte, 384))
	pBytes := modp3072.FillBytes(make([]byte, 384))
	one := make([]byte, 384)
	one[383] = 1
	notOnCurve := bytes.Repeat([]byte{1}, 64)
	tests := []struct {
		name string
		ka   Algo
		pv   []byte
	}{
		{"DH3k zero", KeyDH3k, make([]byte, 384)},
		{"DH3k one", KeyDH3k, one},
		{"DH3k p-1", KeyDH3k, pMinus1},
		{"DH3k p", KeyDH3k, pBytes},
		{"DH3k short", KeyDH3k, one[1:]},
		{"EC25 not on curve", KeyEC25, notOnCurve},
		{"EC25 zero", KeyEC25, make([]byte, 64)},
		{"EC25 short", KeyEC25, make([]byte, 32)},
		{"EC38 not on curve", KeyEC38, bytes.Repeat([]byte{1}, 96)},
		{"X255 zero (low order)", KeyX255, make([]byte, 32)},
		{"X255 short", KeyX255, make([]byte, 31)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := newKeyPair(tc.ka, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := k.shared(tc.pv); !errors.Is(err, ErrBadPublicValue) {
				t.Fatalf("err = %v, want ErrBadPublicValue", err)
			}
		})
	}
}
