package xmpp

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"SASL auth PLAIN",
			`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAGFsaWNlcGFzcw==</auth>`,
			`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>[redacted]</auth>`},
		{"SASL response", `<response xmlns="urn:ietf:params:xml:ns:xmpp-sasl">Yz1iaXdz</response>`,
			`<response xmlns="urn:ietf:params:xml:ns:xmpp-sasl">[redacted]</response>`},
		{"SASL challenge", `<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>cj1meWtv</challenge>`,
			`<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>[redacted]</challenge>`},
		{"SASL success", `<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>dj1ybUY5</success>`,
			`<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>[redacted]</success>`},
		{"SASL empty auth kept", `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X'/>`,
			`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X'/>`},
		{"SASL failure kept", `<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>`,
			`<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>`},
		{"register password",
			`<iq type='set' id='a1' to='localhost'><query xmlns='jabber:iq:register'><username>bob</username><password>s3cr&amp;t</password></query></iq>`,
			`<iq type='set' id='a1' to='localhost'><query xmlns='jabber:iq:register'><username>bob</username><password>[redacted]</password></query></iq>`},
		{"register password prefixed",
			`<iq type='set' id='a1'><r:query xmlns:r='jabber:iq:register'><r:password>pw</r:password></r:query></iq>`,
			`<iq type='set' id='a1'><r:query xmlns:r='jabber:iq:register'><r:password>[redacted]</r:password></r:query></iq>`},
		{"register data form",
			`<iq type='set' id='a2'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='username'><value>bob</value></field><field var='password'><value>pw1</value></field><field var='old_password'><value>pw0</value></field></x></query></iq>`,
			`<iq type='set' id='a2'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='username'><value>bob</value></field><field var='password'><value>[redacted]</value></field><field var='old_password'><value>[redacted]</value></field></x></query></iq>`},
		{"password elsewhere kept", `<iq type='result' id='x'><query xmlns='jabber:iq:roster'><item jid='password@x'/></query></iq>`,
			`<iq type='result' id='x'><query xmlns='jabber:iq:roster'><item jid='password@x'/></query></iq>`},
		{"OTR data message",
			`<message to='bob@localhost' type='chat' id='m1'><body>?OTR:AAMDJ+MVmSfjFZkAAAAAAQAAAAIAAADA.</body></message>`,
			`<message to='bob@localhost' type='chat' id='m1'><body>[redacted]</body></message>`},
		{"OTR query with html body",
			`<message type='chat'><body>?OTRv23?</body><html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p>?OTRv23?</p></body></html></message>`,
			`<message type='chat'><body>[redacted]</body><html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p>[redacted]</p></body></html></message>`},
		{"OTR escaped question mark", `<message><body>&#63;OTR:AAI</body></message>`, `<message><body>[redacted]</body></message>`},
		{"plain chat kept", `<message type='chat'><body>hello &lt;b&gt;</body></message>`, `<message type='chat'><body>hello &lt;b&gt;</body></message>`},
		{"OTR outside message kept", `<presence><status>?OTR fan</status></presence>`, `<presence><status>?OTR fan</status></presence>`},
		{"CDATA password", `<iq><query xmlns='jabber:iq:register'><password><![CDATA[pw]]></password></query></iq>`,
			`<iq><query xmlns='jabber:iq:register'><password>[redacted]</password></query></iq>`},
		{"not XML", `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>AGFs`, `[redacted: 51 bytes that are not one XML element]`},
		{"two elements", `<a/><b/>`, `[redacted: 8 bytes that are not one XML element]`},
		{"comment inside", `<message><body>?OT<!-- -->R:x</body></message>`, `[redacted: 46 bytes that are not one XML element]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(Redact([]byte(tc.in)))
			if got != tc.want {
				t.Errorf("Redact(%s)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
}

// secretTemplates place a secret (written with %s, XML-escaped) where Redact
// must remove it.
var secretTemplates = []string{
	`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>%s</auth>`,
	`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>%s</response>`,
	`<iq type='set' id='r'><query xmlns='jabber:iq:register'><username>u</username><password>%s</password></query></iq>`,
	`<message type='chat' to='b@l'><body>?OTR:%s</body></message>`,
	`<message type='chat' to='b@l'><body>?OTRv3?%s</body></message>`,
}

func escape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func FuzzRedactSecret(f *testing.F) {
	f.Add(0, "alicepass")
	f.Add(2, "p<&>'\"w")
	f.Add(3, "AAMDJ+MVmSfjFZk")
	f.Fuzz(func(t *testing.T, tmpl int, secret string) {
		if tmpl < 0 {
			tmpl = -tmpl
		}
		tmpl %= len(secretTemplates)
		esc := escape(secret)
		if len(secret) < 4 || strings.Contains(secretTemplates[tmpl], esc) || strings.Contains(redacted, esc) ||
			strings.Contains("[redacted: bytes that are not one XML element]", esc) {
			return
		}
		in := strings.Replace(secretTemplates[tmpl], "%s", esc, 1)
		out := string(Redact([]byte(in)))
		if strings.Contains(out, esc) {
			t.Fatalf("secret %q survives: %s", secret, out)
		}
	})
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNl</auth>`,
		`<message type='chat'><body>?OTR:AAMD</body></message>`,
		`<iq type='set'><query xmlns='jabber:iq:register'><password>x</password></query></iq>`,
		`<presence/>`, `<a><![CDATA[x]]></a>`, `<a`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := Redact(in)
		if bytes.HasPrefix(out, []byte("[redacted: ")) {
			return // replaced whole
		}
		// Redacting twice changes nothing more.
		if again := Redact(out); !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n in %q\nout %q\nagain %q", in, out, again)
		}
		// Whatever survives parses as one element: no secret slips through a
		// parse failure.
		if _, err := redact(out); err != nil {
			t.Fatalf("output does not parse: %q -> %q: %v", in, out, err)
		}
	})
}
