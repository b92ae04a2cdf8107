package webadmin

import (
	"net/http"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Fuzz targets for the parsers of what anyone on the LAN can send before
// logging in: ?next=, ?ok=, the device cookie; and for shownText, which
// sees whatever a chat peer writes.

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/accounts", "//evil", "/\t/evil", "/\\evil", "https://x", "/%2F%2Fevil", "/a?b=c#d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got == "/" {
			return
		}
		if got != next || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\t\r\n ") {
			t.Fatalf("safeNext(%q) = %q", next, got)
		}
	})
}

func FuzzNoticeText(f *testing.F) {
	f.Add("logged-out")
	f.Add(noticeParam("Account alice@example.org added."))
	f.Add("m.")
	f.Add("m.AAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, param string) {
		text := noticeText(param)
		if text == "" {
			return
		}
		// Whatever shows was written by the server: a table entry, or a
		// message whose MAC this process made.
		if _, known := notices[param]; !known && noticeParam(text) != param {
			t.Fatalf("?ok=%q shows %q, which the server did not seal", param, text)
		}
	})
}

func FuzzDeviceCookie(f *testing.F) {
	s := &Server{deviceKey: []byte("0123456789abcdef0123456789abcdef")}
	f.Add("")
	f.Add(strings.Repeat("A", 43))
	f.Add("not base64 !!")
	f.Fuzz(func(t *testing.T, v string) {
		r, _ := http.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: deviceCookie, Value: v})
		if id, ok := s.deviceID(r); ok {
			t.Fatalf("a forged device cookie %q was taken as %q", v, id)
		}
	})
}

func FuzzShownText(f *testing.F) {
	for _, s := range []string{"hello", "evil\u202egnp.exe", "\xff\xfe", strings.Repeat("x", 5000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := shownText(in)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q", in)
		}
		for _, r := range out {
			if unicode.Is(unicode.Cf, r) {
				t.Fatalf("shownText(%q) keeps the format character %U", in, r)
			}
		}
		if n := utf8.RuneCountInString(out); n > 8*maxShownRunes+64 {
			t.Fatalf("%d runes shown", n)
		}
	})
}
