package jingle

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// The namespaces this package reads and writes.
const (
	NS          = "urn:xmpp:jingle:1"                     // XEP-0166
	NSErrors    = "urn:xmpp:jingle:errors:1"              // XEP-0166 §11
	NSRTP       = "urn:xmpp:jingle:apps:rtp:1"            // XEP-0167
	NSRTPAudio  = "urn:xmpp:jingle:apps:rtp:audio"        // XEP-0167 disco feature
	NSRTPInfo   = "urn:xmpp:jingle:apps:rtp:info:1"       // XEP-0167 §7
	NSICEUDP    = "urn:xmpp:jingle:transports:ice-udp:1"  // XEP-0176
	NSDTLS      = "urn:xmpp:jingle:apps:dtls:0"           // XEP-0320
	NSZRTP      = "urn:xmpp:jingle:apps:rtp:zrtp:1"       // XEP-0262
	NSGrouping  = "urn:xmpp:jingle:apps:grouping:0"       // XEP-0338
	NSMessage   = "urn:xmpp:jingle-message:0"             // XEP-0353
	NSRTPHdrExt = "urn:xmpp:jingle:apps:rtp:rtp-hdrext:0" // XEP-0294 (read past)
	NSRTCPFB    = "urn:xmpp:jingle:apps:rtp:rtcp-fb:0"    // XEP-0293 (read past)
	NSSources   = "urn:xmpp:jingle:apps:rtp:ssma:0"       // XEP-0339 (read past)
	nsStanzaErr = "urn:ietf:params:xml:ns:xmpp-stanzas"   // RFC 6120 §8.3
	NSDiscoInfo = "http://jabber.org/protocol/disco#info" // XEP-0030
	NSCaps      = "http://jabber.org/protocol/caps"       // XEP-0115
)

// Action is a Jingle action (XEP-0166 §7.2).
type Action string

// The actions an audio call uses. Others are answered with
// feature-not-implemented.
const (
	SessionInitiate  Action = "session-initiate"
	SessionAccept    Action = "session-accept"
	SessionTerminate Action = "session-terminate"
	SessionInfo      Action = "session-info"
	TransportInfo    Action = "transport-info"
)

// Limits on what a peer may send: a Jingle stanza reaches the phone from
// anyone who can address it, before anybody answers.
const (
	MaxStanza       = 64 << 10
	maxContents     = 4
	maxPayloadTypes = 64
	maxParameters   = 32
	maxCandidates   = 32
	maxAttr         = 1024
)

// Jingle is the <jingle/> payload of an IQ set.
type Jingle struct {
	XMLName   xml.Name  `xml:"urn:xmpp:jingle:1 jingle"`
	Action    Action    `xml:"action,attr"`
	SID       string    `xml:"sid,attr"`
	Initiator string    `xml:"initiator,attr,omitempty"`
	Responder string    `xml:"responder,attr,omitempty"`
	Contents  []Content `xml:"content"`
	Reason    *Reason   `xml:"reason"`
	Group     *Group    `xml:"urn:xmpp:jingle:apps:grouping:0 group"`

	// session-info payloads (XEP-0167 §7); at most one is set.
	Ringing *Empty    `xml:"urn:xmpp:jingle:apps:rtp:info:1 ringing"`
	Hold    *Empty    `xml:"urn:xmpp:jingle:apps:rtp:info:1 hold"`
	Unhold  *Empty    `xml:"urn:xmpp:jingle:apps:rtp:info:1 unhold"`
	Active  *Empty    `xml:"urn:xmpp:jingle:apps:rtp:info:1 active"`
	Mute    *MuteInfo `xml:"urn:xmpp:jingle:apps:rtp:info:1 mute"`
	Unmute  *MuteInfo `xml:"urn:xmpp:jingle:apps:rtp:info:1 unmute"`

	Other []Unknown `xml:",any"`
}

// Empty is an element with no content, such as <ringing/>.
type Empty struct{}

// MuteInfo is <mute/> or <unmute/>: which content stops or resumes.
type MuteInfo struct {
	Creator string `xml:"creator,attr,omitempty"`
	Name    string `xml:"name,attr,omitempty"`
}

// Unknown is a child element this package does not model; only its name is
// kept (the content is skipped unread).
type Unknown struct {
	XMLName xml.Name
}

// Content is one <content/>: for a phone call, the audio.
type Content struct {
	Creator     string       `xml:"creator,attr"`
	Name        string       `xml:"name,attr"`
	Senders     Senders      `xml:"senders,attr,omitempty"`
	Description *Description `xml:"urn:xmpp:jingle:apps:rtp:1 description"`
	Transport   *Transport   `xml:"urn:xmpp:jingle:transports:ice-udp:1 transport"`
	Other       []Unknown    `xml:",any"`
}

// Senders says who sends media in a content (XEP-0166 §7.3); empty is both.
type Senders string

// The four values of senders.
const (
	SendersBoth      Senders = "both"
	SendersInitiator Senders = "initiator"
	SendersResponder Senders = "responder"
	SendersNone      Senders = "none"
)

// Description is an RTP <description/> (XEP-0167 §4).
type Description struct {
	Media        string        `xml:"media,attr"`
	SSRC         string        `xml:"ssrc,attr,omitempty"`
	PayloadTypes []PayloadType `xml:"payload-type"`
	RTCPMux      *Empty        `xml:"rtcp-mux"`
	ZRTPHash     *ZRTPHash     `xml:"urn:xmpp:jingle:apps:rtp:zrtp:1 zrtp-hash"`
	Other        []Unknown     `xml:",any"`
}

// PayloadType is one <payload-type/> (an SDP a=rtpmap line).
type PayloadType struct {
	ID         int         `xml:"id,attr"`
	Name       string      `xml:"name,attr,omitempty"`
	ClockRate  int         `xml:"clockrate,attr,omitempty"`
	Channels   int         `xml:"channels,attr,omitempty"`
	Ptime      int         `xml:"ptime,attr,omitempty"`
	Parameters []Parameter `xml:"parameter"`
	Other      []Unknown   `xml:",any"`
}

// Parameter is an fmtp name=value pair of a payload type.
type Parameter struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// ZRTPHash is XEP-0262's <zrtp-hash/>: the ZRTP version and the hash of
// the sender's Hello (RFC 6189 §8.1), as a=zrtp-hash carries it in SDP.
type ZRTPHash struct {
	Version string `xml:"version,attr"`
	Value   string `xml:",chardata"`
}

// SDP is the value as a=zrtp-hash has it: "1.10 <hex>".
func (z *ZRTPHash) SDP() string {
	if z == nil {
		return ""
	}
	return strings.TrimSpace(z.Version) + " " + strings.TrimSpace(z.Value)
}

// Transport is an ICE-UDP <transport/> (XEP-0176), with the DTLS
// fingerprint of XEP-0320 when the sender does DTLS-SRTP.
type Transport struct {
	Ufrag       string       `xml:"ufrag,attr,omitempty"`
	Pwd         string       `xml:"pwd,attr,omitempty"`
	Candidates  []Candidate  `xml:"candidate"`
	Fingerprint *Fingerprint `xml:"urn:xmpp:jingle:apps:dtls:0 fingerprint"`
	Other       []Unknown    `xml:",any"`
}

// Candidate is one ICE candidate (XEP-0176 §5.3).
type Candidate struct {
	Component  int    `xml:"component,attr"`
	Foundation string `xml:"foundation,attr"`
	Generation int    `xml:"generation,attr"`
	ID         string `xml:"id,attr,omitempty"`
	IP         string `xml:"ip,attr"`
	Network    int    `xml:"network,attr"`
	Port       int    `xml:"port,attr"`
	Priority   uint32 `xml:"priority,attr"`
	Protocol   string `xml:"protocol,attr"`
	RelAddr    string `xml:"rel-addr,attr,omitempty"`
	RelPort    int    `xml:"rel-port,attr,omitempty"`
	Type       string `xml:"type,attr"`
	TCPType    string `xml:"tcptype,attr,omitempty"`
}

// Addr is the candidate's address, if it is a UDP candidate this phone can
// use (TCP candidates, such as StanzaJS's port-9 "active" one, are not).
func (c Candidate) Addr() (netip.AddrPort, bool) {
	if !strings.EqualFold(c.Protocol, "udp") || c.Port <= 0 || c.Port > 65535 {
		return netip.AddrPort{}, false
	}
	ip, err := netip.ParseAddr(c.IP)
	if err != nil || ip.Zone() != "" {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(c.Port)), true
}

// Fingerprint is XEP-0320's certificate fingerprint and DTLS role.
type Fingerprint struct {
	Hash  string `xml:"hash,attr"`
	Setup Setup  `xml:"setup,attr,omitempty"`
	Value string `xml:",chardata"`
}

// Setup is the DTLS role (RFC 4145 a=setup).
type Setup string

// The values of setup.
const (
	SetupActpass Setup = "actpass"
	SetupActive  Setup = "active"
	SetupPassive Setup = "passive"
)

// Group is XEP-0338's <group/> (SDP a=group, here always BUNDLE).
type Group struct {
	Semantics string         `xml:"semantics,attr"`
	Contents  []GroupContent `xml:"content"`
}

// GroupContent names a content in a group.
type GroupContent struct {
	Name string `xml:"name,attr"`
}

// Bundle is the BUNDLE group of the named contents. StanzaJS sends one
// always, even with one content; Padlock does the same.
func Bundle(names ...string) *Group {
	g := &Group{Semantics: "BUNDLE"}
	for _, n := range names {
		g.Contents = append(g.Contents, GroupContent{Name: n})
	}
	return g
}

// Reason is a session-terminate's <reason/> (XEP-0166 §7.4).
type Reason struct {
	Condition Condition
	Text      string
}

// Condition is a reason's defined condition.
type Condition string

// The reasons XEP-0166 §7.4 defines.
const (
	AlternativeSession     Condition = "alternative-session"
	Busy                   Condition = "busy"
	Cancel                 Condition = "cancel"
	ConnectivityError      Condition = "connectivity-error"
	Decline                Condition = "decline"
	Expired                Condition = "expired"
	FailedApplication      Condition = "failed-application"
	FailedTransport        Condition = "failed-transport"
	GeneralError           Condition = "general-error"
	Gone                   Condition = "gone"
	IncompatibleParameters Condition = "incompatible-parameters"
	MediaError             Condition = "media-error"
	SecurityError          Condition = "security-error"
	Success                Condition = "success"
	Timeout                Condition = "timeout"
	UnsupportedApps        Condition = "unsupported-applications"
	UnsupportedTransports  Condition = "unsupported-transports"
)

var conditions = map[Condition]bool{
	AlternativeSession: true, Busy: true, Cancel: true, ConnectivityError: true, Decline: true,
	Expired: true, FailedApplication: true, FailedTransport: true, GeneralError: true, Gone: true,
	IncompatibleParameters: true, MediaError: true, SecurityError: true, Success: true,
	Timeout: true, UnsupportedApps: true, UnsupportedTransports: true,
}

// MarshalXML writes <reason><condition/><text>…</text></reason>.
func (r Reason) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Name = xml.Name{Local: "reason"}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	c := r.Condition
	if c == "" {
		c = GeneralError
	}
	cond := xml.StartElement{Name: xml.Name{Local: string(c)}}
	if err := e.EncodeToken(cond); err != nil {
		return err
	}
	if err := e.EncodeToken(cond.End()); err != nil {
		return err
	}
	if r.Text != "" {
		if err := e.EncodeElement(r.Text, xml.StartElement{Name: xml.Name{Local: "text"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// UnmarshalXML reads a reason; an unknown condition reads as
// general-error, as XEP-0166 asks of unknown conditions.
func (r *Reason) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var raw struct {
		Children []struct {
			XMLName xml.Name
			Text    string `xml:",chardata"`
		} `xml:",any"`
	}
	if err := d.DecodeElement(&raw, &start); err != nil {
		return err
	}
	for _, ch := range raw.Children {
		switch {
		case ch.XMLName.Local == "text":
			r.Text = truncate(ch.Text, maxAttr)
		case r.Condition == "" && conditions[Condition(ch.XMLName.Local)]:
			r.Condition = Condition(ch.XMLName.Local)
		}
	}
	if r.Condition == "" {
		r.Condition = GeneralError
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// ErrMalformed wraps everything Parse refuses: the IQ is answered with
// bad-request.
var ErrMalformed = errors.New("jingle: malformed stanza")

// Parse reads a <jingle/> element and checks what every action needs: an
// action, a sid, sane sizes, content names. It does not judge whether the
// action fits the session: Engine does.
func Parse(b []byte) (*Jingle, error) {
	if len(b) > MaxStanza {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformed, len(b), MaxStanza)
	}
	return Decode(xml.NewDecoder(bytes.NewReader(b)))
}

// Decode is Parse on a decoder positioned before the <jingle/> element
// (the XMPP layer hands over the IQ's payload as tokens).
func Decode(d *xml.Decoder) (*Jingle, error) {
	var j Jingle
	if err := d.Decode(&j); err != nil {
		if err == io.EOF {
			err = errors.New("no element")
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := j.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return &j, nil
}

func (j *Jingle) check() error {
	switch {
	case j.Action == "":
		return errors.New("no action")
	case j.SID == "":
		return errors.New("no sid")
	case len(j.SID) > 256 || len(j.Initiator) > 3071 || len(j.Responder) > 3071:
		return errors.New("sid or JID too long")
	case len(j.Contents) > maxContents:
		return fmt.Errorf("%d contents, at most %d", len(j.Contents), maxContents)
	}
	for _, c := range j.Contents {
		if c.Name == "" || len(c.Name) > maxAttr {
			return errors.New("a content without a usable name")
		}
		switch c.Creator {
		case "", "initiator", "responder":
		default:
			return fmt.Errorf("content creator %q", truncate(c.Creator, 32))
		}
		switch c.Senders {
		case "", SendersBoth, SendersInitiator, SendersResponder, SendersNone:
		default:
			return fmt.Errorf("content senders %q", truncate(string(c.Senders), 32))
		}
		if d := c.Description; d != nil {
			if len(d.PayloadTypes) > maxPayloadTypes {
				return fmt.Errorf("%d payload types, at most %d", len(d.PayloadTypes), maxPayloadTypes)
			}
			for _, pt := range d.PayloadTypes {
				if pt.ID < 0 || pt.ID > 127 {
					return fmt.Errorf("payload type id %d out of range", pt.ID)
				}
				if len(pt.Parameters) > maxParameters {
					return fmt.Errorf("%d parameters on payload type %d", len(pt.Parameters), pt.ID)
				}
			}
		}
		if t := c.Transport; t != nil {
			if len(t.Candidates) > maxCandidates {
				return fmt.Errorf("%d candidates, at most %d", len(t.Candidates), maxCandidates)
			}
			if len(t.Ufrag) > 256 || len(t.Pwd) > 256 {
				return errors.New("ICE ufrag or pwd too long")
			}
			if f := t.Fingerprint; f != nil && len(f.Value) > maxAttr {
				return errors.New("fingerprint too long")
			}
		}
	}
	if j.Group != nil && len(j.Group.Contents) > maxContents {
		return errors.New("group too large")
	}
	return nil
}

// Marshal writes j as XML.
func (j *Jingle) Marshal() ([]byte, error) {
	return xml.Marshal(j)
}

// HasOtherTransport reports whether c carries a transport this phone does
// not speak (not ICE-UDP): the session is refused with
// unsupported-transports.
func (c Content) HasOtherTransport() bool {
	return c.Transport == nil && hasChild(c.Other, "transport")
}

// HasOtherApplication reports whether c describes something other than RTP.
func (c Content) HasOtherApplication() bool {
	return c.Description == nil && hasChild(c.Other, "description")
}

func hasChild(us []Unknown, local string) bool {
	for _, u := range us {
		if u.XMLName.Local == local {
			return true
		}
	}
	return false
}
