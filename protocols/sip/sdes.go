package sip

import (
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/padlock-phone/padlock/media/sdp"
)

// sdesRefusal says why an SDES-SRTP offer (RTP/SAVP with a=crypto) cannot
// be taken, "" if it can or is no such offer. SDES puts the SRTP keys in
// the SDP: over UDP or TCP anyone on the path reads them, so the call
// would look encrypted and be open. Only SIP over TLS, on an account that
// uses TLS, carries them.
func sdesRefusal(remote sdp.Remote, req *sip.Request, acct Account) string {
	if !remote.SAVP {
		return ""
	}
	if !strings.EqualFold(req.Transport(), "TLS") || acct.Transport != "tls" {
		return "SDES-SRTP offered over " + strings.ToUpper(req.Transport()) +
			": its keys travel in clear, which protects nothing; use SIP over TLS (or ZRTP)"
	}
	return "SDES-SRTP over TLS is not supported yet: call with RTP/AVP and ZRTP"
}

// notAcceptable is a 488 carrying reason in a Warning header (RFC 3261
// section 20.43, code 399: miscellaneous), so the caller sees why.
func notAcceptable(req *sip.Request, reason string) *sip.Response {
	res := sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil)
	res.AppendHeader(sip.NewHeader("Warning", `399 padlock "`+strings.ReplaceAll(reason, `"`, `'`)+`"`))
	return res
}
