package otr

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		msg  string
		ok   bool
		want versionSet
	}{
		{"?OTR?", true, versionsOf(1)},
		{"?OTRv2?", true, versionsOf(2)},
		{"?OTRv23?", true, versionsOf(2, 3)},
		{"?OTRv32?", true, versionsOf(2, 3)},
		{"?OTR?v2?", true, versionsOf(1, 2)},
		{"?OTRv24x?", true, versionsOf(2, 4)},
		{"?OTR?v24x?", true, versionsOf(1, 2, 4)},
		{"?OTR?v?", true, versionsOf(1)},
		{"?OTRv?", true, 0},
		{"alice wants to talk ?OTRv3? <b>please</b>", true, versionsOf(3)},
		{"?OTR:AAMD.", false, 0},
		{"?OTR Error: bad", false, 0},
		{"?OTR|1|2,1,1,x,", false, 0},
		{"hello", false, 0},
		{"?OTRv3", false, 0},
		{"?OTR:x ?OTRv3?", true, versionsOf(3)},
	}
	for _, tt := range tests {
		got, ok := parseQuery(tt.msg)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseQuery(%q) = %b, %v; want %b, %v", tt.msg, got, ok, tt.want, tt.ok)
		}
	}
	for _, s := range []versionSet{versionsOf(2), versionsOf(3), versionsOf(2, 3)} {
		got, ok := parseQuery(queryMessage(s))
		if !ok || got != s {
			t.Errorf("query %q parsed as %b", queryMessage(s), got)
		}
	}
	if q := queryMessage(versionsOf(2, 3)); q != "?OTRv23?" {
		t.Errorf("query for v2+v3 is %q", q)
	}
}

func TestWhitespaceTag(t *testing.T) {
	tests := []struct {
		name, msg, rest string
		ok              bool
		want            versionSet
	}{
		{"v2 v3", "hi" + wsBase + wsV2 + wsV3 + " there", "hi there", true, versionsOf(2, 3)},
		{"v1 first", wsBase + wsV1 + wsV2 + "x", "x", true, versionsOf(1, 2)},
		{"v3 only at end", "hello" + wsBase + wsV3, "hello", true, versionsOf(3)},
		{"unknown marker", wsBase + "\t\t\t\t\t\t\t\t" + wsV3 + "x", "x", true, versionsOf(3)},
		{"base only", "a" + wsBase + "b", "ab", true, 0},
		{"no tag", "plain words", "plain words", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rest, got, ok := stripWhitespaceTag(tt.msg)
			if rest != tt.rest || got != tt.want || ok != tt.ok {
				t.Errorf("got %q %b %v; want %q %b %v", rest, got, ok, tt.rest, tt.want, tt.ok)
			}
		})
	}
	rest, got, ok := stripWhitespaceTag("msg" + whitespaceTag(versionsOf(2, 3)))
	if rest != "msg" || got != versionsOf(2, 3) || !ok {
		t.Errorf("round trip: %q %b %v", rest, got, ok)
	}
}

func TestParseError(t *testing.T) {
	tests := []struct {
		msg, text string
		ok        bool
	}{
		{"?OTR Error: You sent encrypted data", "You sent encrypted data", true},
		{"<b>?OTR Error:</b>x", "</b>x", true},
		{"?OTR:abc.", "", false},
	}
	for _, tt := range tests {
		text, ok := parseError(tt.msg)
		if text != tt.text || ok != tt.ok {
			t.Errorf("parseError(%q) = %q %v", tt.msg, text, ok)
		}
	}
	if text, ok := parseError(errorMessage("boom")); !ok || text != "boom" {
		t.Errorf("round trip gave %q %v", text, ok)
	}
}

func TestDecodeWireErrors(t *testing.T) {
	tests := []struct {
		msg    string
		ok     bool
		hasErr bool
	}{
		{"hello", false, false},
		{"?OTR:AAID", true, true},
		{"?OTR:!!!!.", true, true},
		{"?OTR:AAID.", true, false},
	}
	for _, tt := range tests {
		_, ok, err := decodeWire(tt.msg)
		if ok != tt.ok || (err != nil) != tt.hasErr {
			t.Errorf("decodeWire(%q): ok=%v err=%v", tt.msg, ok, err)
		}
	}
}

// readVectors reads "kind value" lines from a testdata file, skipping
// comments.
func readVectors(t testing.TB, name string) [][2]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, " ")
		out = append(out, [2]string{k, v})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
