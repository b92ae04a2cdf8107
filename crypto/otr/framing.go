package otr

import (
	"encoding/base64"
	"strings"
)

// Text framing: how OTR messages sit inside an IM message. There are five
// shapes: fragments ("?OTR|" v3, "?OTR," v2), encoded messages
// ("?OTR:" base64 "."), error messages ("?OTR Error:"), query messages
// ("?OTR?" / "?OTRv23?") and plaintext, possibly carrying a whitespace tag.

const (
	prefixEncoded    = "?OTR:"
	prefixFragmentV3 = "?OTR|"
	prefixFragmentV2 = "?OTR,"
	prefixError      = "?OTR Error:"
	queryMarker      = "?OTR"
)

// versionSet is a set of protocol versions, bit n for version n.
type versionSet uint8

func (s versionSet) has(v int) bool { return v >= 0 && v < 8 && s&(1<<v) != 0 }

func versionsOf(vs ...int) versionSet {
	var s versionSet
	for _, v := range vs {
		s |= 1 << v
	}
	return s
}

// encodeWire frames a binary message as "?OTR:" base64 ".".
func encodeWire(b []byte) string {
	return prefixEncoded + base64.StdEncoding.EncodeToString(b) + "."
}

// decodeWire extracts and decodes the binary message of an encoded message.
// ok is false when msg holds no "?OTR:" marker; err reports bad base64 or a
// missing terminating ".".
func decodeWire(msg string) (b []byte, ok bool, err error) {
	i := strings.Index(msg, prefixEncoded)
	if i < 0 {
		return nil, false, nil
	}
	rest := msg[i+len(prefixEncoded):]
	end := strings.IndexByte(rest, '.')
	if end < 0 {
		return nil, true, errMalformed
	}
	b, err = base64.StdEncoding.DecodeString(rest[:end])
	if err != nil {
		return nil, true, errMalformed
	}
	return b, true, nil
}

// queryMessage builds the query message offering the versions in s (only 2
// and 3 are ever offered; this package does not speak version 1).
func queryMessage(s versionSet) string {
	q := queryMarker + "v"
	for _, v := range []int{2, 3} {
		if s.has(v) {
			q += string(rune('0' + v))
		}
	}
	return q + "?"
}

// parseQuery finds a query message in msg and returns the versions it
// offers. "?OTR?" offers version 1; "?OTRv23?" versions 2 and 3; "?OTR?v2?"
// versions 1 and 2. Identifiers other than digits are ignored.
func parseQuery(msg string) (versionSet, bool) {
	for from := 0; ; {
		i := strings.Index(msg[from:], queryMarker)
		if i < 0 {
			return 0, false
		}
		rest := msg[from+i+len(queryMarker):]
		from += i + len(queryMarker)
		var s versionSet
		if strings.HasPrefix(rest, "?") {
			s |= versionsOf(1)
			rest = rest[1:]
			if !strings.HasPrefix(rest, "v") {
				return s, true
			}
		} else if !strings.HasPrefix(rest, "v") {
			continue // "?OTR:", "?OTR Error:", "?OTR|" ... are not queries
		}
		rest = rest[1:]
		end := strings.IndexByte(rest, '?')
		if end < 0 {
			if s != 0 {
				return s, true // "?OTR?v" with no closing "?": version 1 only
			}
			continue
		}
		for _, c := range rest[:end] {
			if c >= '1' && c <= '7' {
				s |= 1 << (c - '0')
			}
		}
		return s, true
	}
}

// Whitespace tag: a 16-byte base followed by 8-byte version markers.
const (
	wsBase = " \t  \t\t\t\t \t \t \t  "
	wsV1   = " \t \t  \t "
	wsV2   = "  \t\t  \t "
	wsV3   = "  \t\t  \t\t"
)

// whitespaceTag builds the tag advertising the versions in s.
func whitespaceTag(s versionSet) string {
	t := wsBase
	if s.has(2) {
		t += wsV2
	}
	if s.has(3) {
		t += wsV3
	}
	return t
}

// stripWhitespaceTag removes a whitespace tag from msg and returns the
// message without it and the versions it offered. Markers that are not
// known but consist only of spaces and tabs are taken to be future versions
// and removed too.
func stripWhitespaceTag(msg string) (string, versionSet, bool) {
	i := strings.Index(msg, wsBase)
	if i < 0 {
		return msg, 0, false
	}
	j := i + len(wsBase)
	var s versionSet
	for j+8 <= len(msg) {
		m := msg[j : j+8]
		switch m {
		case wsV1:
			s |= versionsOf(1)
		case wsV2:
			s |= versionsOf(2)
		case wsV3:
			s |= versionsOf(3)
		default:
			if strings.Trim(m, " \t") != "" {
				return msg[:i] + msg[j:], s, true
			}
		}
		j += 8
	}
	return msg[:i] + msg[j:], s, true
}

// parseError returns the human-readable part of an OTR error message.
func parseError(msg string) (string, bool) {
	i := strings.Index(msg, prefixError)
	if i < 0 {
		return "", false
	}
	return strings.TrimSpace(msg[i+len(prefixError):]), true
}

func errorMessage(text string) string { return prefixError + " " + text }
