package jingle

import (
	"errors"
	"strconv"
	"strings"

	"github.com/padlock-phone/padlock/media/codec"
	"github.com/padlock-phone/padlock/media/sdp"
)

// ContentName is the name Padlock gives its one audio content.
const ContentName = "audio"

// Media is one side's audio as its Jingle content says it: the description
// (formats, DTMF, ZRTP hash, rtcp-mux) and the ICE-UDP transport (with the
// DTLS fingerprint). It is the Jingle counterpart of an SDP body; Remote
// turns a peer's into the media/sdp words the call media uses.
type Media struct {
	Formats  []codec.Format // formats both sides know, in the sender's order
	EventPT  int            // telephone-event payload type, -1 if none
	ZRTPHash string         // "1.10 <hex>" (XEP-0262), empty if none
	RTCPMux  bool
	Senders  Senders // empty is both
	// ICE credentials and candidates. Padlock trickles its candidates in
	// transport-info, as StanzaJS does; a peer may also send them inline.
	Ufrag, Pwd  string
	Candidates  []Candidate
	Fingerprint *Fingerprint // XEP-0320, nil if the sender has no DTLS
}

// Remote is the peer's media as media/sdp says it. The address is left
// unset: with ICE it is the selected pair, not anything in the stanza.
// peerInitiated says whether the peer started the session, which is
// what "senders" is relative to.
func (m Media) Remote(peerInitiated bool) sdp.Remote {
	return sdp.Remote{
		Formats:   m.Formats,
		EventPT:   m.EventPT,
		Direction: m.Direction(peerInitiated),
		ZRTPHash:  m.ZRTPHash,
	}
}

// Direction is the sender's SDP direction for senders (XEP-0167 §6.1:
// senders="initiator" from the initiator reads as its a=sendonly).
func (m Media) Direction(senderInitiated bool) sdp.Direction {
	switch m.Senders {
	case SendersNone:
		return sdp.Inactive
	case SendersInitiator:
		if senderInitiated {
			return sdp.SendOnly
		}
		return sdp.RecvOnly
	case SendersResponder:
		if senderInitiated {
			return sdp.RecvOnly
		}
		return sdp.SendOnly
	}
	return sdp.SendRecv
}

// SendersFor is the senders value for a direction given by the side that
// writes it (the inverse of Direction).
func SendersFor(d sdp.Direction, writerInitiated bool) Senders {
	me, them := SendersInitiator, SendersResponder
	if !writerInitiated {
		me, them = them, me
	}
	switch d {
	case sdp.SendOnly:
		return me
	case sdp.RecvOnly:
		return them
	case sdp.Inactive:
		return SendersNone
	}
	return "" // both, the default, left out
}

// ErrNoAudio is returned for a content without an audio RTP description.
var ErrNoAudio = errors.New("jingle: no audio RTP description")

// ReadContent reads the audio content of a peer's session-initiate or
// session-accept. Formats this phone cannot play are left out, in the
// order of the sender's preference; a content with none left is
// refused by the caller with failed-application.
func ReadContent(c Content) (Media, error) {
	d := c.Description
	if d == nil || !strings.EqualFold(d.Media, "audio") {
		return Media{}, ErrNoAudio
	}
	m := Media{EventPT: -1, RTCPMux: d.RTCPMux != nil, Senders: c.Senders}
	if d.ZRTPHash != nil {
		m.ZRTPHash = d.ZRTPHash.SDP()
	}
	for _, pt := range d.PayloadTypes {
		rate := pt.ClockRate
		if rate == 0 {
			rate = 8000
		}
		if strings.EqualFold(pt.Name, "telephone-event") && rate == 8000 {
			if m.EventPT < 0 {
				m.EventPT = pt.ID
			}
			continue
		}
		if f, ok := knownFormat(pt, rate); ok {
			m.Formats = append(m.Formats, f)
		}
	}
	if t := c.Transport; t != nil {
		m.Ufrag, m.Pwd = t.Ufrag, t.Pwd
		m.Candidates = t.Candidates
		m.Fingerprint = t.Fingerprint
	}
	return m, nil
}

// Formats are the audio formats Padlock speaks over Jingle, best first:
// Opus as browsers and today's XMPP clients prefer it, then G.722 and
// G.711. Opus goes out named with channels="2" (WriteContent): without it
// Chromium took an answer's "opus/48000" for another codec and its Opus
// never reached the headset (TestStanzaJSInChromium).
func Formats() []codec.Format {
	return []codec.Format{codec.Opus, codec.G722, codec.PCMU, codec.PCMA}
}

// knownFormat matches a payload type to a codec this phone has. As in SDP,
// a static type needs no name, and a named one must agree with its number
// (the stream sends with the static payload type).
func knownFormat(pt PayloadType, rate int) (codec.Format, bool) {
	for _, f := range Formats() {
		if pt.ID != int(f.PayloadType) {
			continue
		}
		if pt.Name == "" || (strings.EqualFold(pt.Name, f.Name) && rate == f.ClockRate) {
			return f, true
		}
	}
	return codec.Format{}, false
}

// WriteContent is the audio content for this phone's session-initiate or
// session-accept. The candidates in m are put inline if any (Padlock
// itself trickles them and leaves m.Candidates empty).
func WriteContent(m Media, creator string) Content {
	d := &Description{Media: "audio"}
	for _, f := range m.Formats {
		pt := PayloadType{ID: int(f.PayloadType), Name: f.Name, ClockRate: f.ClockRate}
		if f.Channels > 1 {
			pt.Channels = f.Channels
		}
		if f.RtpmapChannels > 1 {
			pt.Channels = f.RtpmapChannels // opus/48000/2 whatever is sent (RFC 7587 §7)
		}
		d.PayloadTypes = append(d.PayloadTypes, pt)
	}
	if m.EventPT >= 0 {
		d.PayloadTypes = append(d.PayloadTypes, PayloadType{
			ID: m.EventPT, Name: "telephone-event", ClockRate: 8000,
			Parameters: []Parameter{{Name: "events", Value: "0-16"}},
		})
	}
	if m.RTCPMux {
		d.RTCPMux = &Empty{}
	}
	if v, h, ok := strings.Cut(m.ZRTPHash, " "); ok {
		d.ZRTPHash = &ZRTPHash{Version: v, Value: h}
	}
	return Content{
		Creator:     creator,
		Name:        ContentName,
		Senders:     m.Senders,
		Description: d,
		Transport:   &Transport{Ufrag: m.Ufrag, Pwd: m.Pwd, Candidates: m.Candidates, Fingerprint: m.Fingerprint},
	}
}

// Foundation-free helper for tests and logs: a candidate in SDP's words.
func (c Candidate) String() string {
	return "candidate:" + c.Foundation + " " + strconv.Itoa(c.Component) + " " + c.Protocol + " " +
		strconv.FormatUint(uint64(c.Priority), 10) + " " + c.IP + " " + strconv.Itoa(c.Port) + " typ " + c.Type
}
