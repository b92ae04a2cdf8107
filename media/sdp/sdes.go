package sdp

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SDES (RFC 4568): SRTP master keys in the SDP itself, as a=crypto lines
// under the RTP/SAVP profile. Whoever can read the SDP has the keys, so
// they protect a call only as far as the signalling is encrypted and the
// proxies on its way are trusted: the caller offers and answers them only
// over SIP-TLS, and the call counts as "encrypted, not end to end".

// The two suites this phone offers and accepts, preferred first.
const (
	SuiteAESGCM128  = "AEAD_AES_128_GCM"        // RFC 7714 section 12
	SuiteAESCM128HS = "AES_CM_128_HMAC_SHA1_80" // RFC 4568 section 6.2.1
)

// SDESSuites lists the suites offered, best first.
func SDESSuites() []string { return []string{SuiteAESGCM128, SuiteAESCM128HS} }

// keyLen is the length of a suite's inline key: master key then master
// salt (16+12 for AES-GCM, RFC 7714; 16+14 for AES-CM, RFC 4568).
func keyLen(suite string) int {
	switch suite {
	case SuiteAESGCM128:
		return 28
	case SuiteAESCM128HS:
		return 30
	}
	return 0
}

// Crypto is one a=crypto line: tag, suite and the master key followed by
// the master salt. Its String never shows the key.
type Crypto struct {
	Tag   int
	Suite string
	Key   []byte // key || salt, keyLen(Suite) bytes
}

// KeySalt splits Key into the master key and salt (both 16-byte keys here).
func (c Crypto) KeySalt() (key, salt []byte) { return c.Key[:16], c.Key[16:] }

// String is the line's tag and suite, for logs: never the key.
func (c Crypto) String() string { return strconv.Itoa(c.Tag) + " " + c.Suite }

// attribute is the a=crypto value (without "crypto:").
func (c Crypto) attribute() string {
	return strconv.Itoa(c.Tag) + " " + c.Suite + " inline:" + base64.StdEncoding.EncodeToString(c.Key)
}

// NewCrypto makes a line for suite with a fresh random key.
func NewCrypto(tag int, suite string) (Crypto, error) {
	n := keyLen(suite)
	if n == 0 {
		return Crypto{}, fmt.Errorf("sdp: SDES suite %q is not supported (use %s)", suite, strings.Join(SDESSuites(), " or "))
	}
	c := Crypto{Tag: tag, Suite: suite, Key: make([]byte, n)}
	if _, err := rand.Read(c.Key); err != nil {
		return Crypto{}, err
	}
	return c, nil
}

// errCryptoUnsupported marks a well-formed line this phone cannot honour
// (another suite, MKIs, session parameters): it is skipped, not an error
// of the whole SDP.
var errCryptoUnsupported = errors.New("sdp: crypto line not supported")

// parseCrypto reads an a=crypto value: "<tag> <suite> inline:<base64>
// [|lifetime][|MKI:len] [session params]". Lines with more than one key,
// an MKI, or any session parameter (UNENCRYPTED_SRTP, KDR, ...) are not
// supported: their meaning would weaken or change the keying.
func parseCrypto(v string) (Crypto, error) {
	fields := strings.Fields(v)
	if len(fields) < 3 {
		return Crypto{}, fmt.Errorf("sdp: crypto %q: want tag, suite and key parameters", v)
	}
	tag, err := strconv.Atoi(fields[0])
	if err != nil || tag < 0 || tag > 999999999 {
		return Crypto{}, fmt.Errorf("sdp: crypto tag %q is not 1 to 9 digits", fields[0])
	}
	suite := fields[1]
	n := keyLen(suite)
	if n == 0 || len(fields) > 3 || strings.Contains(fields[2], ";") {
		return Crypto{}, errCryptoUnsupported
	}
	inline, ok := strings.CutPrefix(fields[2], "inline:")
	if !ok {
		return Crypto{}, fmt.Errorf("sdp: crypto key method in %q is not inline", fields[2])
	}
	key64, rest, _ := strings.Cut(inline, "|")
	if rest != "" {
		// Only a lifetime may follow; an MKI (n:len) is not supported.
		if strings.Contains(rest, "|") || strings.Contains(rest, ":") {
			return Crypto{}, errCryptoUnsupported
		}
	}
	key, err := base64.StdEncoding.DecodeString(key64)
	if err != nil {
		// Some peers leave out the padding.
		key, err = base64.RawStdEncoding.DecodeString(key64)
	}
	if err != nil || len(key) != n {
		return Crypto{}, fmt.Errorf("sdp: crypto %d %s: the inline key is not %d bytes of base64", tag, suite, n)
	}
	return Crypto{Tag: tag, Suite: suite, Key: key}, nil
}

// ChooseCrypto picks the answer to an SDES offer: the first of the
// offered lines whose suite is ours, answered with the same tag and suite
// and a fresh key of our own (RFC 4568 section 7.1.2).
func ChooseCrypto(offered []Crypto) (ours, theirs Crypto, err error) {
	for _, o := range offered {
		if keyLen(o.Suite) == 0 {
			continue
		}
		c, err := NewCrypto(o.Tag, o.Suite)
		return c, o, err
	}
	return Crypto{}, Crypto{}, fmt.Errorf("sdp: no SDES suite in common: the peer offers %v, this phone does %s", offered, strings.Join(SDESSuites(), ", "))
}

// MatchCrypto finds in an answer the line for one of our offered ones
// (same tag and suite); ours is the one it accepted.
func MatchCrypto(offered, answered []Crypto) (ours, theirs Crypto, err error) {
	for _, a := range answered {
		for _, o := range offered {
			if a.Tag == o.Tag && a.Suite == o.Suite {
				return o, a, nil
			}
		}
	}
	return Crypto{}, Crypto{}, errors.New("sdp: the answer's a=crypto matches none of the offered lines")
}
