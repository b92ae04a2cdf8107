package zrtp

import (
	"crypto/ecdh"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// ErrBadPublicValue: the peer's DH public value is invalid (1, 0, p-1, out of
// range, or not on the curve); RFC 6189 error 0x61.
var ErrBadPublicValue = errors.New("zrtp: bad DH public value")

// keyPair is one side of a key agreement.
type keyPair interface {
	// public is the public value as carried in DHPart (pvi or pvr).
	public() []byte
	// shared checks the peer's public value and returns DHResult.
	shared(peer []byte) ([]byte, error)
}

// publicValueLen is the length of pvi/pvr for a key agreement type.
func publicValueLen(ka Algo) int {
	switch ka {
	case KeyDH3k:
		return 384
	case KeyEC25:
		return 64 // x || y
	case KeyEC38:
		return 96
	case KeyX255:
		return 32
	}
	return 0
}

// newKeyPair makes a fresh key pair, all its randomness drawn from rand.
func newKeyPair(ka Algo, rand io.Reader) (keyPair, error) {
	switch ka {
	case KeyDH3k:
		return newDH3k(rand)
	case KeyEC25:
		return newECKey(ecdh.P256(), 32, rand)
	case KeyEC38:
		return newECKey(ecdh.P384(), 48, rand)
	case KeyX255:
		return newX25519(rand)
	}
	return nil, fmt.Errorf("zrtp: key agreement %q not implemented", ka)
}

// modp3072 is the 3072-bit MODP group prime of RFC 3526 §4 (generator 2):
// 2^3072 - 2^3008 - 1 + 2^64 * (floor(2^2942 pi) + 1690314).
var modp3072 = func() *big.Int {
	p, ok := new(big.Int).SetString(""+
		"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"+
		"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"+
		"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"+
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"+
		"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"+
		"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"+
		"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"+
		"3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"+
		"A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"+
		"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"+
		"D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"+
		"08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF", 16)
	if !ok {
		panic("zrtp: bad MODP prime literal")
	}
	return p
}()

var (
	bigOne        = big.NewInt(1)
	bigTwo        = big.NewInt(2)
	modp3072Minus = new(big.Int).Sub(modp3072, bigOne)
)

// dh3k is a DH3k key pair. The private exponent is 256 bits, twice the
// strength of AES-128 (GNU ZRTP C++ uses the same size).
// TODO: math/big is not constant time; the exponent could leak through
// timing to an observer with a clock on this CPU.
type dh3k struct {
	x   *big.Int
	pub []byte
}

func newDH3k(rand io.Reader) (*dh3k, error) {
	var buf [32]byte
	if _, err := io.ReadFull(rand, buf[:]); err != nil {
		return nil, fmt.Errorf("zrtp: DH3k private value: %w", err)
	}
	x := new(big.Int).SetBytes(buf[:])
	x.SetBit(x, 255, 1) // full length exponent
	wipe(buf[:])
	y := new(big.Int).Exp(bigTwo, x, modp3072)
	return &dh3k{x: x, pub: y.FillBytes(make([]byte, 384))}, nil
}

func (k *dh3k) public() []byte { return k.pub }

func (k *dh3k) shared(peer []byte) ([]byte, error) {
	if len(peer) != 384 {
		return nil, fmt.Errorf("%w: DH3k value of %d bytes", ErrBadPublicValue, len(peer))
	}
	y := new(big.Int).SetBytes(peer)
	// RFC 6189 §4.4.1.1: reject 1, p-1 and anything outside 1 < y < p-1.
	if y.Cmp(bigOne) <= 0 || y.Cmp(modp3072Minus) >= 0 {
		return nil, fmt.Errorf("%w: DH3k value out of range", ErrBadPublicValue)
	}
	z := new(big.Int).Exp(y, k.x, modp3072)
	return z.FillBytes(make([]byte, 384)), nil
}

// ecKey is an EC25/EC38 key pair. The public value is x || y, big-endian,
// without the SEC 1 0x04 prefix; DHResult is the x coordinate of the shared
// point (GNU ZRTP C++ and bzrtp agree on both).
type ecKey struct {
	priv *ecdh.PrivateKey
	size int
}

func newECKey(curve ecdh.Curve, size int, rand io.Reader) (*ecKey, error) {
	buf := make([]byte, size)
	defer wipe(buf)
	for range 100 {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return nil, fmt.Errorf("zrtp: EC private value: %w", err)
		}
		// NewPrivateKey rejects zero and values >= the group order; retry.
		if priv, err := curve.NewPrivateKey(buf); err == nil {
			return &ecKey{priv: priv, size: size}, nil
		}
	}
	return nil, errors.New("zrtp: random source gives no valid EC private value")
}

func (k *ecKey) public() []byte { return k.priv.PublicKey().Bytes()[1:] }

func (k *ecKey) shared(peer []byte) ([]byte, error) {
	if len(peer) != 2*k.size {
		return nil, fmt.Errorf("%w: EC value of %d bytes", ErrBadPublicValue, len(peer))
	}
	pub, err := k.priv.Curve().NewPublicKey(append([]byte{4}, peer...))
	if err != nil { // not on the curve, or the point at infinity
		return nil, fmt.Errorf("%w: %v", ErrBadPublicValue, err)
	}
	z, err := k.priv.ECDH(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPublicValue, err)
	}
	return z, nil
}

// x25519 is an X255 key pair: public value and DHResult are the 32-byte
// little-endian u-coordinates of RFC 7748, as GNU ZRTP C++ (E255) encodes
// them.
type x25519 struct{ priv *ecdh.PrivateKey }

func newX25519(rand io.Reader) (*x25519, error) {
	var buf [32]byte
	defer wipe(buf[:])
	if _, err := io.ReadFull(rand, buf[:]); err != nil {
		return nil, fmt.Errorf("zrtp: X25519 private value: %w", err)
	}
	priv, err := ecdh.X25519().NewPrivateKey(buf[:])
	if err != nil {
		return nil, err
	}
	return &x25519{priv: priv}, nil
}

func (k *x25519) public() []byte { return k.priv.PublicKey().Bytes() }

func (k *x25519) shared(peer []byte) ([]byte, error) {
	pub, err := ecdh.X25519().NewPublicKey(peer)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPublicValue, err)
	}
	z, err := k.priv.ECDH(pub) // fails on a low-order point (all-zero result)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPublicValue, err)
	}
	return z, nil
}
