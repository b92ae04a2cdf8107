package sip

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/padlock-phone/padlock/call"
)

// notify sends an in-dialog NOTIFY of the refer event package carrying
// the sipfrag frag.
func (p *rawPeer) notify(callID, fromTag, toTag string, cseq int, frag string) {
	p.t.Helper()
	p.n++
	var b strings.Builder
	fmt.Fprintf(&b, "NOTIFY sip:alice@127.0.0.1:%d SIP/2.0\r\n", p.to.Port)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s-n%d\r\n", p.port, callID, p.n)
	fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: <sip:zoe@127.0.0.1>;tag=%s\r\nTo: <sip:alice@127.0.0.1>;tag=%s\r\nCall-ID: %s\r\nCSeq: %d NOTIFY\r\n", fromTag, toTag, callID, cseq)
	fmt.Fprintf(&b, "Contact: <sip:zoe@127.0.0.1:%d>\r\nEvent: refer\r\nSubscription-State: active;expires=60\r\n", p.port)
	fmt.Fprintf(&b, "Content-Type: message/sipfrag;version=2.0\r\nContent-Length: %d\r\n\r\n%s", len(frag), frag)
	if _, err := p.conn.WriteToUDP([]byte(b.String()), p.to); err != nil {
		p.t.Fatal(err)
	}
}

// upCall is an outgoing call to zoe that zoe answered.
func upCall(t *testing.T, d *Driver, p *rawPeer) (call.ID, *sip.Request) {
	t.Helper()
	id, err := d.Dial("zoe")
	if err != nil {
		t.Fatal(err)
	}
	inv := p.readRequest(sip.INVITE)
	p.reply(inv, 200, "OK", "zt", zoeOffer)
	p.readRequest(sip.ACK)
	waitEvent[call.Answered](t, d, id, time.Second)
	return id, inv
}

// TestRawTransferOut: Padlock transfers zoe to carol: a REFER in the
// dialog with Refer-To and Referred-By; a NOTIFY saying carol is busy
// leaves the call up; one saying carol answered ends it with a BYE.
func TestRawTransferOut(t *testing.T) {
	d, p := rawUASDriver(t)
	id, inv := upCall(t, d, p)
	callID, ourTag := string(*inv.CallID()), tagOf(inv.From().Params)

	for try, frag := range []string{"SIP/2.0 486 Busy Here\r\n", "SIP/2.0 200 OK\r\n"} {
		if err := d.Transfer(id, "carol"); err != nil {
			t.Fatal(err)
		}
		if err := d.Transfer(id, "dave"); err == nil {
			t.Fatal("a second transfer while one is under way")
		}
		ref := p.readRequest(sip.REFER)
		if rt := ref.GetHeader("Refer-To"); rt == nil || rt.Value() != "<sip:carol@127.0.0.1>" {
			t.Fatalf("Refer-To: %v\n%s", rt, ref)
		}
		if rb := ref.GetHeader("Referred-By"); rb == nil || !strings.Contains(rb.Value(), "sip:alice@127.0.0.1") {
			t.Fatalf("Referred-By: %v", rb)
		}
		p.reply(ref, 202, "Accepted", "zt", "")
		p.notify(callID, "zt", ourTag, 10+2*try, "SIP/2.0 100 Trying\r\n")
		p.response(200)
		p.notify(callID, "zt", ourTag, 11+2*try, frag)
		p.response(200)
		done := waitEvent[call.TransferDone](t, d, id, 2*time.Second)
		if try == 0 {
			if done.OK || !strings.Contains(done.Reason, "486") {
				t.Fatalf("busy target: %+v", done)
			}
			continue
		}
		if !done.OK {
			t.Fatalf("answered target: %+v", done)
		}
	}
	p.reply(p.readRequest(sip.BYE), 200, "OK", "zt", "")
	if e := waitEvent[call.Ended](t, d, id, time.Second); e.Reason != "transferred to carol@127.0.0.1" {
		t.Errorf("reason %q", e.Reason)
	}
}

// TestRawTransferRefused: a REFER the peer turns down is reported and the
// call goes on.
func TestRawTransferRefused(t *testing.T) {
	d, p := rawUASDriver(t)
	id, _ := upCall(t, d, p)
	d.Transfer(id, "carol")
	p.reply(p.readRequest(sip.REFER), 603, "Decline", "zt", "")
	if done := waitEvent[call.TransferDone](t, d, id, 2*time.Second); done.OK || !strings.Contains(done.Reason, "603") {
		t.Fatalf("refused: %+v", done)
	}
	if err := d.Transfer(id, "carol"); err != nil {
		t.Fatalf("transfer again after a refusal: %v", err)
	}
}

// TestRawReferIn: zoe, in a call with Padlock, asks it to call carol: 202
// and a first NOTIFY at once; the new call's answer goes to zoe in a final
// NOTIFY. A REFER outside any call is refused, as is one naming a Replaces.
func TestRawReferIn(t *testing.T) {
	d, p := rawUASDriver(t)
	id, inv := upCall(t, d, p)
	callID, ourTag := string(*inv.CallID()), tagOf(inv.From().Params)

	p.request("REFER", "REFER", 5, "stranger", "st", "", "", "Refer-To: <sip:carol@127.0.0.1>")
	p.response(403)
	p.request("REFER", "REFER", 6, callID, "zt", ourTag, "", "Refer-To: <sip:carol@127.0.0.1?Replaces=abc%3Bto-tag%3D1>")
	p.response(400)

	p.request("REFER", "REFER", 7, callID, "zt", ourTag, "", "Refer-To: <sip:carol@127.0.0.1>", "Referred-By: <sip:zoe@127.0.0.1>")
	p.response(202)
	first := p.readRequest(sip.NOTIFY)
	if !strings.HasPrefix(string(first.Body()), "SIP/2.0 100") || !strings.Contains(first.String(), "Event: refer") {
		t.Fatalf("first NOTIFY:\n%s", first)
	}
	p.reply(first, 200, "OK", "", "")
	ref := waitEvent[call.Referred](t, d, id, time.Second)
	if ref.Target != "sip:carol@127.0.0.1" || ref.By != "zoe@127.0.0.1" {
		t.Fatalf("referred: %+v", ref)
	}
	nid, err := d.DialReferred(ref.Target, id)
	if err != nil {
		t.Fatal(err)
	}
	inv2 := p.readRequest(sip.INVITE)
	if !strings.Contains(inv2.Recipient.String(), "carol@127.0.0.1") {
		t.Fatalf("the transfer calls %s", inv2.Recipient.String())
	}
	p.reply(inv2, 200, "OK", "ct", zoeOffer)
	p.readRequest(sip.ACK)
	waitEvent[call.Answered](t, d, nid, time.Second)
	final := p.readRequest(sip.NOTIFY)
	if !strings.HasPrefix(string(final.Body()), "SIP/2.0 200") || !strings.Contains(final.GetHeader("Subscription-State").Value(), "terminated") {
		t.Fatalf("final NOTIFY:\n%s", final)
	}
	p.reply(final, 200, "OK", "", "")
}

func TestSipfragStatus(t *testing.T) {
	for body, want := range map[string]int{"SIP/2.0 200 OK\r\n": 200, "SIP/2.0 100 Trying": 100, "SIP/2.0 486 Busy Here\r\nVia: x\r\n": 486,
		"": 0, "HTTP/1.1 200 OK": 0, "SIP/2.0 abc": 0, "SIP/2.0 99 x": 0, "SIP/2.0 700 x": 0} {
		got, ok := sipfragStatus([]byte(body))
		if got != want || ok != (want != 0) {
			t.Errorf("%q: %d %v, want %d", body, got, ok, want)
		}
	}
}

// FuzzTransferHeaders: what a peer puts in a REFER's Refer-To and a
// NOTIFY's sipfrag never panics, and a target accepted is a plain SIP
// address.
func FuzzTransferHeaders(f *testing.F) {
	for _, s := range []string{"<sip:carol@127.0.0.1>", "sip:carol@example.org;transport=tcp", "<sip:a@b?Replaces=x>", "<tel:+123>", "<sip:@>", "SIP/2.0 200 OK\r\n"} {
		f.Add(s, []byte(s))
	}
	f.Fuzz(func(t *testing.T, referTo string, frag []byte) {
		if code, ok := sipfragStatus(frag); ok && (code < 100 || code > 699) {
			t.Fatalf("status %d", code)
		}
		req := sip.NewRequest(sip.REFER, sip.Uri{Scheme: "sip", User: "alice", Host: "127.0.0.1"})
		req.AppendHeader(sip.NewHeader("Refer-To", referTo))
		u, bad := referTarget(req)
		if bad == "" && (u.User == "" || u.Host == "" || (u.Scheme != "sip" && u.Scheme != "sips")) {
			t.Fatalf("accepted %q as %+v", referTo, u)
		}
	})
}

// TestRawTransferAfterReinvite: a transfer asked while our resume
// re-INVITE is under way waits for it: linphonec answers a REFER that
// crosses a re-INVITE with an error (seen in the call-waiting e2e).
func TestRawTransferAfterReinvite(t *testing.T) {
	d, p := rawUASDriver(t)
	id, _ := upCall(t, d, p)
	if err := d.Hold(id, true); err != nil {
		t.Fatal(err)
	}
	reinv := p.readRequest(sip.INVITE)
	if err := d.Transfer(id, "carol"); err != nil {
		t.Fatal(err)
	}
	p.reply(reinv, 200, "OK", "zt", strings.Replace(zoeOffer, "101\r\n", "101\r\na=recvonly\r\n", 1))
	if next := p.nextRequest(); next.Method != sip.ACK {
		t.Fatalf("after our 200 to the re-INVITE came a %s, not its ACK", next.Method)
	}
	ref := p.readRequest(sip.REFER)
	if ref.CSeq().SeqNo <= reinv.CSeq().SeqNo {
		t.Fatalf("REFER CSeq %d not after the re-INVITE's %d", ref.CSeq().SeqNo, reinv.CSeq().SeqNo)
	}
	p.reply(ref, 603, "Decline", "zt", "")
	waitEvent[call.TransferDone](t, d, id, 2*time.Second)
}

// nextRequest is the next request from the driver, whatever its method.
func (p *rawPeer) nextRequest() *sip.Request {
	p.t.Helper()
	buf := make([]byte, 65535)
	p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		n, _, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			p.t.Fatalf("no request: %v", err)
		}
		if msg, err := sip.ParseMessage(buf[:n]); err == nil {
			if req, ok := msg.(*sip.Request); ok {
				return req
			}
		}
	}
}
