// Package sdp is a call leg's media description: what this phone offers or
// answers (address, codecs, direction, extra attributes such as a=zrtp-hash)
// and what the peer's SDP says. It belongs to media, not to a signalling
// protocol: SIP carries it in INVITE bodies and Jingle will translate its
// descriptions to and from it.
package sdp

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	psdp "github.com/pion/sdp/v3"

	"github.com/padlock-phone/padlock/media/codec"
)

// Direction is the SDP media direction attribute (RFC 3264 section 5.1).
type Direction string

// The four directions. Hold is sendonly from the side that holds.
const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// Reverse is the direction the answerer uses for an offered one.
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	case Inactive:
		return Inactive
	}
	return SendRecv
}

// TelephoneEventPT is the dynamic payload type offered for RFC 4733 DTMF.
const TelephoneEventPT = 101

// Ptime is the packet time offered, in milliseconds.
const Ptime = 20

// Local is what this phone puts into an offer or answer: the RTP
// address and the audio formats, best first.
type Local struct {
	Addr    netip.AddrPort
	Formats []codec.Format
	// EventPT is the payload type of "telephone-event/8000" (RFC 4733);
	// 0 leaves it out. Offers use TelephoneEventPT, answers the offerer's.
	EventPT   uint8
	Direction Direction // empty means sendrecv
	// Attributes are extra media-level a= lines without "a=", e.g.
	// "zrtp-hash:1.10 <64 hex>" from the ZRTP engine.
	Attributes []string
	// Crypto, when set, makes the stream RTP/SAVP with these SDES lines
	// (sdes.go); only over an encrypted signalling transport.
	Crypto []Crypto
}

// maxCrypto bounds the a=crypto lines kept from one SDP.
const maxCrypto = 8

// Remote is what the peer's SDP says.
type Remote struct {
	Addr      netip.AddrPort
	Formats   []codec.Format // the peer's formats that we also know, in its order
	EventPT   int            // telephone-event payload type, -1 if none
	Direction Direction
	// ZRTPHash is the value of a=zrtp-hash ("1.10 <hex>"), empty if none.
	ZRTPHash string
	Ptime    int // 0 if not given
	// SAVP says the profile is RTP/SAVP: the peer wants SRTP keyed by
	// Crypto and nothing else. Crypto holds the a=crypto lines this phone
	// could use (RTP/AVP offers may carry them too, as optional SDES).
	SAVP   bool
	Crypto []Crypto
}

// Hold reports whether the peer's SDP puts us on hold (it will not send).
func (r Remote) Hold() bool {
	return r.Direction == SendOnly || r.Direction == Inactive || r.Addr.Addr().IsUnspecified()
}

// Build writes an SDP body for m. sessID stays the same for the whole
// call and version goes up by one with every new offer or answer.
func Build(sessID, version uint64, m Local) ([]byte, error) {
	if !m.Addr.IsValid() {
		return nil, errors.New("sdp: no local RTP address")
	}
	if len(m.Formats) == 0 {
		return nil, errors.New("sdp: no audio format to offer")
	}
	ip := m.Addr.Addr().Unmap()
	addrType := "IP4"
	if ip.Is6() {
		addrType = "IP6"
	}
	conn := &psdp.ConnectionInformation{NetworkType: "IN", AddressType: addrType, Address: &psdp.Address{Address: ip.String()}}
	md := &psdp.MediaDescription{
		MediaName: psdp.MediaName{
			Media:  "audio",
			Port:   psdp.RangedPort{Value: int(m.Addr.Port())},
			Protos: []string{"RTP", "AVP"},
		},
	}
	if len(m.Crypto) > 0 {
		md.MediaName.Protos = []string{"RTP", "SAVP"}
	}
	for _, f := range m.Formats {
		pt := strconv.Itoa(int(f.PayloadType))
		md.MediaName.Formats = append(md.MediaName.Formats, pt)
		md.Attributes = append(md.Attributes, psdp.NewAttribute("rtpmap", f.Rtpmap()))
		if p := f.Fmtp(); p != "" {
			md.Attributes = append(md.Attributes, psdp.NewAttribute("fmtp", pt+" "+p))
		}
	}
	if m.EventPT != 0 {
		pt := strconv.Itoa(int(m.EventPT))
		md.MediaName.Formats = append(md.MediaName.Formats, pt)
		md.Attributes = append(md.Attributes,
			psdp.NewAttribute("rtpmap", pt+" telephone-event/8000"),
			psdp.NewAttribute("fmtp", pt+" 0-16"))
	}
	md.Attributes = append(md.Attributes, psdp.NewAttribute("ptime", strconv.Itoa(Ptime)))
	for _, c := range m.Crypto {
		md.Attributes = append(md.Attributes, psdp.NewAttribute("crypto", c.attribute()))
	}
	for _, a := range m.Attributes {
		k, v, ok := strings.Cut(a, ":")
		if !ok {
			md.Attributes = append(md.Attributes, psdp.NewPropertyAttribute(a))
			continue
		}
		md.Attributes = append(md.Attributes, psdp.NewAttribute(k, v))
	}
	dir := m.Direction
	if dir == "" {
		dir = SendRecv
	}
	md.Attributes = append(md.Attributes, psdp.NewPropertyAttribute(string(dir)))
	s := &psdp.SessionDescription{
		Origin: psdp.Origin{
			Username: "padlock", SessionID: sessID, SessionVersion: version,
			NetworkType: "IN", AddressType: addrType, UnicastAddress: ip.String(),
		},
		SessionName:           "padlock",
		ConnectionInformation: conn,
		TimeDescriptions:      []psdp.TimeDescription{{}},
		MediaDescriptions:     []*psdp.MediaDescription{md},
	}
	return s.Marshal()
}

// Parse reads the first audio stream of a peer's SDP. Formats it does not
// know (speex, ...) are left out; an offer with none we know is an error
// the caller answers with 488. A dynamic format (Opus) comes back under the
// peer's payload type.
func Parse(body []byte) (Remote, error) {
	var s psdp.SessionDescription
	if err := s.Unmarshal(body); err != nil {
		return Remote{}, fmt.Errorf("sdp: %w", err)
	}
	r := Remote{EventPT: -1, Direction: SendRecv}
	sessDir := directionOf(s.Attributes)
	if sessDir != "" {
		r.Direction = sessDir
	}
	var md *psdp.MediaDescription
	for _, m := range s.MediaDescriptions {
		if m.MediaName.Media == "audio" && m.MediaName.Port.Value != 0 {
			md = m
			break
		}
	}
	if md == nil {
		return Remote{}, errors.New("sdp: no audio stream")
	}
	switch proto := strings.Join(md.MediaName.Protos, "/"); proto {
	case "RTP/AVP":
	case "RTP/SAVP":
		r.SAVP = true
	default:
		return Remote{}, fmt.Errorf("sdp: audio profile %s is neither RTP/AVP nor RTP/SAVP", proto)
	}
	conn := md.ConnectionInformation
	if conn == nil {
		conn = s.ConnectionInformation
	}
	if conn == nil || conn.Address == nil {
		return Remote{}, errors.New("sdp: no connection address")
	}
	ip, err := netip.ParseAddr(conn.Address.Address)
	if err != nil {
		return Remote{}, fmt.Errorf("sdp: connection address %q is not an IP address", conn.Address.Address)
	}
	port := md.MediaName.Port.Value
	if port < 0 || port > 65535 {
		return Remote{}, fmt.Errorf("sdp: port %d out of range", port)
	}
	r.Addr = netip.AddrPortFrom(ip, uint16(port))
	if d := directionOf(md.Attributes); d != "" {
		r.Direction = d
	}
	rtpmaps := map[int]string{}
	for _, a := range md.Attributes {
		switch a.Key {
		case "rtpmap":
			pt, enc, ok := strings.Cut(a.Value, " ")
			n, err := strconv.Atoi(pt)
			if ok && err == nil {
				rtpmaps[n] = strings.TrimSpace(enc)
			}
		case "zrtp-hash":
			r.ZRTPHash = a.Value
		case "crypto":
			c, err := parseCrypto(a.Value)
			if errors.Is(err, errCryptoUnsupported) {
				continue
			}
			if err != nil {
				return Remote{}, err
			}
			if len(r.Crypto) < maxCrypto {
				r.Crypto = append(r.Crypto, c)
			}
		case "ptime":
			if n, err := strconv.Atoi(strings.TrimSpace(a.Value)); err == nil && n > 0 && n < 1000 {
				r.Ptime = n
			}
		}
	}
	for _, f := range md.MediaName.Formats {
		pt, err := strconv.Atoi(f)
		if err != nil || pt < 0 || pt > 127 {
			continue
		}
		enc, mapped := rtpmaps[pt]
		if strings.EqualFold(enc, "telephone-event/8000") {
			if r.EventPT < 0 {
				r.EventPT = pt
			}
			continue
		}
		for _, known := range codec.Formats() {
			if known.Dynamic {
				// Only an rtpmap names a dynamic format: name/rate[/channels].
				name, rest, _ := strings.Cut(enc, "/")
				rate, _, _ := strings.Cut(rest, "/")
				if mapped && pt >= 96 && strings.EqualFold(name, known.Name) && rate == strconv.Itoa(known.ClockRate) {
					r.Formats = append(r.Formats, known.WithPayloadType(uint8(pt)))
				}
				continue
			}
			// A static payload type needs no rtpmap; a mapped one must agree.
			if (!mapped && pt == int(known.PayloadType)) ||
				(mapped && pt == int(known.PayloadType) && strings.EqualFold(enc, known.Name+"/"+strconv.Itoa(known.ClockRate))) {
				r.Formats = append(r.Formats, known)
			}
		}
	}
	return r, nil
}

func directionOf(attrs []psdp.Attribute) Direction {
	for _, a := range attrs {
		switch Direction(a.Key) {
		case SendRecv, SendOnly, RecvOnly, Inactive:
			return Direction(a.Key)
		}
	}
	return ""
}

// Choose picks the audio format for a call: the first of the offerer's list
// that the answerer also has. ours is our own preference list. A dynamic
// format keeps the offerer's payload type and our settings (bitrate).
func Choose(offered, ours []codec.Format) (codec.Format, bool) {
	for _, o := range offered {
		for _, f := range ours {
			if o.Same(f) {
				return f.WithPayloadType(o.PayloadType), true
			}
		}
	}
	return codec.Format{}, false
}
