package jingle

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// State is where a session is (XEP-0166 §6: pending until session-accept,
// then active, ended after session-terminate).
type State int

// The three states.
const (
	Pending State = iota
	Active
	Ended
)

func (s State) String() string {
	switch s {
	case Pending:
		return "pending"
	case Active:
		return "active"
	}
	return "ended"
}

// MaxSessions bounds the sessions one account keeps: a stranger's
// session-initiates beyond it get resource-constraint.
const MaxSessions = 8

// Session is one Jingle RTP session's signalling state.
type Session struct {
	SID       string
	Peer      string // the peer's full JID
	Initiator bool   // this phone started the session
	State     State
	Local     Media // what this phone said (offer or answer)
	Remote    Media // what the peer said
	// content is the audio content's name and creator: the ones the
	// initiator chose, kept in every later stanza.
	content, creator string
}

// Out is a Jingle stanza for the caller to send as an IQ set to To.
type Out struct {
	To     string
	Jingle *Jingle
}

// Event is news for the driver from an incoming stanza.
type Event interface{ session() string }

// Incoming: a session-initiate this phone can take; it should ring.
type Incoming struct {
	SID, From string
	Offer     Media
}

// Accepted: the peer took our session-initiate.
type Accepted struct {
	SID    string
	Answer Media
}

// Terminated: the session is over. ByPeer says the peer ended it (its
// session-terminate); otherwise this phone ended it after what the peer
// sent, and Out carries the session-terminate.
type Terminated struct {
	SID    string
	Reason Reason
	ByPeer bool
}

// InfoKind is an RTP session-info (XEP-0167 §7).
type InfoKind string

// The session-info payloads.
const (
	InfoRinging InfoKind = "ringing"
	InfoHold    InfoKind = "hold"
	InfoUnhold  InfoKind = "unhold"
	InfoActive  InfoKind = "active"
	InfoMute    InfoKind = "mute"
	InfoUnmute  InfoKind = "unmute"
)

// Info: the peer sent an RTP session-info.
type Info struct {
	SID  string
	Kind InfoKind
}

// RemoteCandidates: the peer trickled ICE candidates (transport-info), or
// sent them inline in its initiate or accept.
type RemoteCandidates struct {
	SID        string
	Ufrag, Pwd string
	Candidates []Candidate
}

func (e Incoming) session() string         { return e.SID }
func (e Accepted) session() string         { return e.SID }
func (e Terminated) session() string       { return e.SID }
func (e Info) session() string             { return e.SID }
func (e RemoteCandidates) session() string { return e.SID }

// IQError is how to refuse an IQ (RFC 6120 §8.3 plus XEP-0166 §11's
// Jingle condition).
type IQError struct {
	Type      string // cancel, modify, wait
	Condition string // an RFC 6120 stanza error condition
	Jingle    string // unknown-session, out-of-order, unsupported-info; may be empty
	Text      string
}

func (e *IQError) Error() string {
	s := "jingle: " + e.Condition
	if e.Jingle != "" {
		s += " (" + e.Jingle + ")"
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

func unknownSession(sid string) *IQError {
	return &IQError{Type: "cancel", Condition: "item-not-found", Jingle: "unknown-session", Text: "no session " + truncate(sid, 64)}
}

func outOfOrder(what string) *IQError {
	return &IQError{Type: "cancel", Condition: "unexpected-request", Jingle: "out-of-order", Text: what}
}

func badRequest(what string) *IQError {
	return &IQError{Type: "modify", Condition: "bad-request", Text: what}
}

// Engine keeps the Jingle sessions of one XMPP account. It is sans-I/O:
// stanzas in, events and stanzas out. One goroutine at a time.
type Engine struct {
	self     string // our full JID
	rand     io.Reader
	sessions map[string]*Session
}

// NewEngine starts an engine for the account logged in as self (full
// JID). rnd makes session ids (nil: crypto/rand).
func NewEngine(self string, rnd io.Reader) *Engine {
	if rnd == nil {
		rnd = rand.Reader
	}
	return &Engine{self: self, rand: rnd, sessions: map[string]*Session{}}
}

// Session returns the session with this sid, if there is one.
func (e *Engine) Session(sid string) (*Session, bool) {
	s, ok := e.sessions[sid]
	return s, ok
}

// Len is the number of sessions not yet ended.
func (e *Engine) Len() int { return len(e.sessions) }

// Receive takes a <jingle/> from an IQ set sent by from. A non-nil
// *IQError is the IQ's error answer; otherwise the IQ is answered with a
// result, then outs are sent, in order.
func (e *Engine) Receive(from string, j *Jingle) ([]Event, []Out, *IQError) {
	if j.Action == SessionInitiate {
		return e.initiated(from, j)
	}
	s, ok := e.sessions[j.SID]
	if !ok || s.Peer != from {
		// Another JID's session is nobody's business but its own.
		return nil, nil, unknownSession(j.SID)
	}
	switch j.Action {
	case SessionAccept:
		return e.accepted(s, j)
	case SessionTerminate:
		delete(e.sessions, s.SID)
		s.State = Ended
		r := Reason{Condition: Success}
		if j.Reason != nil {
			r = *j.Reason
		}
		return []Event{Terminated{SID: s.SID, Reason: r, ByPeer: true}}, nil, nil
	case SessionInfo:
		k, ok := j.info()
		if !ok {
			if len(j.Other) == 0 {
				return nil, nil, nil // an empty session-info is a ping (XEP-0166 §7.2.10)
			}
			return nil, nil, &IQError{Type: "modify", Condition: "feature-not-implemented", Jingle: "unsupported-info"}
		}
		return []Event{Info{SID: s.SID, Kind: k}}, nil, nil
	case TransportInfo:
		var evs []Event
		for _, c := range j.Contents {
			if c.Name != s.content || c.Transport == nil {
				continue
			}
			evs = append(evs, RemoteCandidates{SID: s.SID, Ufrag: c.Transport.Ufrag, Pwd: c.Transport.Pwd, Candidates: c.Transport.Candidates})
		}
		return evs, nil, nil
	}
	return nil, nil, &IQError{Type: "cancel", Condition: "feature-not-implemented", Text: "action " + truncate(string(j.Action), 32) + " is not supported"}
}

func (j *Jingle) info() (InfoKind, bool) {
	switch {
	case j.Ringing != nil:
		return InfoRinging, true
	case j.Hold != nil:
		return InfoHold, true
	case j.Unhold != nil:
		return InfoUnhold, true
	case j.Active != nil:
		return InfoActive, true
	case j.Mute != nil:
		return InfoMute, true
	case j.Unmute != nil:
		return InfoUnmute, true
	}
	return "", false
}

// initiated handles a session-initiate. The IQ is acknowledged first even
// when the session is then refused (XEP-0166 §6.3.2): a refusal is a
// session-terminate with the reason.
func (e *Engine) initiated(from string, j *Jingle) ([]Event, []Out, *IQError) {
	if _, dup := e.sessions[j.SID]; dup {
		return nil, nil, outOfOrder("a session with this sid exists")
	}
	if len(j.Contents) == 0 {
		return nil, nil, badRequest("session-initiate without content")
	}
	if len(e.sessions) >= MaxSessions {
		return nil, nil, &IQError{Type: "wait", Condition: "resource-constraint", Text: "too many sessions"}
	}
	refuse := func(c Condition, text string) ([]Event, []Out, *IQError) {
		r := Reason{Condition: c, Text: text}
		out := Out{To: from, Jingle: &Jingle{Action: SessionTerminate, SID: j.SID, Reason: &r}}
		return []Event{Terminated{SID: j.SID, Reason: r}}, []Out{out}, nil
	}
	var audio *Content
	for i := range j.Contents {
		c := &j.Contents[i]
		if c.HasOtherTransport() || (c.Transport == nil && c.Description != nil) {
			return refuse(UnsupportedTransports, "only ICE-UDP is supported")
		}
		if audio == nil && c.Description != nil && c.Description.Media == "audio" {
			audio = c
		}
	}
	if audio == nil {
		return refuse(UnsupportedApps, "only audio RTP sessions are supported")
	}
	m, err := ReadContent(*audio)
	if err != nil {
		return refuse(UnsupportedApps, err.Error())
	}
	if len(m.Formats) == 0 {
		return refuse(FailedApplication, "no common audio codec (PCMU, PCMA or G.722 is needed)")
	}
	if !m.RTCPMux {
		// One ICE component carries everything: RTP, RTCP, ZRTP, DTLS.
		return refuse(IncompatibleParameters, "rtcp-mux is required")
	}
	creator := audio.Creator
	if creator == "" {
		creator = "initiator"
	}
	s := &Session{SID: j.SID, Peer: from, State: Pending, Remote: m, content: audio.Name, creator: creator}
	e.sessions[s.SID] = s
	evs := []Event{Incoming{SID: s.SID, From: from, Offer: m}}
	if len(m.Candidates) > 0 {
		evs = append(evs, RemoteCandidates{SID: s.SID, Ufrag: m.Ufrag, Pwd: m.Pwd, Candidates: m.Candidates})
	}
	return evs, nil, nil
}

func (e *Engine) accepted(s *Session, j *Jingle) ([]Event, []Out, *IQError) {
	if !s.Initiator {
		return nil, nil, outOfOrder("session-accept sent to the responder")
	}
	if s.State != Pending {
		return nil, nil, outOfOrder("the session is already accepted")
	}
	var audio *Content
	for i := range j.Contents {
		if j.Contents[i].Name == s.content {
			audio = &j.Contents[i]
		}
	}
	if audio == nil {
		return nil, nil, badRequest("session-accept without the audio content")
	}
	fail := func(c Condition, text string) ([]Event, []Out, *IQError) {
		delete(e.sessions, s.SID)
		s.State = Ended
		r := Reason{Condition: c, Text: text}
		return []Event{Terminated{SID: s.SID, Reason: r}}, []Out{{To: s.Peer, Jingle: &Jingle{Action: SessionTerminate, SID: s.SID, Reason: &r}}}, nil
	}
	if audio.HasOtherTransport() || audio.Transport == nil {
		return fail(UnsupportedTransports, "the answer's transport is not ICE-UDP")
	}
	m, err := ReadContent(*audio)
	if err != nil {
		return fail(UnsupportedApps, err.Error())
	}
	if len(m.Formats) == 0 {
		return fail(FailedApplication, "the answer has no audio codec this phone offered")
	}
	if !m.RTCPMux {
		return fail(IncompatibleParameters, "rtcp-mux is required")
	}
	s.State, s.Remote = Active, m
	evs := []Event{Accepted{SID: s.SID, Answer: m}}
	if len(m.Candidates) > 0 {
		evs = append(evs, RemoteCandidates{SID: s.SID, Ufrag: m.Ufrag, Pwd: m.Pwd, Candidates: m.Candidates})
	}
	return evs, nil, nil
}

// NewSID makes a random session id.
func (e *Engine) NewSID() (string, error) {
	var b [12]byte
	if _, err := io.ReadFull(e.rand, b[:]); err != nil {
		return "", fmt.Errorf("jingle: session id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Initiate starts a session to peer (a full JID) offering m. sid may be
// empty (a new one is made) or the id of an XEP-0353 proposal the peer
// accepted.
func (e *Engine) Initiate(peer, sid string, m Media) (*Session, Out, error) {
	if sid == "" {
		var err error
		if sid, err = e.NewSID(); err != nil {
			return nil, Out{}, err
		}
	}
	if _, dup := e.sessions[sid]; dup {
		return nil, Out{}, errors.New("jingle: session id in use")
	}
	m.RTCPMux = true
	s := &Session{SID: sid, Peer: peer, Initiator: true, State: Pending, Local: m, content: ContentName, creator: "initiator"}
	e.sessions[sid] = s
	j := &Jingle{
		Action: SessionInitiate, SID: sid, Initiator: e.self,
		Contents: []Content{WriteContent(m, "initiator")},
		Group:    Bundle(ContentName),
	}
	return s, Out{To: peer, Jingle: j}, nil
}

// Accept answers the peer's session-initiate with m.
func (e *Engine) Accept(sid string, m Media) (Out, error) {
	s, ok := e.sessions[sid]
	if !ok {
		return Out{}, fmt.Errorf("jingle: no session %s", sid)
	}
	if s.Initiator || s.State != Pending {
		return Out{}, fmt.Errorf("jingle: session %s is %s, not a pending incoming one", sid, s.State)
	}
	m.RTCPMux = true
	c := WriteContent(m, s.creator)
	c.Name = s.content
	s.State, s.Local = Active, m
	j := &Jingle{Action: SessionAccept, SID: sid, Responder: e.self, Contents: []Content{c}, Group: Bundle(s.content)}
	return Out{To: s.Peer, Jingle: j}, nil
}

// Terminate ends a session with a reason (success for a normal hang-up,
// decline or busy for a refused call, cancel for a call given up).
func (e *Engine) Terminate(sid string, r Reason) (Out, error) {
	s, ok := e.sessions[sid]
	if !ok {
		return Out{}, fmt.Errorf("jingle: no session %s", sid)
	}
	delete(e.sessions, sid)
	s.State = Ended
	return Out{To: s.Peer, Jingle: &Jingle{Action: SessionTerminate, SID: sid, Reason: &r}}, nil
}

// Forget drops a session without a stanza: the peer refused our IQ or is
// gone, so there is nobody to tell.
func (e *Engine) Forget(sid string) {
	if s, ok := e.sessions[sid]; ok {
		s.State = Ended
		delete(e.sessions, sid)
	}
}

// SendInfo makes an RTP session-info (ringing, hold, unhold, ...).
func (e *Engine) SendInfo(sid string, k InfoKind) (Out, error) {
	s, ok := e.sessions[sid]
	if !ok {
		return Out{}, fmt.Errorf("jingle: no session %s", sid)
	}
	j := &Jingle{Action: SessionInfo, SID: sid}
	switch k {
	case InfoRinging:
		j.Ringing = &Empty{}
	case InfoHold:
		j.Hold = &Empty{}
	case InfoUnhold:
		j.Unhold = &Empty{}
	case InfoActive:
		j.Active = &Empty{}
	case InfoMute:
		j.Mute = &MuteInfo{Creator: s.creator, Name: s.content}
	case InfoUnmute:
		j.Unmute = &MuteInfo{Creator: s.creator, Name: s.content}
	default:
		return Out{}, fmt.Errorf("jingle: unknown session-info %q", k)
	}
	return Out{To: s.Peer, Jingle: j}, nil
}

// Trickle sends local ICE candidates in a transport-info (XEP-0176 §5.3).
func (e *Engine) Trickle(sid string, cands []Candidate) (Out, error) {
	s, ok := e.sessions[sid]
	if !ok {
		return Out{}, fmt.Errorf("jingle: no session %s", sid)
	}
	t := &Transport{Ufrag: s.Local.Ufrag, Pwd: s.Local.Pwd, Candidates: cands}
	j := &Jingle{Action: TransportInfo, SID: sid, Contents: []Content{{Creator: s.creator, Name: s.content, Transport: t}}}
	return Out{To: s.Peer, Jingle: j}, nil
}
