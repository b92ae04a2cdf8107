package zrtp

import (
	"bufio"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// vectorLine is one non-comment line of a testdata file: a kind and fields.
type vectorLine struct {
	kind   string
	fields []string
}

func readVectors(t testing.TB, name string) []vectorLine {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatalf("open vectors: %v", err)
	}
	defer f.Close()
	var out []vectorLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, rest, _ := strings.Cut(line, " ")
		out = append(out, vectorLine{kind: kind, fields: strings.Fields(rest)})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in vectors: %v", err)
	}
	return b
}

// exchange is the bzrtp packet capture with its secrets (bzrtp_exchange.txt).
type exchange struct {
	packets map[string][]byte
	values  map[string][]byte
	hashes  map[string]string
}

func loadExchange(t testing.TB) exchange {
	t.Helper()
	ex := exchange{packets: map[string][]byte{}, values: map[string][]byte{}, hashes: map[string]string{}}
	for _, l := range readVectors(t, "bzrtp_exchange.txt") {
		switch {
		case l.kind == "packet":
			ex.packets[l.fields[0]] = unhex(t, l.fields[1])
		case strings.HasPrefix(l.kind, "zrtphash_"):
			ex.hashes[strings.TrimPrefix(l.kind, "zrtphash_")] = strings.ReplaceAll(l.fields[0], "_", " ")
		default:
			ex.values[l.kind] = unhex(t, l.fields[0])
		}
	}
	return ex
}

// message returns the message bytes of a named packet of the exchange.
func (ex exchange) message(t testing.TB, name string) []byte {
	t.Helper()
	p, err := ParsePacket(ex.packets[name])
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p.Message
}
