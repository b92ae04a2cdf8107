package phonebook

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/padlock-phone/padlock/store"
)

// Bounds of a vCard file. An import is a file uploaded to the web admin,
// so each bound keeps a hostile one cheap: the whole file, one unfolded
// line, and the number of cards (the phonebook's own bound).
const (
	MaxVCardBytes = 1 << 20
	maxLineBytes  = 4096
	maxCards      = store.MaxPhonebookEntries
)

// ErrVCard is wrapped by every error of Decode.
var ErrVCard = errors.New("not a vCard file this phone reads")

// favouriteProperty carries a favourite's position, which vCard has no
// word for; other programs keep an X- property they do not know (RFC 6350
// §6.10) and ignore it.
const favouriteProperty = "X-PADLOCK-FAVOURITE"

// Decode reads vCards (RFC 6350 version 4.0, and 3.0 as phones export it)
// into phonebook entries: FN (or N) is the name; TEL, IMPP with a sip: or
// sips: URI, and X-SIP are the addresses; X-PADLOCK-FAVOURITE the position.
// Other properties are skipped. A card without any number or SIP address
// comes back with no Addresses: the caller decides (the store refuses it).
// Errors say the line.
func Decode(data []byte) ([]store.PhonebookEntry, error) {
	if len(data) > MaxVCardBytes {
		return nil, fmt.Errorf("%w: %d bytes; at most %d", ErrVCard, len(data), MaxVCardBytes)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not UTF-8 text", ErrVCard)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var (
		out     []store.PhonebookEntry
		cur     *card
		lineNo  int
		sawCard bool
	)
	for ln, err := range logicalLines(data) {
		lineNo = ln.no
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrVCard, ln.no, err)
		}
		if strings.TrimSpace(ln.text) == "" {
			continue
		}
		p, err := parseContentLine(ln.text)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrVCard, ln.no, err)
		}
		switch {
		case p.name == "BEGIN":
			if !strings.EqualFold(p.value, "VCARD") {
				return nil, fmt.Errorf("%w: line %d: BEGIN:%.20s inside no card", ErrVCard, ln.no, p.value)
			}
			if cur != nil {
				return nil, fmt.Errorf("%w: line %d: a card begins inside another (END:VCARD missing)", ErrVCard, ln.no)
			}
			if len(out) == maxCards {
				return nil, fmt.Errorf("%w: more than %d cards", ErrVCard, maxCards)
			}
			cur, sawCard = &card{}, true
		case cur == nil:
			return nil, fmt.Errorf("%w: line %d: %s outside BEGIN:VCARD … END:VCARD", ErrVCard, ln.no, p.name)
		case p.name == "END":
			e, err := cur.entry()
			if err != nil {
				return nil, fmt.Errorf("%w: card ending on line %d: %v", ErrVCard, ln.no, err)
			}
			out = append(out, e)
			cur = nil
		default:
			if err := cur.add(p); err != nil {
				return nil, fmt.Errorf("%w: line %d: %v", ErrVCard, ln.no, err)
			}
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("%w: line %d: the file ends inside a card (END:VCARD missing)", ErrVCard, lineNo)
	}
	if !sawCard {
		return nil, fmt.Errorf("%w: no BEGIN:VCARD in it", ErrVCard)
	}
	return out, nil
}

// card gathers one card's properties.
type card struct {
	version   string
	fn, n     string
	addresses []string
	favourite int
}

func (c *card) add(p property) error {
	switch p.name {
	case "VERSION":
		if p.value != "4.0" && p.value != "3.0" {
			return fmt.Errorf("vCard version %.10q; this phone reads 4.0 and 3.0", p.value)
		}
		c.version = p.value
	case "FN":
		if c.fn == "" {
			c.fn = unescapeText(p.value)
		}
	case "N":
		c.n = nameFromN(p.value)
	case "TEL":
		if a := telAddress(p); a != "" {
			return c.addAddress(a)
		}
	case "IMPP", "X-SIP":
		if a := sipAddress(p.value, p.name == "X-SIP"); a != "" {
			return c.addAddress(a)
		}
	case favouriteProperty:
		n, err := strconv.Atoi(p.value)
		if err != nil || n < 1 || n > store.MaxFavourite {
			return fmt.Errorf("%s:%.10q: want a position 1..%d", favouriteProperty, p.value, store.MaxFavourite)
		}
		c.favourite = n
	}
	return nil
}

func (c *card) addAddress(a string) error {
	if len(a) > store.MaxAddressLen {
		return fmt.Errorf("an address of %d bytes; at most %d", len(a), store.MaxAddressLen)
	}
	if len(c.addresses) == store.MaxEntryAddresses {
		return fmt.Errorf("more than %d numbers and addresses in one card", store.MaxEntryAddresses)
	}
	c.addresses = append(c.addresses, a)
	return nil
}

func (c *card) entry() (store.PhonebookEntry, error) {
	if c.version == "" {
		return store.PhonebookEntry{}, errors.New("no VERSION")
	}
	name := strings.TrimSpace(c.fn)
	if name == "" {
		name = c.n
	}
	if name == "" && len(c.addresses) > 0 {
		name = c.addresses[0]
	}
	if name == "" {
		return store.PhonebookEntry{}, errors.New("no name (FN or N) and no number")
	}
	if len(name) > store.MaxNameLen {
		return store.PhonebookEntry{}, fmt.Errorf("a name of %d bytes; at most %d", len(name), store.MaxNameLen)
	}
	return store.PhonebookEntry{Name: name, Addresses: c.addresses, Favourite: c.favourite}, nil
}

// nameFromN makes "Given Family" from N's family;given;additional;prefix;suffix.
func nameFromN(v string) string {
	parts := splitUnescaped(v, ';')
	get := func(i int) string {
		if i < len(parts) {
			return strings.TrimSpace(unescapeText(strings.ReplaceAll(parts[i], ",", " ")))
		}
		return ""
	}
	var words []string
	for _, i := range []int{3, 1, 2, 0, 4} {
		if w := get(i); w != "" {
			words = append(words, w)
		}
	}
	return strings.Join(words, " ")
}

// telAddress reads a TEL: a tel: URI (4.0), a sip: URI, or text (3.0).
func telAddress(p property) string {
	v := strings.TrimSpace(p.value)
	if a := sipAddress(v, false); a != "" {
		return a
	}
	if len(v) >= 4 && strings.EqualFold(v[:4], "tel:") {
		v = v[4:]
		if i := strings.IndexByte(v, ';'); i >= 0 {
			v = v[:i] // ;ext=, ;phone-context=
		}
	}
	return strings.TrimSpace(unescapeText(v))
}

// sipAddress returns user@host of a sip:/sips: URI, or "" for another
// scheme; bare says the value may also be a bare user@host (X-SIP).
func sipAddress(v string, bare bool) string {
	v = strings.TrimSpace(v)
	for _, scheme := range []string{"sips:", "sip:"} {
		if len(v) >= len(scheme) && strings.EqualFold(v[:len(scheme)], scheme) {
			return cleanSIP(v[len(scheme):])
		}
	}
	if bare && !strings.Contains(v, ":") {
		return cleanSIP(unescapeText(v))
	}
	return ""
}

func cleanSIP(v string) string {
	if i := strings.IndexAny(v, ";?"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// property is one content line: NAME;params:value (group dropped).
type property struct {
	name   string // upper case
	params map[string]string
	value  string
}

// parseContentLine splits [group "."] name *(";" param) ":" value; a
// parameter value may be quoted, and then holds ':' and ';'.
func parseContentLine(line string) (property, error) {
	var p property
	colon, inQuote := -1, false
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '"':
			inQuote = !inQuote
		case ':':
			if !inQuote {
				colon = i
			}
		}
		if colon >= 0 {
			break
		}
	}
	if colon < 0 {
		return p, errors.New("no ':' between a property's name and its value")
	}
	head, value := line[:colon], line[colon+1:]
	parts := splitOutsideQuotes(head, ';')
	name := parts[0]
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:] // the group says nothing to a phone
	}
	if name == "" || strings.Trim(strings.ToUpper(name), "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
		return p, fmt.Errorf("property name %.30q is not letters, digits and '-'", name)
	}
	p.name, p.value = strings.ToUpper(name), value
	for _, param := range parts[1:] {
		k, v, _ := strings.Cut(param, "=")
		if p.params == nil {
			p.params = map[string]string{}
		}
		p.params[strings.ToUpper(k)] = strings.Trim(v, `"`)
	}
	return p, nil
}

// splitOutsideQuotes splits s at sep where sep is not inside "…".
func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	start, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQuote = !inQuote
		case sep:
			if !inQuote {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// splitUnescaped splits s at sep not preceded by a backslash escape.
func splitUnescaped(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unescapeText undoes RFC 6350 §3.4's escapes: \\ \, \; \n (and \N). A
// newline becomes a space: a name is one line.
func unescapeText(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n', 'N':
				b.WriteByte(' ')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

type logicalLine struct {
	no   int // the number of its first physical line
	text string
}

// logicalLines unfolds the file (RFC 6350 §3.2: a line break followed by
// one space or tab continues the line). Bare LF is accepted as CRLF, as
// many exporters write it.
func logicalLines(data []byte) func(yield func(logicalLine, error) bool) {
	return func(yield func(logicalLine, error) bool) {
		var cur strings.Builder
		curNo, no := 0, 0
		flush := func() bool {
			if curNo == 0 {
				return true
			}
			ok := yield(logicalLine{curNo, cur.String()}, nil)
			cur.Reset()
			curNo = 0
			return ok
		}
		for len(data) > 0 {
			no++
			i := bytes.IndexByte(data, '\n')
			var phys []byte
			if i < 0 {
				phys, data = data, nil
			} else {
				phys, data = data[:i], data[i+1:]
			}
			phys = bytes.TrimSuffix(phys, []byte("\r"))
			if len(phys) > 0 && (phys[0] == ' ' || phys[0] == '\t') && curNo != 0 {
				phys = phys[1:]
			} else if !flush() {
				return
			} else {
				curNo = no
			}
			if cur.Len()+len(phys) > maxLineBytes {
				yield(logicalLine{curNo, ""}, fmt.Errorf("a property longer than %d bytes", maxLineBytes))
				return
			}
			cur.Write(phys)
		}
		flush()
	}
}

// Encode writes entries as vCard 4.0: FN, N (which 4.0 no longer needs but
// older phones want), each number as TEL;VALUE=uri:tel:…, each SIP address
// as IMPP:sip:…, and the favourite position. Lines are folded at 75 octets.
func Encode(es []store.PhonebookEntry) []byte {
	var b bytes.Buffer
	for _, e := range es {
		writeLine(&b, "BEGIN:VCARD")
		writeLine(&b, "VERSION:4.0")
		writeLine(&b, "FN:"+escapeText(e.Name))
		writeLine(&b, "N:"+escapeText(e.Name)+";;;;")
		for _, a := range e.Addresses {
			n := Normalize(a)
			switch {
			case isNumber(n):
				writeLine(&b, "TEL;VALUE=uri:tel:"+n)
			case strings.Contains(n, "@"):
				writeLine(&b, "IMPP:sip:"+n)
			default:
				writeLine(&b, "TEL:"+escapeText(a)) // a name-like SIP user: kept as text
			}
		}
		if e.Favourite > 0 {
			writeLine(&b, favouriteProperty+":"+strconv.Itoa(e.Favourite))
		}
		writeLine(&b, "END:VCARD")
	}
	return b.Bytes()
}

func escapeText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ",", `\,`, ";", `\;`, "\n", `\n`).Replace(s)
}

// writeLine folds a content line into 75-octet pieces, never inside a
// UTF-8 sequence.
func writeLine(b *bytes.Buffer, line string) {
	limit := 75
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}
