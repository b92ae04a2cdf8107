package otr

import (
	cryptorand "crypto/rand"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
)

// Long-term keys are DSA keys (the only kind OTR v2/v3 defines). DSA is
// implemented here with math/big rather than with crypto/dsa: crypto/dsa is
// deprecated (linters flag every use) and its Sign mixes in randomness on
// its own, which would defeat Config.Rand in tests. The implementation is
// the textbook one (FIPS 186), with two differences that matter:
//
//   - The signed value is the 32-byte MAC itself taken as an integer,
//     not truncated to q's length: that is what libotr, potr and
//     golang.org/x/crypto/otr do, and signatures must verify across them.
//   - The per-signature nonce k is hedged: derived by SHA-512 from the
//     private key, the message and fresh randomness, so that a broken or
//     repeated random source does not repeat k and leak the key.
//
// math/big is not constant time; neither is crypto/dsa. The exposure is
// the same as libotr's on a device that signs once per AKE.

// pubKeyTypeDSA is the PUBKEY type of DSA keys.
const pubKeyTypeDSA uint16 = 0x0000

// PublicKey is a DSA public key as OTR carries it.
type PublicKey struct {
	P, Q, G, Y *big.Int
}

// PrivateKey is a DSA private key.
type PrivateKey struct {
	PublicKey
	X *big.Int
}

// Limits on keys received from a correspondent: big enough for every key
// seen in practice (1024/160), small enough that a hostile key cannot make
// verification slow.
const (
	maxDSAPBits = 3072
	maxDSAQBits = 256
)

var errBadKey = errors.New("otr: unusable DSA public key")

func (k *PublicKey) appendTo(b []byte) []byte {
	b = appendShort(b, pubKeyTypeDSA)
	b = appendMPI(b, k.P)
	b = appendMPI(b, k.Q)
	b = appendMPI(b, k.G)
	return appendMPI(b, k.Y)
}

// readPublicKey reads a PUBKEY and checks it is a plausible DSA key.
func readPublicKey(r *reader) (*PublicKey, error) {
	typ := r.short()
	k := &PublicKey{P: r.mpi(), Q: r.mpi(), G: r.mpi(), Y: r.mpi()}
	if !r.ok() {
		return nil, errMalformed
	}
	if typ != pubKeyTypeDSA {
		return nil, fmt.Errorf("%w: type %d", errBadKey, typ)
	}
	if err := k.check(); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *PublicKey) check() error {
	one := big.NewInt(1)
	switch {
	case k.P.BitLen() > maxDSAPBits || k.Q.BitLen() > maxDSAQBits:
		return fmt.Errorf("%w: too large", errBadKey)
	case k.P.Bit(0) == 0 || k.Q.Bit(0) == 0 || k.Q.Cmp(one) <= 0 || k.P.Cmp(k.Q) <= 0:
		return fmt.Errorf("%w: bad p or q", errBadKey)
	case k.G.Cmp(one) <= 0 || k.G.Cmp(k.P) >= 0 || k.Y.Cmp(one) <= 0 || k.Y.Cmp(k.P) >= 0:
		return fmt.Errorf("%w: bad g or y", errBadKey)
	}
	return nil
}

// Fingerprint is the SHA-1 hash of the public key's encoding without its
// two type bytes (the spec's backwards-compatible rule for DSA keys).
func (k *PublicKey) Fingerprint() [20]byte {
	return sha1.Sum(k.appendTo(nil)[2:])
}

// FormatFingerprint writes a fingerprint the way OTR clients show it: 40
// upper-case hex digits in five groups of eight.
func FormatFingerprint(fp [20]byte) string {
	h := strings.ToUpper(hex.EncodeToString(fp[:]))
	return h[0:8] + " " + h[8:16] + " " + h[16:24] + " " + h[24:32] + " " + h[32:40]
}

// sigLen is the signature length for a key: r and s, each as long as q.
func (k *PublicKey) sigLen() int { return 2 * ((k.Q.BitLen() + 7) / 8) }

// sign signs the 32-byte value m (an HMAC output, not hashed again).
func (k *PrivateKey) sign(rand io.Reader, m []byte) ([]byte, error) {
	z := new(big.Int).SetBytes(m)
	n := (k.Q.BitLen() + 7) / 8
	qMinus1 := new(big.Int).Sub(k.Q, big.NewInt(1))
	for attempt := 0; attempt < 16; attempt++ {
		var fresh [32]byte
		if _, err := io.ReadFull(rand, fresh[:]); err != nil {
			return nil, fmt.Errorf("otr: reading randomness for a signature: %w", err)
		}
		h := sha512.New()
		h.Write([]byte("padlock otr dsa nonce"))
		h.Write(k.X.Bytes())
		h.Write(m)
		h.Write(fresh[:])
		kk := new(big.Int).SetBytes(h.Sum(nil))
		kk.Mod(kk, qMinus1).Add(kk, big.NewInt(1)) // 1 <= k <= q-1

		r := new(big.Int).Exp(k.G, kk, k.P)
		r.Mod(r, k.Q)
		if r.Sign() == 0 {
			continue
		}
		kInv := new(big.Int).ModInverse(kk, k.Q)
		s := new(big.Int).Mul(k.X, r)
		s.Add(s, z).Mul(s, kInv).Mod(s, k.Q)
		if s.Sign() == 0 {
			continue
		}
		sig := make([]byte, 2*n)
		r.FillBytes(sig[:n])
		s.FillBytes(sig[n:])
		return sig, nil
	}
	return nil, errors.New("otr: could not make a DSA signature (bad key?)")
}

// verify checks a signature over the 32-byte value m.
func (k *PublicKey) verify(m, sig []byte) bool {
	if len(sig) != k.sigLen() {
		return false
	}
	n := len(sig) / 2
	r := new(big.Int).SetBytes(sig[:n])
	s := new(big.Int).SetBytes(sig[n:])
	if r.Sign() <= 0 || r.Cmp(k.Q) >= 0 || s.Sign() <= 0 || s.Cmp(k.Q) >= 0 {
		return false
	}
	w := new(big.Int).ModInverse(s, k.Q)
	if w == nil {
		return false
	}
	z := new(big.Int).SetBytes(m)
	u1 := new(big.Int).Mul(z, w)
	u1.Mod(u1, k.Q)
	u2 := new(big.Int).Mul(r, w)
	u2.Mod(u2, k.Q)
	v1 := new(big.Int).Exp(k.G, u1, k.P)
	v2 := new(big.Int).Exp(k.Y, u2, k.P)
	v := v1.Mul(v1, v2)
	v.Mod(v, k.P).Mod(v, k.Q)
	return v.Cmp(r) == 0
}

// GenerateKey makes a new 1024-bit DSA key with a 160-bit q, the size every
// OTR implementation accepts. It takes tens to hundreds of milliseconds. A
// nil rand means crypto/rand.
func GenerateKey(rand io.Reader) (*PrivateKey, error) {
	if rand == nil {
		rand = cryptorand.Reader
	}
	const lBits, nBits = 1024, 160
	q, err := randomPrime(rand, nBits)
	if err != nil {
		return nil, err
	}
	// p = X - (X mod 2q) + 1 for random L-bit X, until p is prime and still
	// L bits long: then q divides p-1.
	twoQ := new(big.Int).Lsh(q, 1)
	buf := make([]byte, lBits/8)
	p := new(big.Int)
	for found := false; !found; {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return nil, fmt.Errorf("otr: reading randomness for a key: %w", err)
		}
		buf[0] |= 0x80
		p.SetBytes(buf)
		c := new(big.Int).Mod(p, twoQ)
		p.Sub(p, c).Add(p, big.NewInt(1))
		found = p.BitLen() == lBits && p.ProbablyPrime(32)
	}
	e := new(big.Int).Sub(p, big.NewInt(1))
	e.Div(e, q)
	g := new(big.Int)
	for h := int64(2); ; h++ {
		g.Exp(big.NewInt(h), e, p)
		if g.Cmp(big.NewInt(1)) != 0 {
			break
		}
	}
	xb := make([]byte, nBits/8+8)
	if _, err := io.ReadFull(rand, xb); err != nil {
		return nil, fmt.Errorf("otr: reading randomness for a key: %w", err)
	}
	x := new(big.Int).SetBytes(xb)
	x.Mod(x, new(big.Int).Sub(q, big.NewInt(1))).Add(x, big.NewInt(1))
	y := new(big.Int).Exp(g, x, p)
	return &PrivateKey{PublicKey: PublicKey{P: p, Q: q, G: g, Y: y}, X: x}, nil
}

func randomPrime(rand io.Reader, bits int) (*big.Int, error) {
	buf := make([]byte, bits/8)
	for {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return nil, fmt.Errorf("otr: reading randomness for a key: %w", err)
		}
		buf[0] |= 0x80
		buf[len(buf)-1] |= 1
		q := new(big.Int).SetBytes(buf)
		if q.ProbablyPrime(32) {
			return q, nil
		}
	}
}

// MarshalBinary encodes the private key for storage: the PUBKEY followed by
// x as an MPI. The result is secret.
func (k *PrivateKey) MarshalBinary() ([]byte, error) {
	return appendMPI(k.PublicKey.appendTo(nil), k.X), nil
}

// UnmarshalBinary decodes a key written by MarshalBinary and checks that x
// matches y.
func (k *PrivateKey) UnmarshalBinary(b []byte) error {
	r := &reader{b: b}
	pub, err := readPublicKey(r)
	if err != nil {
		return err
	}
	x := r.mpi()
	if !r.ok() || !r.empty() {
		return errMalformed
	}
	if x.Sign() <= 0 || x.Cmp(pub.Q) >= 0 || new(big.Int).Exp(pub.G, x, pub.P).Cmp(pub.Y) != 0 {
		return errors.New("otr: private key does not match its public key")
	}
	k.PublicKey, k.X = *pub, x
	return nil
}
