package jingle

import (
	"bytes"
	"encoding/xml"
)

// Features are the disco#info features (XEP-0030) a Padlock account
// advertises, and folds into its entity capabilities (XEP-0115), so
// clients offer a call button and ring it with XEP-0353.
var Features = []string{
	NS,
	NSRTP,
	NSRTPAudio,
	NSICEUDP,
	NSDTLS,
	NSZRTP,
	NSMessage,
	"urn:ietf:rfc:5761", // rtcp-mux (XEP-0167 §10)
	"urn:ietf:rfc:5888", // grouping, for BUNDLE (XEP-0338)
}

// Marshal writes the IQ's <error/> element: the stanza error condition,
// the Jingle condition and a text.
func (e *IQError) Marshal() []byte {
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	typ := e.Type
	if typ == "" {
		typ = "cancel"
	}
	cond := e.Condition
	if cond == "" {
		cond = "undefined-condition"
	}
	start := xml.StartElement{Name: xml.Name{Local: "error"}, Attr: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: typ}}}
	enc.EncodeToken(start)
	empty := func(space, local string) {
		s := xml.StartElement{Name: xml.Name{Space: space, Local: local}}
		enc.EncodeToken(s)
		enc.EncodeToken(s.End())
	}
	empty(nsStanzaErr, cond)
	if e.Jingle != "" {
		empty(NSErrors, e.Jingle)
	}
	if e.Text != "" {
		enc.EncodeElement(e.Text, xml.StartElement{Name: xml.Name{Space: nsStanzaErr, Local: "text"}})
	}
	enc.EncodeToken(start.End())
	enc.Flush()
	return buf.Bytes()
}
