package jingle

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/media/codec"
	"github.com/padlock-phone/padlock/media/sdp"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t testing.TB, b []byte) *Jingle {
	t.Helper()
	j, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return j
}

func TestParseStanzaJSOffer(t *testing.T) {
	j := mustParse(t, readFile(t, "stanzajs-12.22.1_initiate.xml"))
	if j.Action != SessionInitiate || j.SID != "12ca7776-b936-40c6-9b80-fbff64eda155" {
		t.Fatalf("header: %+v", j)
	}
	if j.Group == nil || j.Group.Semantics != "BUNDLE" || len(j.Group.Contents) != 1 || j.Group.Contents[0].Name != "0" {
		t.Fatalf("group: %+v", j.Group)
	}
	m, err := ReadContent(j.Contents[0])
	if err != nil {
		t.Fatal(err)
	}
	// Opus (opus/48000/2) is ours, red and CN are not; the 8 kHz
	// telephone-event is.
	want := Media{
		Formats: []codec.Format{codec.Opus, codec.G722, codec.PCMU, codec.PCMA}, EventPT: 126, RTCPMux: true,
		Ufrag: "qzO1", Pwd: "f2kqY/+N7xZrjiIvVXKNM+kS",
		Fingerprint: &Fingerprint{Hash: "sha-256", Setup: SetupActpass, Value: "26:CB:A8:96:16:B7:F2:CD:67:EE:EF:68:01:F2:57:70:94:40:88:43:1F:06:D6:02:5F:97:FA:2C:A4:24:B8:BB"},
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("media\n got %+v\nwant %+v", m, want)
	}
	r := m.Remote(true)
	if r.Direction != sdp.SendRecv || r.EventPT != 126 || r.ZRTPHash != "" {
		t.Fatalf("as sdp.Remote: %+v", r)
	}
	// The engine takes it as a call that rings.
	evs, outs, iqErr := NewEngine("alice@localhost/padlock", nil).Receive("carol@localhost/browser", j)
	if iqErr != nil || len(outs) != 0 || len(evs) != 1 {
		t.Fatalf("engine: %v %v %v", evs, outs, iqErr)
	}
}

func TestParseStanzaJSAnswerAndTrickle(t *testing.T) {
	acc := mustParse(t, readFile(t, "stanzajs-12.22.1_accept.xml"))
	m, err := ReadContent(acc.Contents[0])
	if err != nil || m.Fingerprint == nil || m.Fingerprint.Setup != SetupActive || !m.RTCPMux || m.EventPT != 101 || m.Formats[0] != codec.G722 {
		t.Fatalf("answer %+v: %v", m, err)
	}
	ti := mustParse(t, readFile(t, "stanzajs-12.22.1_transport-info.xml"))
	cs := ti.Contents[0].Transport.Candidates
	if len(cs) != 1 {
		t.Fatalf("candidates: %+v", cs)
	}
	if a, ok := cs[0].Addr(); !ok || !a.Addr().IsLoopback() {
		t.Errorf("UDP host candidate: %v %v", a, ok)
	}
	done := mustParse(t, readFile(t, "stanzajs-12.22.1_transport-info-2.xml"))
	if tr := done.Contents[0].Transport; tr == nil || len(tr.Candidates) != 0 || !hasChild(tr.Other, "gathering-complete") {
		t.Errorf("gathering-complete: %+v", tr)
	}
	term := mustParse(t, readFile(t, "stanzajs-12.22.1_terminate.xml"))
	if term.Action != SessionTerminate || term.Reason == nil || term.Reason.Condition != Success {
		t.Errorf("terminate: %+v", term.Reason)
	}
}

func TestParseTCPCandidate(t *testing.T) {
	j := mustParse(t, readFile(t, "handmade_transport-info-tcp.xml"))
	cs := j.Contents[0].Transport.Candidates
	if len(cs) != 2 {
		t.Fatalf("candidates: %+v", cs)
	}
	if a, ok := cs[0].Addr(); !ok || a.String() != "127.0.0.1:51234" {
		t.Errorf("UDP host candidate: %v %v", a, ok)
	}
	if _, ok := cs[1].Addr(); ok {
		t.Errorf("the TCP candidate must not be usable: %+v", cs[1])
	}
}

func TestParseZRTPHash(t *testing.T) {
	j := mustParse(t, readFile(t, "zrtp_initiate.xml"))
	m, err := ReadContent(j.Contents[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.ZRTPHash != "1.10 fe30efd02423cb054e50efd0248742ac7a52c8f91bc2df881ae642c371ba46df" {
		t.Errorf("zrtp-hash = %q", m.ZRTPHash)
	}
	if m.Fingerprint != nil || m.EventPT != 101 || len(m.Candidates) != 1 {
		t.Errorf("media: %+v", m)
	}
}

func TestParseRefuses(t *testing.T) {
	big := `<jingle xmlns="urn:xmpp:jingle:1" action="session-info" sid="x">` + strings.Repeat("<a/>", MaxStanza/4) + `</jingle>`
	many := func(elem string, n int, wrap func(string) string) string {
		return wrap(strings.Repeat(elem, n))
	}
	content := func(inner string) string {
		return `<jingle xmlns="urn:xmpp:jingle:1" action="session-initiate" sid="s"><content creator="initiator" name="a">` + inner + `</content></jingle>`
	}
	for name, in := range map[string]string{
		"empty":             ``,
		"not xml":           `jingle`,
		"unclosed":          `<jingle xmlns="urn:xmpp:jingle:1" action="session-info" sid="s">`,
		"other namespace":   `<jingle xmlns="urn:xmpp:jingle:0" action="session-info" sid="s"/>`,
		"no action":         `<jingle xmlns="urn:xmpp:jingle:1" sid="s"/>`,
		"no sid":            `<jingle xmlns="urn:xmpp:jingle:1" action="session-info"/>`,
		"too big":           big,
		"nameless content":  `<jingle xmlns="urn:xmpp:jingle:1" action="session-initiate" sid="s"><content creator="initiator"/></jingle>`,
		"bad creator":       `<jingle xmlns="urn:xmpp:jingle:1" action="session-initiate" sid="s"><content creator="me" name="a"/></jingle>`,
		"bad senders":       `<jingle xmlns="urn:xmpp:jingle:1" action="session-initiate" sid="s"><content name="a" senders="all"/></jingle>`,
		"payload id 300":    content(`<description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><payload-type id="300"/></description>`),
		"payload id word":   content(`<description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><payload-type id="x"/></description>`),
		"port word":         content(`<transport xmlns="urn:xmpp:jingle:transports:ice-udp:1"><candidate port="p"/></transport>`),
		"too many contents": `<jingle xmlns="urn:xmpp:jingle:1" action="session-initiate" sid="s">` + strings.Repeat(`<content name="a"/>`, maxContents+1) + `</jingle>`,
		"too many payloads": content(many(`<payload-type id="0"/>`, maxPayloadTypes+1, func(s string) string {
			return `<description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio">` + s + `</description>`
		})),
		"too many candidates": content(many(`<candidate/>`, maxCandidates+1, func(s string) string {
			return `<transport xmlns="urn:xmpp:jingle:transports:ice-udp:1">` + s + `</transport>`
		})),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(in))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	m := Media{
		Formats: []codec.Format{codec.G722, codec.PCMU, codec.PCMA}, EventPT: 101, RTCPMux: true,
		ZRTPHash: "1.10 " + strings.Repeat("ab", 32), Ufrag: "uf", Pwd: strings.Repeat("p", 22),
		Fingerprint: &Fingerprint{Hash: "sha-256", Setup: SetupActpass, Value: "AA:BB"},
		Candidates:  []Candidate{{Component: 1, Foundation: "1", IP: "127.0.0.1", Port: 4000, Priority: 1, Protocol: "udp", Type: "host"}},
	}
	j := &Jingle{Action: SessionInitiate, SID: "s1", Initiator: "a@b/c", Contents: []Content{WriteContent(m, "initiator")}, Group: Bundle(ContentName)}
	b, err := j.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<jingle xmlns="urn:xmpp:jingle:1" action="session-initiate" sid="s1" initiator="a@b/c">`,
		`<description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio">`,
		`<payload-type id="9" name="G722" clockrate="8000">`,
		`<rtcp-mux></rtcp-mux>`,
		`<zrtp-hash xmlns="urn:xmpp:jingle:apps:rtp:zrtp:1" version="1.10">`,
		`<transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="uf"`,
		`<fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="actpass">AA:BB</fingerprint>`,
		`<group xmlns="urn:xmpp:jingle:apps:grouping:0" semantics="BUNDLE"><content name="audio"></content></group>`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("missing %s in\n%s", want, b)
		}
	}
	back := mustParse(t, b)
	got, err := ReadContent(back.Contents[0])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip\n got %+v\nwant %+v", got, m)
	}
}

func TestReasonRoundTrip(t *testing.T) {
	for _, r := range []Reason{{Condition: Success}, {Condition: Decline, Text: "no"}, {Condition: SecurityError, Text: "fingerprint <mismatch> & more"}} {
		j := &Jingle{Action: SessionTerminate, SID: "s", Reason: &r}
		b, err := j.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back := mustParse(t, b)
		if back.Reason == nil || *back.Reason != r {
			t.Errorf("%+v came back as %+v from %s", r, back.Reason, b)
		}
	}
	j := mustParse(t, []byte(`<jingle xmlns="urn:xmpp:jingle:1" action="session-terminate" sid="s"><reason><made-up/></reason></jingle>`))
	if j.Reason.Condition != GeneralError {
		t.Errorf("unknown condition read as %q, want general-error", j.Reason.Condition)
	}
}

func TestDirections(t *testing.T) {
	for _, tc := range []struct {
		senders   Senders
		initiated bool
		want      sdp.Direction
	}{
		{"", true, sdp.SendRecv}, {SendersBoth, false, sdp.SendRecv}, {SendersNone, true, sdp.Inactive},
		{SendersInitiator, true, sdp.SendOnly}, {SendersInitiator, false, sdp.RecvOnly},
		{SendersResponder, true, sdp.RecvOnly}, {SendersResponder, false, sdp.SendOnly},
	} {
		if got := (Media{Senders: tc.senders}).Direction(tc.initiated); got != tc.want {
			t.Errorf("senders=%q initiated=%v: %q, want %q", tc.senders, tc.initiated, got, tc.want)
		}
		if tc.senders != SendersBoth {
			if got := SendersFor(tc.want, tc.initiated); got != tc.senders {
				t.Errorf("SendersFor(%q, %v) = %q, want %q", tc.want, tc.initiated, got, tc.senders)
			}
		}
	}
}

func TestMessageInitiation(t *testing.T) {
	for _, m := range []Message{{Kind: Propose, ID: "p1", Media: []string{"audio"}}, {Kind: Proceed, ID: "p1"}, {Kind: Retract, ID: "p2"}, {Kind: Accept, ID: "x"}, {Kind: Reject, ID: "y"}} {
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseMessage(b)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("%s read as %+v", b, got)
		}
	}
	for _, bad := range []string{
		`<propose xmlns="urn:xmpp:jingle-message:1" id="a"/>`,
		`<propose xmlns="urn:xmpp:jingle-message:0"/>`,
		`<wave xmlns="urn:xmpp:jingle-message:0" id="a"/>`,
		`<propose`,
	} {
		if _, err := ParseMessage([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", bad, err)
		}
	}
}

func TestIQErrorMarshal(t *testing.T) {
	b := unknownSession("abc").Marshal()
	want := `<error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"></item-not-found><unknown-session xmlns="urn:xmpp:jingle:errors:1"></unknown-session><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">no session abc</text></error>`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<jingle xmlns="urn:xmpp:jingle:1" action="session-info" sid="s"><ringing xmlns="urn:xmpp:jingle:apps:rtp:info:1"/></jingle>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		j, err := Parse(b)
		if err != nil {
			return
		}
		// Whatever is accepted can go through an engine and be written back.
		e := NewEngine("me@localhost/padlock", bytes.NewReader(make([]byte, 1024)))
		evs, outs, _ := e.Receive("peer@localhost/x", j)
		if len(evs) > 2 || len(outs) > 1 {
			t.Fatalf("one stanza made %d events and %d stanzas", len(evs), len(outs))
		}
		for _, o := range outs {
			if _, err := o.Jingle.Marshal(); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range j.Contents {
			m, err := ReadContent(c)
			if err != nil {
				continue
			}
			if _, err := (&Jingle{Action: SessionAccept, SID: "s", Contents: []Content{WriteContent(m, "responder")}}).Marshal(); err != nil {
				t.Fatalf("cannot write back what was read: %v", err)
			}
		}
	})
}

func FuzzParseMessage(f *testing.F) {
	f.Add([]byte(`<propose xmlns="urn:xmpp:jingle-message:0" id="a"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"/></propose>`))
	f.Add([]byte(`<proceed xmlns="urn:xmpp:jingle-message:0" id="a"/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMessage(b)
		if err != nil {
			return
		}
		if _, err := m.Marshal(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestOpusNamedStereo: Opus goes out first and as opus/48000/2 (RFC 7587
// §7); Chromium took a plain "opus/48000" for another codec and its audio
// never reached the headset.
func TestOpusNamedStereo(t *testing.T) {
	c := WriteContent(Media{Formats: Formats(), EventPT: -1}, "initiator")
	pts := c.Description.PayloadTypes
	if len(pts) == 0 || pts[0].Name != "opus" || pts[0].ID != 111 || pts[0].ClockRate != 48000 || pts[0].Channels != 2 {
		t.Fatalf("first payload type %+v, want opus 111 48000 channels=2", pts)
	}
	for _, pt := range pts[1:] {
		if pt.Channels != 0 {
			t.Errorf("%s named with channels=%d", pt.Name, pt.Channels)
		}
	}
}
