package xmpp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Direction says which way a logged stanza travelled.
type Direction int

const (
	// In is a stanza the server sent us.
	In Direction = iota
	// Out is a stanza we sent.
	Out
)

func (d Direction) String() string {
	if d == Out {
		return "out"
	}
	return "in"
}

// PacketLogger receives every stanza of a connection, one complete element
// (or stream header) at a time, after Redact. The slice is the callee's.
type PacketLogger func(dir Direction, stanza []byte)

// redacted replaces every secret Redact removes.
const redacted = "[redacted]"

const (
	nsSASL     = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsRegister = "jabber:iq:register"
)

// Redact returns a copy of one complete top-level stream element with its
// secrets replaced by "[redacted]": SASL payloads (<auth>, <response>,
// <challenge>, <success>), XEP-0077 passwords (the <password> element and
// data form fields whose var mentions a password), and the text of any
// element of a message that carries an OTR message ("?OTR"). Everything else
// is left byte for byte as it was, so the log still shows what happened.
//
// Input that does not parse as one XML element is replaced whole, because
// a secret could hide in it and there is no telling where.
func Redact(stanza []byte) []byte {
	out, err := redact(stanza)
	if err != nil {
		return []byte(fmt.Sprintf("[redacted: %d bytes that are not one XML element]", len(stanza)))
	}
	return out
}

// span is a byte range of the input whose content is replaced.
type span struct{ from, to int }

type redactFrame struct {
	name       xml.Name
	contentOff int  // offset just after the start tag
	secret     bool // the element's whole content is a secret
	pwField    bool // a data form <field> whose var names a password
	otrText    bool // holds text that is an OTR message
}

func redact(in []byte) ([]byte, error) {
	d := xml.NewDecoder(bytes.NewReader(in))
	d.Strict = true
	var stack []redactFrame
	var spans []span
	var inMessage bool
	roots := 0
	for {
		before := int(d.InputOffset())
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				roots++
				if roots > 1 {
					return nil, errors.New("more than one element")
				}
				inMessage = t.Name.Local == "message"
			}
			f := redactFrame{name: t.Name, contentOff: int(d.InputOffset())}
			f.secret = isSecretElement(t)
			if t.Name.Local == "field" {
				for _, a := range t.Attr {
					if a.Name.Local == "var" && strings.Contains(strings.ToLower(a.Value), "password") {
						f.pwField = true
					}
				}
			}
			if n := len(stack); n > 0 && stack[n-1].pwField && t.Name.Local == "value" {
				f.secret = true
			}
			stack = append(stack, f)
		case xml.EndElement:
			n := len(stack)
			if n == 0 {
				return nil, errors.New("unbalanced end element")
			}
			f := stack[n-1]
			stack = stack[:n-1]
			if f.secret || f.otrText {
				if before > f.contentOff {
					spans = append(spans, span{f.contentOff, before})
				}
			}
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, errors.New("text outside the element")
				}
				continue
			}
			if inMessage && bytes.Contains(t, []byte("?OTR")) {
				stack[len(stack)-1].otrText = true
			}
		case xml.Comment, xml.ProcInst, xml.Directive:
			// XMPP forbids these inside stanzas (RFC 6120 §11.1); a comment could
			// also hide text from the checks above.
			if len(stack) > 0 {
				return nil, errors.New("comment, processing instruction or directive inside an element")
			}
		}
	}
	if roots != 1 || len(stack) != 0 {
		return nil, errors.New("not one complete element")
	}
	return splice(in, spans), nil
}

// isSecretElement reports whether an element's whole content is a secret.
func isSecretElement(t xml.StartElement) bool {
	switch t.Name.Space {
	case nsSASL:
		switch t.Name.Local {
		case "auth", "response", "challenge", "success":
			return true
		}
	case nsRegister:
		return t.Name.Local == "password"
	}
	return false
}

// splice replaces each span's bytes with the redaction mark. Nested spans
// (an outer secret holding an inner one) collapse into the outer.
func splice(in []byte, spans []span) []byte {
	out := make([]byte, 0, len(in))
	pos := 0
	// Spans are appended at their end tags, so inner ones come first; sort by
	// start and drop any inside an earlier-starting one.
	sortSpans(spans)
	for _, s := range spans {
		if s.from < pos {
			continue
		}
		out = append(out, in[pos:s.from]...)
		out = append(out, redacted...)
		pos = s.to
	}
	return append(out, in[pos:]...)
}

func sortSpans(s []span) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && (s[j].from < s[j-1].from || s[j].from == s[j-1].from && s[j].to > s[j-1].to); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
