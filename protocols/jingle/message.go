package jingle

import (
	"bytes"
	"encoding/xml"
	"fmt"
)

// MessageKind is an XEP-0353 Jingle Message Initiation element.
type MessageKind string

// The JMI elements. The caller sends propose to the callee's bare JID
// (every device rings) and may retract it; a device that takes the call
// sends proceed to the caller and accept to its own bare JID (the other
// devices stop ringing); reject declines.
const (
	Propose MessageKind = "propose"
	Retract MessageKind = "retract"
	Accept  MessageKind = "accept"
	Proceed MessageKind = "proceed"
	Reject  MessageKind = "reject"
	Finish  MessageKind = "finish"
	Ringing MessageKind = "ringing" // the callee's devices ring (XEP-0353 0.4)
)

// Message is one JMI element of a <message/>.
type Message struct {
	Kind MessageKind
	ID   string // the proposed session's sid
	// Media lists the proposed descriptions' media ("audio"); propose only.
	Media []string
}

type jmiElem struct {
	XMLName      xml.Name
	ID           string `xml:"id,attr"`
	Descriptions []struct {
		XMLName xml.Name
		Media   string `xml:"media,attr"`
	} `xml:",any"`
}

// ParseMessage reads one JMI element (the child of a <message/>).
func ParseMessage(b []byte) (Message, error) {
	if len(b) > MaxStanza {
		return Message{}, fmt.Errorf("%w: message initiation of %d bytes", ErrMalformed, len(b))
	}
	var e jmiElem
	if err := xml.NewDecoder(bytes.NewReader(b)).Decode(&e); err != nil {
		return Message{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if e.XMLName.Space != NSMessage {
		return Message{}, fmt.Errorf("%w: not a message initiation element", ErrMalformed)
	}
	m := Message{Kind: MessageKind(e.XMLName.Local), ID: e.ID}
	switch m.Kind {
	case Propose, Retract, Accept, Proceed, Reject, Finish, Ringing:
	default:
		return Message{}, fmt.Errorf("%w: unknown message initiation element %q", ErrMalformed, truncate(e.XMLName.Local, 32))
	}
	if m.ID == "" || len(m.ID) > 256 {
		return Message{}, fmt.Errorf("%w: message initiation without a usable id", ErrMalformed)
	}
	for _, d := range e.Descriptions {
		if len(m.Media) >= maxContents {
			break
		}
		if d.XMLName.Local == "description" && d.XMLName.Space == NSRTP {
			m.Media = append(m.Media, d.Media)
		}
	}
	return m, nil
}

// Audio reports whether a propose offers an audio RTP session.
func (m Message) Audio() bool {
	for _, md := range m.Media {
		if md == "audio" {
			return true
		}
	}
	return false
}

// Marshal writes the JMI element (with an audio description for propose).
func (m Message) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	e := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Space: NSMessage, Local: string(m.Kind)},
		Attr: []xml.Attr{{Name: xml.Name{Local: "id"}, Value: m.ID}}}
	if err := e.EncodeToken(start); err != nil {
		return nil, err
	}
	if m.Kind == Propose {
		d := xml.StartElement{Name: xml.Name{Space: NSRTP, Local: "description"},
			Attr: []xml.Attr{{Name: xml.Name{Local: "media"}, Value: "audio"}}}
		if err := e.EncodeToken(d); err != nil {
			return nil, err
		}
		if err := e.EncodeToken(d.End()); err != nil {
			return nil, err
		}
	}
	if err := e.EncodeToken(start.End()); err != nil {
		return nil, err
	}
	if err := e.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
