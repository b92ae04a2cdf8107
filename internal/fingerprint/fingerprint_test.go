package fingerprint

import (
	"crypto/sha256"
	"strings"
	"testing"
)

func TestFormatParse(t *testing.T) {
	sum := sha256.Sum256([]byte("padlock"))
	f := Format(sum)
	if len(f) != 95 || strings.ToUpper(f) != f || strings.Count(f, ":") != 31 {
		t.Fatalf("Format = %q", f)
	}
	if OfDER([]byte("padlock")) != f {
		t.Fatal("OfDER differs from Format of the sum")
	}
	for _, in := range []string{f, strings.ToLower(f), strings.ReplaceAll(f, ":", ""), strings.ReplaceAll(f, ":", " "), " " + strings.ReplaceAll(f, ":", "-") + "\n"} {
		got, err := Parse(in)
		if err != nil || got != sum {
			t.Errorf("Parse(%q) = %x, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "AB:CD", f + ":00", strings.Replace(f, "A", "G", 1), strings.Repeat("x", 5000)} {
		if _, err := Parse(bad); err == nil || len(err.Error()) > 200 {
			t.Errorf("Parse(%.20q…): err %v", bad, err)
		}
	}
}

// FuzzParse: typed by the person on the web admin; never panics and only
// accepts what formats back to the same 32 bytes.
func FuzzParse(f *testing.F) {
	f.Add(Format(sha256.Sum256(nil)))
	f.Add("00")
	f.Fuzz(func(t *testing.T, s string) {
		fp, err := Parse(s)
		if err != nil {
			return
		}
		if back, err := Parse(Format(fp)); err != nil || back != fp {
			t.Fatalf("round trip of %q failed", s)
		}
	})
}
