package sip

import (
	"github.com/padlock-phone/padlock/media/sdp"
	"net/netip"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/media/codec"
)

// offerFormats is the order we offer audio in: Opus (when built in), PCMU,
// PCMA, G.722. Opus is better than all three wherever the peer has it;
// after it every SIP phone has G.711, and G.722 is there for peers that
// prefer it.
func offerFormats() []codec.Format {
	var fs []codec.Format
	for _, f := range codec.Formats() {
		if f.Same(codec.Opus) {
			fs = append(fs, f)
		}
	}
	return append(fs, codec.PCMU, codec.PCMA, codec.G722)
}

// Media is the RTP side of calls. The driver asks it for one Session per
// call; the session owns the RTP socket (and, later, ZRTP on it).
type Media interface {
	NewSession(id call.ID) (MediaSession, error)
}

// MediaSession is the media of one call as SIP sees it.
type MediaSession interface {
	// Addr is the local RTP address to put into SDP.
	Addr() netip.AddrPort
	// Attributes are extra media-level SDP attributes without "a=", for
	// example "zrtp-hash:1.10 <hex>". May be nil.
	Attributes() []string
	// Start is called each time offer/answer completes: the first time
	// the call is answered, and again after every re-INVITE.
	Start(remote sdp.Remote, f codec.Format, dir sdp.Direction) error
	// Close frees the socket when the call ends.
	Close() error
}

// Verifier is implemented by media sessions that keep a ZRTP cache:
// Telephony.SetVerified is passed on to it.
type Verifier interface {
	SetVerified(verified bool) error
}

// DTMF is implemented by media sessions that send keypad digits as RFC
// 4733 telephone-events; Driver.SendDTMF is passed on to it.
type DTMF interface {
	SendDTMF(digits string) error
}
