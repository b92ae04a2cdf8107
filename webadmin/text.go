package webadmin

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxShownRunes is how much of one text (a chat message, a contact's
// name) a page shows; the rest is counted, not shown (issue 12: a
// 100,000-character message broke the layout).
const maxShownRunes = 4000

// shownText is what a page shows of text someone else wrote: invisible
// format characters — bidi overrides and isolates, zero-width spaces and
// joiners, the BOM, soft hyphens (Unicode category Cf) — become a visible
// [U+XXXX], so "evil\u202egnp.exe" cannot pass for "evilexe.png", and a
// very long text is cut with a count of what was left out. The one place
// for it: the templates use it as {{shown …}}, the chat's event stream
// sends it, the stylesheet isolates such text from the page around it.
func shownText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	n := 0
	for i, r := range s {
		if n == maxShownRunes {
			rest := utf8.RuneCountInString(s[i:])
			fmt.Fprintf(&b, " … (%d more characters not shown)", rest)
			break
		}
		n++
		if unicode.Is(unicode.Cf, r) {
			fmt.Fprintf(&b, "[U+%04X]", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// count writes n with the noun in the right number: "1 entry", "2
// entries", "no entries". one and many are the singular and plural.
func count(n int, one, many string) string {
	switch n {
	case 0:
		return "no " + many
	case 1:
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// capitalize upper-cases the first letter of an ASCII sentence start.
func capitalize(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
