package zrtp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestKDFVectors(t *testing.T) {
	var key []byte
	n := 0
	for _, l := range readVectors(t, "kdf_crc.txt") {
		switch l.kind {
		case "key":
			key = unhex(t, l.fields[0])
		case "kdf":
			n++
			parts := strings.Split(strings.Join(l.fields, " "), "|")
			label, ctx, want := parts[0], unhex(t, parts[1]), unhex(t, parts[2])
			t.Run(label, func(t *testing.T) {
				got := KDF(HashS256, key, label, ctx, 8*len(want))
				if !bytes.Equal(got, want) {
					t.Fatalf("got %x\nwant %x", got, want)
				}
			})
		}
	}
	if n != 9 {
		t.Fatalf("found %d KDF vectors, want 9", n)
	}
}

func TestKDFLengths(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 48)
	for _, tc := range []struct {
		h    Algo
		bits int
	}{{HashS256, 256}, {HashS256, 112}, {HashS384, 384}, {HashS384, 128}} {
		if got := KDF(tc.h, key, "x", nil, tc.bits); len(got) != tc.bits/8 {
			t.Errorf("%v %d bits: got %d bytes", tc.h, tc.bits, len(got))
		}
	}
	// L is part of the input: a shorter key is not a prefix of a longer one.
	if bytes.HasPrefix(KDF(HashS256, key, "x", nil, 256), KDF(HashS256, key, "x", nil, 128)) {
		t.Error("KDF output with L=128 is a prefix of L=256")
	}
}

// TestBzrtpHashChainsAndMACs walks the real exchange: each revealed hash
// image must hash to the previous one, and must key the MAC of the message
// sent before it.
func TestBzrtpHashChainsAndMACs(t *testing.T) {
	ex := loadExchange(t)
	for _, side := range []string{"12345678", "87654321"} {
		var h0 [32]byte
		copy(h0[:], ex.values["H0_"+side])
		c := newHashChain(h0)
		for i := 1; i < 4; i++ {
			if !bytes.Equal(c[i][:], ex.values["H"+string(rune('0'+i))+"_"+side]) {
				t.Errorf("%s: H%d does not match the vector", side, i)
			}
		}
	}
	h := func(name string) [32]byte { return [32]byte(ex.values[name]) }
	tests := []struct {
		msg string
		key [32]byte
	}{
		{"hello_12345678", h("H2_12345678")},
		{"hello_87654321", h("H2_87654321")},
		{"commit_87654321", h("H1_87654321")},
		{"dhpart1_12345678", h("H0_12345678")},
		{"dhpart2_87654321", h("H0_87654321")},
	}
	for _, tc := range tests {
		t.Run(tc.msg, func(t *testing.T) {
			msg := ex.message(t, tc.msg)
			if !checkMessageMAC(tc.key, msg) {
				t.Fatal("MAC does not verify")
			}
			bad := bytes.Clone(msg)
			bad[20] ^= 1
			if checkMessageMAC(tc.key, bad) {
				t.Fatal("MAC verifies over a changed message")
			}
			other := tc.key
			other[0] ^= 1
			if checkMessageMAC(other, msg) {
				t.Fatal("MAC verifies with the wrong key")
			}
			// setMessageMAC reproduces it
			re := bytes.Clone(msg)
			clear(re[len(re)-8:])
			setMessageMAC(tc.key, re)
			if !bytes.Equal(re, msg) {
				t.Fatal("setMessageMAC gives another MAC")
			}
		})
	}
}

func TestBzrtpHVI(t *testing.T) {
	ex := loadExchange(t)
	cm, err := ParseMessage(ex.message(t, "commit_87654321"))
	if err != nil {
		t.Fatal(err)
	}
	commit := cm.(*Commit)
	// 87654321 is the initiator, so the responder's Hello is 12345678's.
	got := hvi(commit.Hash, ex.message(t, "dhpart2_87654321"), ex.message(t, "hello_12345678"))
	if got != commit.HVI {
		t.Fatalf("hvi %x, Commit says %x", got, commit.HVI)
	}
	// a DHPart2 other than the committed one gives another hvi (the check
	// CVE-2016-6271 was about)
	bad := bytes.Clone(ex.message(t, "dhpart2_87654321"))
	bad[100] ^= 1
	if hvi(commit.Hash, bad, ex.message(t, "hello_12345678")) == commit.HVI {
		t.Fatal("changed DHPart2 still matches hvi")
	}
}

func TestBzrtpConfirm(t *testing.T) {
	ex := loadExchange(t)
	tests := []struct {
		msg, macKey, zrtpKey, h0, h1 string
	}{
		{"confirm1_12345678", "mackeyr", "zrtpkeyr", "H0_12345678", "H1_12345678"},
		{"confirm2_87654321", "mackeyi", "zrtpkeyi", "H0_87654321", "H1_87654321"},
	}
	for _, tc := range tests {
		t.Run(tc.msg, func(t *testing.T) {
			m, err := ParseMessage(ex.message(t, tc.msg))
			if err != nil {
				t.Fatal(err)
			}
			c := m.(*Confirm)
			p, err := OpenConfirm(c, HashS256, ex.values[tc.zrtpKey], ex.values[tc.macKey])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(p.H0[:], ex.values[tc.h0]) {
				t.Fatalf("decrypted H0 %x, want %x", p.H0, ex.values[tc.h0])
			}
			if nh := nextHash(p.H0); !bytes.Equal(nh[:], ex.values[tc.h1]) {
				t.Fatal("H0 does not hash to H1")
			}
			if p.CacheExpiration != 0xffffffff || len(p.Signature) != 0 {
				t.Errorf("expiration %#x, signature %d bytes", p.CacheExpiration, len(p.Signature))
			}
			// re-sealing the decrypted plaintext under the same IV gives the
			// same message: our CFB and MAC are bzrtp's
			again, err := SealConfirm(c.Which, HashS256, ex.values[tc.zrtpKey], ex.values[tc.macKey], c.IV, p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(Marshal(again), Marshal(c)) {
				t.Fatal("re-sealed Confirm differs")
			}
			// the wrong MAC key is refused
			if _, err := OpenConfirm(c, HashS256, ex.values[tc.zrtpKey], ex.values[tc.zrtpKey]); !errors.Is(err, ErrConfirmMAC) {
				t.Fatalf("wrong MAC key: err = %v", err)
			}
		})
	}
}

func TestZRTPHashVectors(t *testing.T) {
	ex := loadExchange(t)
	for _, side := range []string{"12345678", "87654321", "pjs"} {
		name := "hello_" + side
		got, err := ZRTPHash(ex.message(t, name))
		if err != nil {
			t.Fatal(err)
		}
		if got != ex.hashes[side] {
			t.Errorf("%s: zrtp-hash %q, want %q", name, got, ex.hashes[side])
		}
	}
	if _, err := ZRTPHash(ex.message(t, "commit_87654321")); err == nil {
		t.Error("zrtp-hash of a Commit accepted")
	}
}

func TestCFBPartialBlock(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 16)
	var iv [16]byte
	for _, n := range []int{0, 1, 15, 16, 17, 40, 44} {
		plain := bytes.Repeat([]byte{0xab}, n)
		enc, err := cfb128(key, iv, plain, false)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := cfb128(key, iv, enc, true)
		if err != nil || !bytes.Equal(dec, plain) {
			t.Fatalf("%d bytes: round trip failed: %v", n, err)
		}
	}
}

func TestS0Layout(t *testing.T) {
	// s0 with all secrets absent is hash(1 || DHResult || "ZRTP-HMAC-KDF"
	// || context || 0 || 0 || 0); with s1 present its length and value
	// come first.
	dh := []byte{1, 2, 3}
	ctx := []byte("ZIDi--------ZIDr--------total")
	want := sha256.Sum256(append(append(append([]byte{0, 0, 0, 1}, dh...), "ZRTP-HMAC-KDF"...), append(ctx, make([]byte, 12)...)...))
	if got := computeS0(HashS256, dh, ctx, nil, nil, nil); !bytes.Equal(got, want[:]) {
		t.Fatalf("s0 without secrets: %x, want %x", got, want)
	}
	s1 := []byte("rs1")
	in := append(append(append([]byte{0, 0, 0, 1}, dh...), "ZRTP-HMAC-KDF"...), ctx...)
	in = append(in, 0, 0, 0, 3, 'r', 's', '1', 0, 0, 0, 0, 0, 0, 0, 0)
	want = sha256.Sum256(in)
	if got := computeS0(HashS256, dh, ctx, s1, nil, nil); !bytes.Equal(got, want[:]) {
		t.Fatalf("s0 with s1: %x, want %x", got, want)
	}
	if len(computeS0(HashS384, dh, ctx, nil, nil, nil)) != 48 {
		t.Fatal("S384 s0 is not 48 bytes")
	}
}

func TestDeriveKeysLengths(t *testing.T) {
	for _, h := range SupportedHashes {
		for _, c := range SupportedCiphers {
			k := deriveKeys(h, c, bytes.Repeat([]byte{1}, hashLen(h)), []byte("context"))
			for name, tc := range map[string]struct {
				b []byte
				n int
			}{
				"mackeyi": {k.macKeyI, hashLen(h)}, "mackeyr": {k.macKeyR, hashLen(h)},
				"zrtpkeyi": {k.zrtpKeyI, cipherKeyLen(c)}, "zrtpkeyr": {k.zrtpKeyR, cipherKeyLen(c)},
				"srtpkeyi": {k.srtpKeyI, cipherKeyLen(c)}, "srtpkeyr": {k.srtpKeyR, cipherKeyLen(c)},
				"srtpsalti": {k.srtpSaltI, 14}, "srtpsaltr": {k.srtpSaltR, 14},
				"sashash": {k.sasHash, 32}, "rs1": {k.newRS1, 32}, "ZRTPSess": {k.zrtpSess, hashLen(h)},
			} {
				if len(tc.b) != tc.n {
					t.Errorf("%v/%v %s: %d bytes, want %d", h, c, name, len(tc.b), tc.n)
				}
			}
			if bytes.Equal(k.srtpKeyI, k.srtpKeyR) || bytes.Equal(k.macKeyI, k.macKeyR) {
				t.Errorf("%v/%v: initiator and responder keys are equal", h, c)
			}
		}
	}
}

func TestSAS(t *testing.T) {
	// The PGP word lists: digest of the 512 words joined by newlines (even
	// list first), as extracted and compared from libzrtp, GNU ZRTP C++ and
	// bzrtp (testdata/README.md).
	all := strings.Join(pgpWordsEven[:], "\n") + "\n" + strings.Join(pgpWordsOdd[:], "\n")
	sum := sha256.Sum256([]byte(all))
	if got := hex.EncodeToString(sum[:]); got != "e9b7b0052233a74aa56724ed3f79c272036aed68d8f4c0856e833c8043b9ac62" {
		t.Fatalf("PGP word list digest %s", got)
	}
	tests := []struct {
		typ  Algo
		v    uint32
		want string
	}{
		{SASB32, 0x00000000, "yyyy"},
		{SASB32, 0xffffffff, "9999"},
		{SASB32, 0x08421000, "bbbb"}, // 00001 00001 00001 00001
		{SASB32, 0x00000fff, "yyyy"}, // only the leftmost 20 bits count
		{SASB256, 0x0000ffff, "aardvark adroitness"},
		{SASB256, 0xffff0000, "Zulu Yucatan"},
		{SASB256, 0x0901ffff, "Algol adviser"},
	}
	for _, tc := range tests {
		got, err := RenderSAS(tc.typ, tc.v)
		if err != nil || got != tc.want {
			t.Errorf("RenderSAS(%v, %#x) = %q, %v; want %q", tc.typ, tc.v, got, err, tc.want)
		}
	}
	if _, err := RenderSAS(AlgoFromString("B10D"), 0); err == nil {
		t.Error("unknown SAS type accepted")
	}
}
