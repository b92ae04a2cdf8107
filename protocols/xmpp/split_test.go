package xmpp

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

type unit struct {
	text    string
	element bool
}

func splitAll(chunks ...string) []unit {
	var got []unit
	s := newSplitter(func(b []byte, el bool) { got = append(got, unit{string(b), el}) })
	for _, c := range chunks {
		s.Write([]byte(c))
	}
	return got
}

const sampleStream = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>` +
	`<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features> ` +
	"\n" + `<message to='a@b' id="x>y"><body>1 &lt; 2 <![CDATA[<not a tag>]]></body><!-- c --></message>` +
	`<presence/>` + `<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>` + `<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq></stream:stream>`

var sampleUnits = []unit{
	{`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`, false},
	{`<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>`, true},
	{`<message to='a@b' id="x>y"><body>1 &lt; 2 <![CDATA[<not a tag>]]></body><!-- c --></message>`, true},
	{`<presence/>`, true},
	{`<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>`, false},
	{`<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>`, true},
	{`</stream:stream>`, false},
}

func TestSplitter(t *testing.T) {
	check := func(name string, got []unit) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(sampleUnits) {
			t.Errorf("%s:\n got %v\nwant %v", name, got, sampleUnits)
		}
	}
	check("one write", splitAll(sampleStream))
	// Every byte in its own write: constructs cut anywhere still come out whole.
	var bytesOneByOne []string
	for i := range len(sampleStream) {
		bytesOneByOne = append(bytesOneByOne, sampleStream[i:i+1])
	}
	check("byte by byte", splitAll(bytesOneByOne...))
	for cut := range len(sampleStream) {
		got := splitAll(sampleStream[:cut], sampleStream[cut:])
		if fmt.Sprint(got) != fmt.Sprint(sampleUnits) {
			t.Fatalf("cut at %d:\n got %v", cut, got)
		}
	}
}

func TestSplitterOversized(t *testing.T) {
	big := `<message><body>` + strings.Repeat("a", maxLoggedUnit) + `</body></message>`
	want := []unit{{`<stream:stream>`, false}, {oversized, false}, {`<presence/>`, true}}
	for _, chunk := range []int{len(big), 64 << 10} {
		writes := []string{`<stream:stream>`}
		for i := 0; i < len(big); i += chunk {
			writes = append(writes, big[i:min(i+chunk, len(big))])
		}
		got := splitAll(append(writes, `<presence/>`)...)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%d-byte writes: got %.300v", chunk, got)
		}
	}
}

func FuzzSplitter(f *testing.F) {
	f.Add([]byte(sampleStream), 7)
	f.Add([]byte(`<stream:stream><a b='>'/><c><!--`), 3)
	f.Fuzz(func(t *testing.T, stream []byte, cut int) {
		if len(stream) == 0 {
			return
		}
		if cut < 0 {
			cut = -cut
		}
		cut %= len(stream)
		var whole, parts bytes.Buffer
		s1 := newSplitter(func(b []byte, el bool) { fmt.Fprintf(&whole, "%v%q\n", el, b) })
		s1.Write(stream)
		s2 := newSplitter(func(b []byte, el bool) { fmt.Fprintf(&parts, "%v%q\n", el, b) })
		s2.Write(stream[:cut])
		s2.Write(stream[cut:])
		// Where the stream is cut into writes must not change the units.
		if whole.String() != parts.String() {
			t.Fatalf("cut at %d changes the split:\n%s\nvs\n%s", cut, whole.String(), parts.String())
		}
	})
}
