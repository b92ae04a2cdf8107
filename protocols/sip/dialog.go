package sip

import (
	"github.com/emiago/sipgo/sip"
)

// dialog is the state RFC 3261 section 12 keeps for one call: who is who,
// where in-dialog requests go, and the CSeq counters. sipgo v1.7.3 has no
// re-INVITE helper, so the driver builds in-dialog requests from this.
type dialog struct {
	callID       string
	localURI     sip.Uri
	localTag     string
	remoteURI    sip.Uri
	remoteTag    string
	remoteTarget sip.Uri
	routeSet     []sip.Uri
	localCSeq    uint32
	remoteCSeq   uint32
	transport    string
}

// matches reports whether an incoming in-dialog request belongs here.
func (d *dialog) matches(req *sip.Request) bool {
	cid, from, to := req.CallID(), req.From(), req.To()
	if cid == nil || from == nil || to == nil || d.callID == "" {
		return false
	}
	ft, _ := from.Params.Get("tag")
	tt, _ := to.Params.Get("tag")
	return string(*cid) == d.callID && ft == d.remoteTag && tt == d.localTag
}

// request builds an in-dialog request. ACK and CANCEL reuse the CSeq number
// they belong to (cseq); other methods take the next local one.
func (d *dialog) request(method sip.RequestMethod, contact *sip.ContactHeader, cseq uint32) *sip.Request {
	if method != sip.ACK && method != sip.CANCEL {
		d.localCSeq++
		cseq = d.localCSeq
	}
	req := sip.NewRequest(method, *d.remoteTarget.Clone())
	from := &sip.FromHeader{Address: d.localURI, Params: sip.NewParams()}
	from.Params.Add("tag", d.localTag)
	req.AppendHeader(from)
	to := &sip.ToHeader{Address: d.remoteURI, Params: sip.NewParams()}
	if d.remoteTag != "" {
		to.Params.Add("tag", d.remoteTag)
	}
	req.AppendHeader(to)
	cid := sip.CallIDHeader(d.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: method})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	for _, r := range d.routeSet {
		req.AppendHeader(&sip.RouteHeader{Address: r})
	}
	if contact != nil {
		req.AppendHeader(sip.HeaderClone(contact))
	}
	req.SetTransport(d.transport)
	return req
}

// routes reads every address of a Record-Route, in the order given.
func routes(m interface{ GetHeaders(string) []sip.Header }) []sip.Uri {
	var out []sip.Uri
	for _, h := range m.GetHeaders("Record-Route") {
		for _, v := range splitList(h.Value()) {
			var u sip.Uri
			params := sip.NewParams()
			if _, err := sip.ParseAddressValue(v, &u, &params); err == nil {
				out = append(out, u)
			}
		}
	}
	return out
}

func reversed(in []sip.Uri) []sip.Uri {
	out := make([]sip.Uri, len(in))
	for i, u := range in {
		out[len(in)-1-i] = u
	}
	return out
}

func tagOf(p sip.HeaderParams) string {
	t, _ := p.Get("tag")
	return t
}

// person is how a SIP address reads to a person: alice@example.org.
func person(u sip.Uri) string {
	if u.User == "" {
		return u.Host
	}
	return u.User + "@" + u.Host
}
