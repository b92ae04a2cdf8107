package xmpp

import (
	"crypto/tls"
	"encoding/xml"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestChooseMechanisms(t *testing.T) {
	all := []string{"SCRAM-SHA-1-PLUS", "SCRAM-SHA-1", "PLAIN"}
	for _, tc := range []struct {
		name    string
		version uint16
		listed  bool
		types   []string
		tls12   bool
		mechs   []string
		binding string
		err     error
	}{
		{"TLS 1.3, nothing listed: tls-exporter", tls.VersionTLS13, false, nil, false, all, "tls-exporter", nil},
		{"TLS 1.2, nothing listed: tls-unique", tls.VersionTLS12, false, nil, true, all, "tls-unique", nil},
		{"TLS 1.3, server lists tls-exporter", tls.VersionTLS13, true, []string{"tls-server-end-point", "tls-exporter"}, false, all, "tls-exporter", nil},
		{"TLS 1.3, server lists only tls-unique: go to 1.2", tls.VersionTLS13, true, []string{"tls-unique"}, false, nil, "", errWantTLS12},
		{"TLS 1.2 already, server lists only tls-exporter: no binding", tls.VersionTLS12, true, []string{"tls-exporter"}, true, []string{"SCRAM-SHA-1", "PLAIN"}, "", nil},
		{"TLS 1.3, server lists only tls-server-end-point: no binding", tls.VersionTLS13, true, []string{"tls-server-end-point"}, false, []string{"SCRAM-SHA-1", "PLAIN"}, "", nil},
		{"no -PLUS offered", tls.VersionTLS13, false, nil, false, []string{"SCRAM-SHA-256"}, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			offered := all
			if tc.name == "no -PLUS offered" {
				offered = []string{"SCRAM-SHA-256"}
			}
			mechs, binding, err := chooseMechanisms(offered, tc.version, tc.listed, tc.types, tc.tls12)
			if !errors.Is(err, tc.err) || binding != tc.binding || !slices.Equal(mechs, tc.mechs) {
				t.Fatalf("got %v %q %v, want %v %q %v", mechs, binding, err, tc.mechs, tc.binding, tc.err)
			}
		})
	}
}

func TestAuthErrorTells(t *testing.T) {
	for _, tc := range []struct {
		e     AuthError
		text  string
		final bool
	}{
		{AuthError{JID: "a@b", Condition: "not-authorized"}, "wrong password for a@b", true},
		{AuthError{JID: "a@b", Condition: "not-authorized", Binding: "tls-unique", Text: "Invalid username or password"}, "wrong password for a@b", true},
		{AuthError{JID: "a@b", Condition: "not-authorized", Binding: "tls-exporter", Text: "Invalid channel binding"}, "refused the tls-exporter channel binding", false},
		{AuthError{JID: "a@b", Condition: "temporary-auth-failure"}, "server refused login for a@b: temporary-auth-failure", false},
		{AuthError{JID: "a@b", Condition: "aborted", Text: "try later"}, `aborted ("try later")`, false},
	} {
		if got := tc.e.Error(); !strings.Contains(got, tc.text) || Final(&tc.e) != tc.final {
			t.Errorf("%+v: %q final=%v, want %q final=%v", tc.e, got, Final(&tc.e), tc.text, tc.final)
		}
	}
}

func parseCB(s string) ([]string, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	start, ok := tok.(xml.StartElement)
	if !ok {
		return nil, errors.New("no element")
	}
	return parseChannelBindings(d, &start)
}

func TestParseChannelBindings(t *testing.T) {
	got, err := parseCB(`<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-server-end-point'/><channel-binding type='tls-exporter'/><other/></sasl-channel-binding>`)
	if err != nil || !slices.Equal(got, []string{"tls-server-end-point", "tls-exporter"}) {
		t.Fatalf("got %v, %v", got, err)
	}
	many := "<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>" + strings.Repeat("<channel-binding type='x'/>", 1000) + "</sasl-channel-binding>"
	if got, err := parseCB(many); err != nil || len(got) != maxChannelBindings {
		t.Fatalf("a long list kept %d types (%v)", len(got), err)
	}
}

// FuzzParseChannelBindings: the list comes from the server before login.
func FuzzParseChannelBindings(f *testing.F) {
	f.Add(`<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/></sasl-channel-binding>`)
	f.Add(`<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding/>`)
	f.Fuzz(func(t *testing.T, s string) {
		types, _ := parseCB(s)
		if len(types) > maxChannelBindings {
			t.Fatalf("%d types kept", len(types))
		}
		for _, ty := range types {
			if ty == "" || len(ty) > 64 {
				t.Fatalf("type %q kept", ty)
			}
		}
	})
}
