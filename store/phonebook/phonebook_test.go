package phonebook

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/store"
)

func TestNormalizeAndSame(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"alice@example.org", "sip:alice@EXAMPLE.org", true},
		{"alice@example.org", `"Alice" <sips:alice@example.org;transport=tls>`, true},
		{"alice@example.org:5060", "alice@example.org", true},
		{"+44 (20) 7946-0000", "tel:+442079460000", true},
		{"1001", "1001@127.0.0.1", true},       // a number reaches its user part on any domain
		{"1001@pbx.example.org", "1001", true}, // and the other way round
		{"alice", "alice@example.org", false},  // a name is not a number: domains matter
		{"1001@a.example", "1001@b.example", false},
		{"1001", "10011", false},
		{"", "", false},
		{"bob@example.org", "alice@example.org", false},
	} {
		if got := Same(tc.a, tc.b); got != tc.want {
			t.Errorf("Same(%q, %q) = %v, want %v (normalised %q, %q)", tc.a, tc.b, got, tc.want, Normalize(tc.a), Normalize(tc.b))
		}
	}
}

func TestMatch(t *testing.T) {
	es := []store.PhonebookEntry{
		{Name: "Alice", Addresses: []string{"alice@example.org", "+1 555 0100"}},
		{Name: "Bob", Addresses: []string{"1002"}},
	}
	for addr, want := range map[string]string{
		"alice@example.org":       "Alice",
		"+15550100@gw.example":    "Alice",
		"sip:1002@127.0.0.1:5071": "Bob",
		"carol@example.org":       "",
	} {
		if got := Match(es, addr); got != want {
			t.Errorf("Match(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestDecodeExports(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []store.PhonebookEntry
	}{
		{"android-3.0.vcf", []store.PhonebookEntry{
			{Name: "Dr. Zoë Ward", Addresses: []string{"+44 20 7946-0000", "zoe@sip.example.org"}},
			{Name: "No Phone"},
		}},
		{"rfc6350-4.0.vcf", []store.PhonebookEntry{
			{Name: "Simon Perreault", Addresses: []string{"+1-555-555-5555", "+33-01-23-45-67", "simon@Example.COM"}, Favourite: 3},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile("testdata/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	card := func(body string) string { return "BEGIN:VCARD\r\nVERSION:4.0\r\n" + body + "END:VCARD\r\n" }
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "no BEGIN:VCARD"},
		{"not vcard", "hello: world\n", "outside BEGIN:VCARD"},
		{"no end", "BEGIN:VCARD\nVERSION:4.0\nFN:a\n", "ends inside a card"},
		{"nested", "BEGIN:VCARD\nVERSION:4.0\nBEGIN:VCARD\n", "inside another"},
		{"version 2.1", "BEGIN:VCARD\nVERSION:2.1\nFN:a\nEND:VCARD\n", "reads 4.0 and 3.0"},
		{"no version", "BEGIN:VCARD\nFN:a\nTEL:1\nEND:VCARD\n", "no VERSION"},
		{"no colon", card("FN\r\n"), "no ':'"},
		{"bad name", card("F N:x\r\n"), "property name"},
		{"bad favourite", card("FN:a\r\nX-PADLOCK-FAVOURITE:100\r\n"), "position 1..99"},
		{"long line", card("NOTE:" + strings.Repeat("x", maxLineBytes) + "\r\n"), "longer than"},
		{"too many numbers", card(strings.Repeat("TEL:1\r\n", store.MaxEntryAddresses+1)), "more than 16"},
		{"not utf-8", "BEGIN:VCARD\nFN:\xff\n", "not UTF-8"},
		{"too big", strings.Repeat(" ", MaxVCardBytes+1), "at most"},
		{"nameless", card("EMAIL:a@b\r\n"), "no name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.in))
			if !errors.Is(err, ErrVCard) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrVCard saying %q", err, tc.want)
			}
		})
	}
}

func TestDecodeTooManyCards(t *testing.T) {
	one := "BEGIN:VCARD\nVERSION:4.0\nFN:a\nTEL:1\nEND:VCARD\n"
	if _, err := Decode([]byte(strings.Repeat(one, maxCards))); err != nil {
		t.Fatalf("%d cards: %v", maxCards, err)
	}
	if _, err := Decode([]byte(strings.Repeat(one, maxCards+1))); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("%d cards: err = %v", maxCards+1, err)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	in := []store.PhonebookEntry{
		{Name: "Zoë; Ward, \\ the second", Addresses: []string{"+44 20 7946 0000", "sip:zoe@Example.org", "reception"}, Favourite: 1},
		{Name: strings.Repeat("ü", 90), Addresses: []string{"1001"}},
	}
	b := Encode(in)
	for _, l := range strings.Split(string(b), "\r\n") {
		if len(l) > 75 {
			t.Fatalf("line of %d octets: %q", len(l), l)
		}
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	want := []store.PhonebookEntry{
		{Name: in[0].Name, Addresses: []string{"+442079460000", "zoe@example.org", "reception"}, Favourite: 1},
		in[1],
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v\n%s", got, want, b)
	}
}

// FuzzDecode: any input gives entries or an ErrVCard, within the bounds, and
// what comes out survives an export and a second import unchanged in size.
func FuzzDecode(f *testing.F) {
	for _, n := range []string{"android-3.0.vcf", "rfc6350-4.0.vcf"} {
		b, err := os.ReadFile("testdata/" + n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrVCard) {
				t.Fatalf("error not wrapping ErrVCard: %v", err)
			}
			return
		}
		for _, e := range es {
			if e.Name == "" || len(e.Addresses) > store.MaxEntryAddresses || len(e.Name) > store.MaxNameLen {
				t.Fatalf("entry out of bounds: %+v", e)
			}
		}
		again, err := Decode(Encode(es))
		if err != nil {
			t.Fatalf("re-import of an export: %v", err)
		}
		if len(again) != len(es) {
			t.Fatalf("re-import has %d cards, export had %d", len(again), len(es))
		}
	})
}
