package sip

import (
	"errors"
	"github.com/padlock-phone/padlock/media/sdp"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/media/codec"
)

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"<sip:a@b;lr>", []string{"<sip:a@b;lr>"}},
		{"<sip:a@b;lr>, <sip:c@d;lr>", []string{"<sip:a@b;lr>", "<sip:c@d;lr>"}},
		{`"Doe, John" <sip:j@x>,<sip:k@y;p=a,b>`, []string{`"Doe, John" <sip:j@x>`, "<sip:k@y;p=a,b>"}},
		{"sip:a@b;expires=60", []string{"sip:a@b;expires=60"}},
		{"", nil},
		{" , ", []string{""}},
	}
	for _, tc := range tests {
		if got := splitList(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitList(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzSplitList(f *testing.F) {
	for _, s := range []string{"<sip:a@b;lr>, <sip:c@d;lr>", `"x,y" <sip:z>`, "<<>>,,\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parts := splitList(s)
		if strings.Count(s, ",") < len(parts)-1 {
			t.Fatalf("%d parts from %d commas", len(parts), strings.Count(s, ","))
		}
		for _, p := range parts {
			if !strings.Contains(s, p) {
				t.Fatalf("part %q not in %q", p, s)
			}
		}
		routes(fakeHeaders{sip.NewHeader("Record-Route", s)})
	})
}

type fakeHeaders []sip.Header

func (f fakeHeaders) GetHeaders(string) []sip.Header { return f }

func TestRoutes(t *testing.T) {
	got := routes(fakeHeaders{
		sip.NewHeader("Record-Route", "<sip:10.0.0.1;lr>, <sip:10.0.0.2:5070;lr;ftag=x>"),
		sip.NewHeader("Record-Route", "<sip:p3.example.org;lr>"),
	})
	var hosts []string
	for _, u := range got {
		h := u.Host
		if u.Port != 0 {
			h += ":" + itoa(u.Port)
		}
		hosts = append(hosts, h)
	}
	if want := []string{"10.0.0.1", "10.0.0.2:5070", "p3.example.org"}; !reflect.DeepEqual(hosts, want) {
		t.Errorf("routes %v, want %v", hosts, want)
	}
	if r := reversed(got); r[0].Host != "p3.example.org" || r[2].Host != "10.0.0.1" {
		t.Errorf("reversed %v", r)
	}
}

func TestRefreshAfter(t *testing.T) {
	for in, want := range map[time.Duration]time.Duration{
		2 * time.Second:   time.Second,
		time.Minute:       30 * time.Second,
		600 * time.Second: 540 * time.Second,
		time.Hour:         59 * time.Minute,
	} {
		if got := refreshAfter(in); got != want {
			t.Errorf("refreshAfter(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestDefaultBackoff(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute}
	for n, w := range want {
		if got := DefaultBackoff(n); got != w {
			t.Errorf("DefaultBackoff(%d) = %v, want %v", n, got, w)
		}
	}
	if got := DefaultBackoff(1000); got != time.Minute {
		t.Errorf("DefaultBackoff(1000) = %v", got)
	}
}

func TestAccountFill(t *testing.T) {
	tests := []struct {
		in      Account
		want    Account
		wantErr string
	}{
		{in: Account{User: "alice", Domain: "example.org"}, want: Account{User: "alice", AuthUser: "alice", Domain: "example.org",
			Registrar: "example.org:5060", Proxy: "example.org:5060", Transport: "udp", Listen: "0.0.0.0:0", Expires: 600 * time.Second}},
		{in: Account{User: "bob", AuthUser: "b1", Domain: "example.org", Registrar: "10.0.0.1:5080", Proxy: "10.0.0.9", Transport: "TCP", Listen: "0.0.0.0:5062", Expires: time.Minute},
			want: Account{User: "bob", AuthUser: "b1", Domain: "example.org", Registrar: "10.0.0.1:5080", Proxy: "10.0.0.9:5060", Transport: "tcp", Listen: "0.0.0.0:5062", Expires: time.Minute}},
		{in: Account{User: "alice"}, wantErr: "needs a user and a domain"},
		{in: Account{User: "alice", Domain: "x", Transport: "sctp"}, wantErr: `transport "sctp" is not supported for alice@x`},
	}
	for _, tc := range tests {
		a := tc.in
		err := a.fill()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%+v: err %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || a != tc.want {
			t.Errorf("fill(%+v) =\n %+v %v, want\n %+v", tc.in, a, err, tc.want)
		}
	}
}

func TestFailureReason(t *testing.T) {
	tests := []struct {
		code      int
		authTried bool
		want      string
	}{
		{486, false, "bob@x is busy"},
		{600, false, "bob@x is busy"},
		{603, false, "bob@x declined the call"},
		{404, false, "bob@x does not exist here (404)"},
		{480, false, "bob@x is not available (not registered or not answering)"},
		{408, false, "no answer from bob@x"},
		{487, false, "the call was cancelled"},
		{488, false, "bob@x's phone cannot take this call's audio or encryption (488)"},
		{407, true, "the proxy refused our password for this call"},
		{403, false, "the proxy forbade the call (403 Forbidden)"},
		{500, false, "the call failed: 500 Forbidden"},
	}
	for _, tc := range tests {
		res := sip.NewResponse(tc.code, "Forbidden")
		if got := failureReason(res, "bob@x", tc.authTried); got != tc.want {
			t.Errorf("%d: %q, want %q", tc.code, got, tc.want)
		}
	}
}

func TestAnswerDirection(t *testing.T) {
	tests := []struct {
		offered sdp.Direction
		hold    bool
		want    sdp.Direction
	}{
		{sdp.SendRecv, false, sdp.SendRecv},
		{sdp.SendOnly, false, sdp.RecvOnly},
		{sdp.RecvOnly, false, sdp.SendOnly},
		{sdp.Inactive, false, sdp.Inactive},
		{sdp.SendRecv, true, sdp.SendOnly},
		{sdp.SendOnly, true, sdp.Inactive},
		{sdp.RecvOnly, true, sdp.SendOnly},
	}
	for _, tc := range tests {
		if got := answerDirection(tc.offered, tc.hold); got != tc.want {
			t.Errorf("answerDirection(%s, %v) = %s, want %s", tc.offered, tc.hold, got, tc.want)
		}
	}
}

func TestDialogRequest(t *testing.T) {
	d := dialog{
		callID:       "c1",
		localURI:     sip.Uri{Scheme: "sip", User: "alice", Host: "a.example"},
		localTag:     "lt",
		remoteURI:    sip.Uri{Scheme: "sip", User: "bob", Host: "b.example"},
		remoteTag:    "rt",
		remoteTarget: sip.Uri{Scheme: "sip", User: "bob", Host: "10.0.0.2", Port: 5070},
		routeSet:     []sip.Uri{{Scheme: "sip", Host: "proxy1", UriParams: sip.HeaderParams{{K: "lr", V: ""}}}, {Scheme: "sip", Host: "proxy2", UriParams: sip.HeaderParams{{K: "lr", V: ""}}}},
		localCSeq:    7,
		transport:    "UDP",
	}
	contact := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "alice", Host: "127.0.0.1", Port: 5999}}
	bye := d.request(sip.BYE, nil, 0)
	inv := d.request(sip.INVITE, contact, 0)
	ack := d.request(sip.ACK, contact, 9)
	if bye.CSeq().SeqNo != 8 || inv.CSeq().SeqNo != 9 || ack.CSeq().SeqNo != 9 || ack.CSeq().MethodName != sip.ACK {
		t.Errorf("cseqs %v %v %v", bye.CSeq(), inv.CSeq(), ack.CSeq())
	}
	s := inv.String()
	for _, w := range []string{
		"INVITE sip:bob@10.0.0.2:5070 SIP/2.0",
		"From: <sip:alice@a.example>;tag=lt",
		"To: <sip:bob@b.example>;tag=rt",
		"Call-ID: c1",
		"Route: <sip:proxy1;lr>",
		"Route: <sip:proxy2;lr>",
		"Contact: <sip:alice@127.0.0.1:5999>",
	} {
		if !strings.Contains(s, w) {
			t.Errorf("re-INVITE lacks %q:\n%s", w, s)
		}
	}
	if strings.Contains(bye.String(), "Contact:") {
		t.Error("BYE carries a Contact")
	}
	if got := inv.Destination(); got != "proxy1:5060" {
		t.Errorf("sent to %s, want the first route", got)
	}
	// Matching an incoming in-dialog request: their From tag is our remote tag.
	in := sip.NewRequest(sip.BYE, sip.Uri{Scheme: "sip", Host: "x"})
	from := &sip.FromHeader{Address: d.remoteURI, Params: sip.NewParams()}
	from.Params.Add("tag", "rt")
	to := &sip.ToHeader{Address: d.localURI, Params: sip.NewParams()}
	to.Params.Add("tag", "lt")
	cid := sip.CallIDHeader("c1")
	in.AppendHeader(from)
	in.AppendHeader(to)
	in.AppendHeader(&cid)
	if !d.matches(in) {
		t.Error("own dialog not matched")
	}
	to.Params = sip.NewParams()
	to.Params.Add("tag", "other")
	if d.matches(in) {
		t.Error("foreign tag matched")
	}
}

func TestTargetURI(t *testing.T) {
	a := &ua{acct: Account{User: "alice", Domain: "example.org"}}
	tests := map[string]string{
		"bob":                      "sip:bob@example.org",
		" sip:bob@other.net ":      "sip:bob@other.net",
		"carol@10.0.0.1:5070":      "sip:carol@10.0.0.1:5070",
		"sips:dave@secure.example": "sip:dave@secure.example",
	}
	for in, want := range tests {
		u, err := a.targetURI(in)
		if err != nil || u.String() != want {
			t.Errorf("targetURI(%q) = %v %v, want %s", in, u.String(), err, want)
		}
	}
	for _, bad := range []string{"", "sip:", "@host"} {
		if _, err := a.targetURI(bad); err == nil {
			t.Errorf("targetURI(%q) accepted", bad)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	good := Account{User: "alice", Domain: "127.0.0.1", Registrar: "127.0.0.1:9"}
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{Media: newUDPMedia()}, "no account"},
		{Config{Accounts: []Account{good}}, "no media"},
		{Config{Accounts: []Account{good, good}, Media: newUDPMedia()}, "configured twice"},
		{Config{Accounts: []Account{{User: "x", Domain: "y", Listen: "256.0.0.1:0"}}, Media: newUDPMedia()}, "cannot listen on udp 256.0.0.1:0 for x@y"},
	}
	for _, tc := range tests {
		d, err := New(tc.cfg)
		if err == nil {
			d.Close()
			t.Errorf("%+v accepted", tc.cfg)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err %q, want %q", err, tc.want)
		}
	}
}

type verifyingSession struct {
	*udpSession
	verified []bool
}

func (v *verifyingSession) SetVerified(b bool) error {
	v.verified = append(v.verified, b)
	return nil
}

type verifyingMedia struct{ s *verifyingSession }

func (m *verifyingMedia) NewSession(id call.ID) (MediaSession, error) {
	inner, err := newUDPMedia().NewSession(id)
	if err != nil {
		return nil, err
	}
	m.s = &verifyingSession{udpSession: inner.(*udpSession)}
	return m.s, nil
}

func TestTelephonyWithoutNetwork(t *testing.T) {
	vm := &verifyingMedia{}
	// A registrar nobody runs: Dial must still return at once.
	d, err := New(Config{Accounts: []Account{{User: "alice", Domain: "127.0.0.1", Registrar: "127.0.0.1:9"}}, Media: vm})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for name, err := range map[string]error{
		"Answer":      d.Answer("nope"),
		"Reject":      d.Reject("nope", call.Busy),
		"Hangup":      d.Hangup("nope"),
		"Hold":        d.Hold("nope", true),
		"SetVerified": d.SetVerified("nope", true),
	} {
		if err == nil || !strings.Contains(err.Error(), "no call nope") {
			t.Errorf("%s on an unknown call: %v", name, err)
		}
	}
	start := time.Now()
	id, err := d.Dial("bob")
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 100*time.Millisecond {
		t.Errorf("Dial blocked for %v", time.Since(start))
	}
	if err := d.Answer(id); err == nil {
		t.Error("answered our own outgoing call")
	}
	if err := d.Hold(id, true); err == nil {
		t.Error("held a call that is not up")
	}
	if err := d.SetVerified(id, true); err != nil || !reflect.DeepEqual(vm.s.verified, []bool{true}) {
		t.Errorf("SetVerified: %v, media saw %v", err, vm.s.verified)
	}
	if err := d.Hangup(id); err != nil {
		t.Fatal(err)
	}
	if e := waitEvent[call.Ended](t, d, id, time.Second); e.Reason != "hung up" {
		t.Errorf("reason %q", e.Reason)
	}
	if !vm.s.closed {
		t.Error("media left open")
	}
	if _, err := d.Dial(""); err == nil {
		t.Error("dialled nothing")
	}
}

func TestMediaErrorFailsDial(t *testing.T) {
	d, err := New(Config{Accounts: []Account{{User: "alice", Domain: "127.0.0.1", Registrar: "127.0.0.1:9"}}, Media: failingMedia{}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Dial("bob"); err == nil || !strings.Contains(err.Error(), "no media for the call: no ports left") {
		t.Fatalf("err %v", err)
	}
}

type failingMedia struct{}

func (failingMedia) NewSession(call.ID) (MediaSession, error) {
	return nil, errors.New("no ports left")
}

func BenchmarkBuildSDP(b *testing.B) {
	m := sdp.Local{Addr: netip.MustParseAddrPort("192.168.1.20:40000"), Formats: offerFormats(), EventPT: sdp.TelephoneEventPT,
		Attributes: []string{"zrtp-hash:1.10 0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := sdp.Build(1, uint64(i), m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSDP(b *testing.B) {
	body, err := sdp.Build(1, 1, sdp.Local{Addr: netip.MustParseAddrPort("192.168.1.20:40000"), Formats: []codec.Format{codec.PCMU, codec.PCMA, codec.G722}, EventPT: 101})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sdp.Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

// reofferMedia is the least a call's media must say for an offer.
type reofferMedia struct{ MediaSession }

func (reofferMedia) Addr() netip.AddrPort { return netip.MustParseAddrPort("127.0.0.1:40000") }
func (reofferMedia) Attributes() []string { return nil }

// TestReofferKeepsTheCallsFormat: a hold or resume re-offer names only the
// codec the call runs on, with its payload type. Offering the whole list
// again let the answer move Opus from the caller's 96 to our 111 while the
// media kept 96: the caller went silent after a resume (the conference
// e2e test found it).
func TestReofferKeepsTheCallsFormat(t *testing.T) {
	c := &sipCall{a: &ua{host: "127.0.0.1"}, media: reofferMedia{}, format: codec.Opus.WithPayloadType(96)}
	body, err := c.localSDP(sdp.SendOnly, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := sdp.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Formats) != 1 || !r.Formats[0].Same(codec.Opus) || r.Formats[0].PayloadType != 96 {
		t.Fatalf("re-offer formats %+v, want only opus on 96\n%s", r.Formats, body)
	}
	// A first offer still lists everything.
	first := &sipCall{a: &ua{host: "127.0.0.1"}, media: reofferMedia{}}
	body, _ = first.localSDP(sdp.SendRecv, nil)
	if r, _ := sdp.Parse(body); len(r.Formats) < 3 {
		t.Fatalf("first offer formats %+v", r.Formats)
	}
}
