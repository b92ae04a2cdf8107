package jingleline

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/protocols/xmpp"
)

// TestCapsMatchDisco: the ver in our presence is the XEP-0115 hash of what
// disco#info answers (recomputed from the answer's own XML), the node#ver
// query gets that answer naming the node, and any other node is unknown.
func TestCapsMatchDisco(t *testing.T) {
	c := Caps()
	for _, node := range []string{"", c.Node + "#" + c.Ver} {
		res, iqErr := discoAnswer(node)
		if iqErr != nil {
			t.Fatalf("node %q: %s", node, iqErr)
		}
		var q struct {
			Node     string `xml:"node,attr"`
			Identity []struct {
				Category string `xml:"category,attr"`
				Type     string `xml:"type,attr"`
				Lang     string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
				Name     string `xml:"name,attr"`
			} `xml:"identity"`
			Feature []struct {
				Var string `xml:"var,attr"`
			} `xml:"feature"`
		}
		if err := xml.NewDecoder(bytes.NewReader(res)).Decode(&q); err != nil {
			t.Fatal(err)
		}
		var ids []xmpp.Identity
		for _, i := range q.Identity {
			ids = append(ids, xmpp.Identity{Category: i.Category, Type: i.Type, Lang: i.Lang, Name: i.Name})
		}
		var fs []string
		for _, f := range q.Feature {
			fs = append(fs, f.Var)
		}
		if got := xmpp.CapsVer(ids, fs); got != c.Ver {
			t.Errorf("node %q: the answer hashes to %q, presence says %q", node, got, c.Ver)
		}
		if q.Node != node {
			t.Errorf("answer names node %q, want %q", q.Node, node)
		}
		if !strings.Contains(strings.Join(fs, " "), "urn:xmpp:jingle:apps:rtp:audio") {
			t.Errorf("features %v lack Jingle RTP audio", fs)
		}
	}
	if _, iqErr := discoAnswer(c.Node + "#not-our-ver"); !bytes.Contains(iqErr, []byte("item-not-found")) {
		t.Errorf("another node: %s, want item-not-found", iqErr)
	}
}
