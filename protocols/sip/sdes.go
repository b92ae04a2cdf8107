package sip

import (
	"errors"
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
	return ""
}

// SDESMedia is a MediaSession that can key SRTP from SDES lines (callmedia
// does). Without it an SDES offer is refused.
type SDESMedia interface {
	// SDESRefusal is why the phone takes no SDES now ("" if it does),
	// e.g. because end-to-end encryption is required.
	SDESRefusal() string
	// SetSDES gives the keys before the media starts: ours protects what
	// we send, theirs what we receive.
	SetSDES(ours, theirs sdp.Crypto) error
}

// takeSDES agrees on SDES keys for an RTP/SAVP offer that sdesRefusal let
// through: the first offered line we can use, answered with a fresh key of
// ours, handed to the media. It returns our line for the answer, or why
// not.
func takeSDES(m MediaSession, remote sdp.Remote) (sdp.Crypto, string) {
	sm, ok := m.(SDESMedia)
	if !ok {
		return sdp.Crypto{}, "this phone's media cannot take SDES keys"
	}
	if why := sm.SDESRefusal(); why != "" {
		return sdp.Crypto{}, why
	}
	ours, theirs, err := sdp.ChooseCrypto(remote.Crypto)
	if err != nil {
		return sdp.Crypto{}, err.Error()
	}
	if err := sm.SetSDES(ours, theirs); err != nil {
		return sdp.Crypto{}, err.Error()
	}
	return ours, ""
}

// notAcceptable is a 488 carrying reason in a Warning header (RFC 3261
// section 20.43, code 399: miscellaneous), so the caller sees why.
func notAcceptable(req *sip.Request, reason string) *sip.Response {
	res := sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil)
	res.AppendHeader(sip.NewHeader("Warning", `399 padlock "`+strings.ReplaceAll(reason, `"`, `'`)+`"`))
	return res
}

// sdesOffer is what an outgoing call offers for SDES: over TLS, to media
// that takes it and with end to end not required, one line per suite under
// RTP/SAVP, beside a=zrtp-hash (ZRTP still runs on top). A phone that
// wants no SRTP answers 488 and runOutgoing offers again without them
// (phones with SDES mandatory, such as baresip's srtp-mand, refuse the
// lines under RTP/AVP). Otherwise nil.
func sdesOffer(acct Account, m MediaSession) []sdp.Crypto {
	sm, ok := m.(SDESMedia)
	if acct.Transport != "tls" || !ok || sm.SDESRefusal() != "" {
		return nil
	}
	var lines []sdp.Crypto
	for i, suite := range sdp.SDESSuites() {
		c, err := sdp.NewCrypto(i+1, suite)
		if err != nil {
			return nil
		}
		lines = append(lines, c)
	}
	return lines
}

// keyFromAnswer keys the media from the answer to our SDES offer, if the
// answer took it: the line it accepted and its own key. An answer without
// a=crypto leaves the call to ZRTP.
func (c *sipCall) keyFromAnswer(remote sdp.Remote) error {
	if c.sdesOffer == nil || len(remote.Crypto) == 0 {
		if remote.SAVP {
			return errors.New("the answer is RTP/SAVP (SDES) without a key this phone offered")
		}
		return nil
	}
	ours, theirs, err := sdp.MatchCrypto(c.sdesOffer, remote.Crypto)
	if err != nil {
		return err
	}
	sm := c.media.(SDESMedia) // sdesOffer checked it
	if err := sm.SetSDES(ours, theirs); err != nil {
		return err
	}
	c.mu.Lock()
	c.sdes = &ours
	c.mu.Unlock()
	return nil
}
