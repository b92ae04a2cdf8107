// Package fingerprint writes and reads SHA-256 certificate fingerprints the
// one way Padlock shows them everywhere (the web admin's own certificate,
// pinned XMPP server certificates, DTLS-SRTP certificates in Jingle calls):
// colon-separated upper case hex pairs,
// as browsers and openssl show them.
package fingerprint

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Format writes a SHA-256 fingerprint as "AB:CD:…".
func Format(sum [32]byte) string {
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	b.Grow(len(h) + len(h)/2)
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// OfDER is the formatted SHA-256 fingerprint of a DER certificate.
func OfDER(der []byte) string { return Format(sha256.Sum256(der)) }

// Parse reads a SHA-256 fingerprint written as 64 hex digits, with or
// without colons, spaces or dashes between pairs.
func Parse(s string) ([32]byte, error) {
	var fp [32]byte
	clean := strings.NewReplacer(":", "", " ", "", "-", "").Replace(strings.TrimSpace(s))
	b, err := hex.DecodeString(clean)
	if err != nil || len(b) != len(fp) {
		if len(s) > 100 {
			s = s[:100] + "…"
		}
		return fp, fmt.Errorf("%q is not a SHA-256 fingerprint (64 hex digits)", s)
	}
	copy(fp[:], b)
	return fp, nil
}
