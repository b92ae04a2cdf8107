// Package phonebook answers who a number or SIP address is, and reads and
// writes the phonebook as vCard (RFC 6350) for import and export.
//
// The people themselves live sealed in the store (store.PhonebookEntry);
// a Book opens them on each question, which MaxPhonebookEntries keeps cheap
// (docs/BENCHMARKS.md), so an edit, an import or a restore is seen at once
// and no copy of the phonebook lingers in memory. The caller announcement
// and speed dial (later) use Lookup and Favourites.
package phonebook

import (
	"context"
	"slices"
	"strings"

	"github.com/padlock-phone/padlock/store"
)

// Book is the phonebook of one store.
type Book struct{ St *store.Store }

// Lookup returns the name of the person whose number or SIP address addr
// is, or "" when nobody is (or the vault is locked: names are sealed).
func (b Book) Lookup(ctx context.Context, addr string) string {
	es, err := b.St.Phonebook(ctx)
	if err != nil {
		return ""
	}
	return Match(es, addr)
}

// Favourites returns the favourites in position order.
func (b Book) Favourites(ctx context.Context) ([]store.PhonebookEntry, error) {
	es, err := b.St.Phonebook(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.PhonebookEntry
	for _, e := range es {
		if e.Favourite > 0 {
			out = append(out, e)
		}
	}
	sortByFavourite(out)
	return out, nil
}

func sortByFavourite(es []store.PhonebookEntry) {
	slices.SortStableFunc(es, func(a, b store.PhonebookEntry) int { return a.Favourite - b.Favourite })
}

// Match returns the name of the first entry one of whose addresses is addr
// (see Same), or "".
func Match(es []store.PhonebookEntry, addr string) string {
	want := Normalize(addr)
	if want == "" {
		return ""
	}
	for _, e := range es {
		for _, a := range e.Addresses {
			if same(Normalize(a), want) {
				return e.Name
			}
		}
	}
	return ""
}

// Same reports whether two numbers or addresses reach the same person:
// equal once normalised, or a bare number equal to the user part of a SIP
// address ("1001" is sip:1001@pbx.example.org, whatever the domain, since a
// number in the phonebook is dialled on whichever account takes it).
func Same(a, b string) bool { return same(Normalize(a), Normalize(b)) }

func same(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	ua, ha, aAt := strings.Cut(a, "@")
	ub, hb, bAt := strings.Cut(b, "@")
	switch {
	case aAt && bAt:
		return false // equal ones were caught above
	case aAt:
		return isNumber(ub) && ua == ub && ha != ""
	case bAt:
		return isNumber(ua) && ua == ub && hb != ""
	}
	return false
}

// Normalize turns what people type, and what SIP puts in From, into one
// comparable form: no display name or angle brackets, no sip:/sips:/tel:
// scheme, no URI parameters or headers, the host in lower case, and a
// number (digits with + * #) without its visual separators (spaces, dashes,
// dots, brackets). It returns "" for an empty address.
func Normalize(addr string) string {
	s := strings.TrimSpace(addr)
	if i := strings.IndexByte(s, '<'); i >= 0 {
		s = s[i+1:]
		if j := strings.IndexByte(s, '>'); j >= 0 {
			s = s[:j]
		}
	}
	for _, scheme := range []string{"sips:", "sip:", "tel:"} {
		if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			s = s[len(scheme):]
			break
		}
	}
	if i := strings.IndexAny(s, ";?"); i >= 0 {
		s = s[:i]
	}
	user, host, at := strings.Cut(s, "@")
	if n := stripSeparators(user); isNumber(n) {
		user = n
	}
	if !at {
		return user
	}
	host = strings.ToLower(host)
	host = strings.TrimSuffix(host, ":5060") // the default port says nothing
	return user + "@" + host
}

// stripSeparators drops what people put in numbers to read them: spaces,
// dashes, dots, brackets (tel URIs call them visual separators).
func stripSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')', '\u00a0':
			return -1
		}
		return r
	}, s)
}

// isNumber: digits, an optional leading +, and the keypad's * and #.
func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '*' && r != '#' {
			return false
		}
	}
	return true
}
