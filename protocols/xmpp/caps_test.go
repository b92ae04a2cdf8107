package xmpp

import "testing"

// TestCapsVer checks the verification string against XEP-0115's own
// examples: §5.2 (simple) and the same entity with its identities and
// features given in another order (the hash must not depend on it).
func TestCapsVer(t *testing.T) {
	for _, tt := range []struct {
		name     string
		ids      []Identity
		features []string
		want     string
	}{
		{"XEP-0115 5.2", []Identity{{Category: "client", Type: "pc", Name: "Exodus 0.9.1"}},
			[]string{"http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info",
				"http://jabber.org/protocol/disco#items", "http://jabber.org/protocol/muc"},
			"QgayPKawpkPSDYmwT/WM94uAlu0="},
		{"XEP-0115 5.2 shuffled", []Identity{{Category: "client", Type: "pc", Name: "Exodus 0.9.1"}},
			[]string{"http://jabber.org/protocol/muc", "http://jabber.org/protocol/disco#items",
				"http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info"},
			"QgayPKawpkPSDYmwT/WM94uAlu0="},
	} {
		if got := CapsVer(tt.ids, tt.features); got != tt.want {
			t.Errorf("%s: ver %q, want %q", tt.name, got, tt.want)
		}
	}
}
