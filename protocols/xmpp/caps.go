package xmpp

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"sort"
	"strings"

	"mellium.im/xmlstream"
)

// NSCaps is XEP-0115 entity capabilities: a hash of our disco#info in
// every presence, so clients (Conversations, Dino) learn what this device
// can do — voice calls — without asking each time.
const NSCaps = "http://jabber.org/protocol/caps"

// Caps is the <c/> element of our presence; zero means none is sent.
type Caps struct {
	Node string // a URI naming the software
	Ver  string // CapsVer of the disco#info answer
}

// Identity is a disco#info identity (XEP-0030).
type Identity struct {
	Category, Type, Lang, Name string
}

// CapsVer is the verification string of XEP-0115 §5.1 with SHA-1 (no
// data forms): identities sorted by category, type and lang, each as
// "category/type/lang/name<", then the sorted features each followed by
// "<", hashed and base64-encoded.
func CapsVer(ids []Identity, features []string) string {
	ids = append([]Identity(nil), ids...)
	sort.Slice(ids, func(i, j int) bool {
		a, b := ids[i], ids[j]
		if a.Category != b.Category {
			return a.Category < b.Category
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Lang < b.Lang
	})
	features = append([]string(nil), features...)
	sort.Strings(features)
	var s strings.Builder
	for _, id := range ids {
		s.WriteString(id.Category + "/" + id.Type + "/" + id.Lang + "/" + id.Name + "<")
	}
	for _, f := range features {
		s.WriteString(f + "<")
	}
	sum := sha1.Sum([]byte(s.String()))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// element is the <c/> of a presence, nil for none.
func (c Caps) element() xml.TokenReader {
	if c.Node == "" || c.Ver == "" {
		return nil
	}
	return xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: NSCaps, Local: "c"}, Attr: []xml.Attr{
		{Name: xml.Name{Local: "hash"}, Value: "sha-1"},
		{Name: xml.Name{Local: "node"}, Value: c.Node},
		{Name: xml.Name{Local: "ver"}, Value: c.Ver},
	}})
}
