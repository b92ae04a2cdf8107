package zrtp

import (
	"fmt"
	"slices"
)

// Algo is a 4-character ZRTP block type name, as carried in Hello and
// Commit messages ("S256", "AES1", "DH3k", "B32 ", ...).
type Algo [4]byte

func (a Algo) String() string { return string(a[:]) }

// AlgoFromString returns the Algo for a name of up to 4 characters; shorter
// names are padded with spaces, as the RFC does for "B32 ".
func AlgoFromString(s string) Algo {
	a := Algo{' ', ' ', ' ', ' '}
	copy(a[:], s)
	return a
}

// Hash algorithms (RFC 6189 §5.1.2).
var (
	HashS256 = AlgoFromString("S256")
	HashS384 = AlgoFromString("S384")
)

// Cipher algorithms (RFC 6189 §5.1.3).
var (
	CipherAES1 = AlgoFromString("AES1") // AES-128
	CipherAES2 = AlgoFromString("AES2") // AES-192
	CipherAES3 = AlgoFromString("AES3") // AES-256
)

// SRTP authentication tag types (RFC 6189 §5.1.4).
var (
	AuthHS32 = AlgoFromString("HS32") // HMAC-SHA1, 32-bit tag
	AuthHS80 = AlgoFromString("HS80") // HMAC-SHA1, 80-bit tag
)

// Key agreement types (RFC 6189 §5.1.5, plus X255 as bzrtp offers it).
var (
	KeyDH3k = AlgoFromString("DH3k") // 3072-bit MODP group of RFC 3526
	KeyEC25 = AlgoFromString("EC25") // NIST P-256
	KeyEC38 = AlgoFromString("EC38") // NIST P-384
	KeyX255 = AlgoFromString("X255") // Curve25519 (bzrtp/linphone name)
	KeyMult = AlgoFromString("Mult") // Multistream (parsed, not negotiated yet)
	KeyPrsh = AlgoFromString("Prsh") // Preshared (parsed, never negotiated)
)

// SAS rendering types (RFC 6189 §5.1.6).
var (
	SASB32  = AlgoFromString("B32")
	SASB256 = AlgoFromString("B256")
)

// Supported lists what this package implements, in default preference order.
var (
	SupportedHashes        = []Algo{HashS256, HashS384}
	SupportedCiphers       = []Algo{CipherAES1, CipherAES3, CipherAES2}
	SupportedAuthTags      = []Algo{AuthHS32, AuthHS80}
	SupportedKeyAgreements = []Algo{KeyX255, KeyEC25, KeyDH3k, KeyEC38}
	SupportedSAS           = []Algo{SASB32, SASB256}
)

// mandatory algorithms are implied in every Hello even when not listed
// (RFC 6189 §5.1.2-§5.1.6).
var (
	mandatoryHashes  = []Algo{HashS256}
	mandatoryCiphers = []Algo{CipherAES1}
	mandatoryAuth    = []Algo{AuthHS32, AuthHS80}
	mandatoryKeys    = []Algo{KeyDH3k}
	mandatorySAS     = []Algo{SASB32}
)

// withMandatory returns list followed by the mandatory algorithms it lacks.
func withMandatory(list, mandatory []Algo) []Algo {
	out := slices.Clone(list)
	for _, m := range mandatory {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// hashLen is the output length in bytes of a negotiated hash.
func hashLen(h Algo) int {
	switch h {
	case HashS384:
		return 48
	default:
		return 32
	}
}

// cipherKeyLen is the key length in bytes of a negotiated cipher.
func cipherKeyLen(c Algo) int {
	switch c {
	case CipherAES2:
		return 24
	case CipherAES3:
		return 32
	default:
		return 16
	}
}

func checkSupported(kind string, list, supported []Algo) error {
	if len(list) > 7 {
		return fmt.Errorf("zrtp: %d %s algorithms configured, a Hello carries at most 7", len(list), kind)
	}
	for _, a := range list {
		if !slices.Contains(supported, a) {
			return fmt.Errorf("zrtp: %s algorithm %q is not implemented (have %v)", kind, a, supported)
		}
	}
	return nil
}
