package sip

import (
	"fmt"
	"github.com/padlock-phone/padlock/media/sdp"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/padlock-phone/padlock/call"
)

// rawPeer is a hand-driven SIP peer on a UDP socket, for the cases no
// real client will produce on demand: offerless INVITEs, stray BYEs,
// out-of-order CSeqs, SRTP-only offers.
type rawPeer struct {
	t    *testing.T
	conn *net.UDPConn
	to   *net.UDPAddr
	port int
	n    int // makes every branch new
}

func newRawPeer(t *testing.T, d *Driver) *rawPeer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	a := d.uas[0]
	return &rawPeer{t: t, conn: c, to: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: a.port}, port: c.LocalAddr().(*net.UDPAddr).Port}
}

// request writes a request; headers are "Name: value" lines.
func (p *rawPeer) request(method, cseqMethod string, cseq int, callID, fromTag, toTag, body string, extra ...string) {
	p.t.Helper()
	to := "<sip:alice@127.0.0.1>"
	if toTag != "" {
		to += ";tag=" + toTag
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s sip:alice@127.0.0.1:%d SIP/2.0\r\n", method, p.to.Port)
	p.n++
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s-%d\r\n", p.port, callID, p.n)
	fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: <sip:zoe@127.0.0.1>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n", fromTag, to, callID, cseq, cseqMethod)
	fmt.Fprintf(&b, "Contact: <sip:zoe@127.0.0.1:%d>\r\n", p.port)
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	if body != "" {
		b.WriteString("Content-Type: application/sdp\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	if _, err := p.conn.WriteToUDP([]byte(b.String()), p.to); err != nil {
		p.t.Fatal(err)
	}
}

// response waits for a response with the given status (skipping others).
func (p *rawPeer) response(status int) *sip.Response {
	p.t.Helper()
	buf := make([]byte, 65535)
	deadline := time.Now().Add(5 * time.Second)
	for {
		p.conn.SetReadDeadline(deadline)
		n, _, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			p.t.Fatalf("no %d: %v", status, err)
		}
		msg, err := sip.ParseMessage(buf[:n])
		if err != nil {
			p.t.Fatalf("unparsable message from the driver: %v\n%s", err, buf[:n])
		}
		if res, ok := msg.(*sip.Response); ok && res.StatusCode == status {
			return res
		}
	}
}

const zoeOffer = "v=0\r\no=zoe 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40100 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"

func rawDriver(t *testing.T) (*Driver, *udpMedia) {
	t.Helper()
	m := newUDPMedia()
	// The registrar does not exist; incoming requests do not need it.
	d, err := New(Config{Accounts: []Account{{User: "alice", Domain: "127.0.0.1", Registrar: "127.0.0.1:9"}}, Media: m})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, m
}

func TestRawOfferlessInvite(t *testing.T) {
	d, m := rawDriver(t)
	p := newRawPeer(t, d)
	p.request("INVITE", "INVITE", 1, "c-offerless", "zt", "", "")
	ringing := p.response(180)
	in := waitEvent[call.Incoming](t, d, "", time.Second)
	if in.From != "zoe@127.0.0.1" {
		t.Errorf("from %q", in.From)
	}
	if err := d.Answer(in.ID); err != nil {
		t.Fatal(err)
	}
	ok := p.response(200)
	if tagOf(ok.To().Params) == "" || tagOf(ok.To().Params) != tagOf(ringing.To().Params) {
		t.Fatalf("To tags differ: 180 %q, 200 %q", ringing.To().Value(), ok.To().Value())
	}
	offer, err := sdp.Parse(ok.Body())
	if err != nil || len(offer.Formats) != len(offerFormats()) || offer.EventPT != sdp.TelephoneEventPT {
		t.Fatalf("our offer in the 200: %+v %v\n%s", offer, err, ok.Body())
	}
	toTag := tagOf(ok.To().Params)
	// Without an ACK the 200 comes again (T1 = 500 ms later).
	if again := p.response(200); tagOf(again.To().Params) != toTag {
		t.Fatalf("retransmitted 200 differs: %s", again.To().Value())
	}
	p.request("ACK", "ACK", 1, "c-offerless", "zt", toTag, zoeOffer)
	waitEvent[call.Answered](t, d, in.ID, time.Second)
	st, _ := m.lastStart(in.ID)
	if st.Format.Name != "PCMA" || st.Remote.Addr.Port() != 40100 || st.Dir != sdp.SendRecv {
		t.Errorf("media %+v", st)
	}
	// Hold from zoe: a re-INVITE with sendonly.
	p.request("INVITE", "INVITE", 2, "c-offerless", "zt", toTag, strings.Replace(zoeOffer, "101\r\n", "101\r\na=sendonly\r\n", 1))
	reok := p.response(200)
	if r, _ := sdp.Parse(reok.Body()); r.Direction != sdp.RecvOnly {
		t.Errorf("answer to hold says %s", r.Direction)
	}
	p.request("ACK", "ACK", 2, "c-offerless", "zt", toTag, "")
	if h := waitEvent[call.Held](t, d, in.ID, time.Second); !h.On {
		t.Error("hold not reported")
	}
	// A re-INVITE with an old CSeq is refused.
	p.request("INVITE", "INVITE", 1, "c-offerless", "zt", toTag, zoeOffer)
	p.response(500)
	p.request("BYE", "BYE", 3, "c-offerless", "zt", toTag, "")
	p.response(200)
	if e := waitEvent[call.Ended](t, d, in.ID, time.Second); e.Reason != "the other side hung up" {
		t.Errorf("reason %q", e.Reason)
	}
}

func TestRawRefusals(t *testing.T) {
	d, _ := rawDriver(t)
	p := newRawPeer(t, d)
	tests := []struct {
		name, method string
		toTag, body  string
		want         int
	}{
		{"OPTIONS", "OPTIONS", "", "", 200},
		{"BYE for no call", "BYE", "nope", "", 481},
		{"re-INVITE for no call", "INVITE", "nope", zoeOffer, 481},
		{"SRTP-only offer", "INVITE", "", strings.Replace(zoeOffer, "RTP/AVP", "RTP/SAVP", 1), 488},
		{"no common codec", "INVITE", "", strings.Replace(zoeOffer, "RTP/AVP 8 101", "RTP/AVP 96", 1) + "a=rtpmap:96 speex/16000\r\n", 488},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p.t = t
			p.request(tc.method, tc.method, 1, fmt.Sprintf("c-refuse-%d", i), "zt", tc.toTag, tc.body)
			p.response(tc.want)
		})
	}
	// The SDES refusal over UDP says why, in a Warning.
	t.Run("SDES over UDP says why", func(t *testing.T) {
		p.t = t
		b, err := os.ReadFile("../../media/sdp/testdata/baresip-1.0.0_offer_sdes.sdp")
		if err != nil {
			t.Fatal(err)
		}
		p.request("INVITE", "INVITE", 1, "c-refuse-sdes", "zt", "", strings.ReplaceAll(string(b), "\n", "\r\n"))
		res := p.response(488)
		w := res.GetHeader("Warning")
		if w == nil || !strings.Contains(w.Value(), "SDES-SRTP offered over UDP") || !strings.Contains(w.Value(), "use SIP over TLS") {
			t.Errorf("488 Warning: %v", w)
		}
	})
	select {
	case ev := <-d.Events():
		t.Errorf("a refused request made an event: %+v", ev)
	default:
	}
}
