package jingle

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/media/codec"
)

const (
	alice = "alice@localhost/padlock"
	bob   = "bob@localhost/stanza1"
)

func offer() Media {
	return Media{Formats: []codec.Format{codec.G722, codec.PCMU, codec.PCMA}, EventPT: 101, Ufrag: "u1", Pwd: strings.Repeat("p", 22),
		Fingerprint: &Fingerprint{Hash: "sha-256", Setup: SetupActpass, Value: "AA"}}
}

// wire sends out through Marshal and Parse, as the XMPP layer would.
func wire(t *testing.T, o Out) *Jingle {
	t.Helper()
	b, err := o.Jingle.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return mustParse(t, b)
}

func newPair() (a, b *Engine) {
	return NewEngine(alice, bytes.NewReader(bytes.Repeat([]byte{7}, 64))), NewEngine(bob, nil)
}

func TestCallBothEnds(t *testing.T) {
	a, b := newPair()
	s, out, err := a.Initiate(bob, "", offer())
	if err != nil || out.To != bob || s.State != Pending {
		t.Fatalf("Initiate: %v %+v", err, out)
	}
	evs, outs, iqErr := b.Receive(alice, wire(t, out))
	if iqErr != nil || len(outs) != 0 || len(evs) != 1 {
		t.Fatalf("initiate at b: %v %v %v", evs, outs, iqErr)
	}
	in := evs[0].(Incoming)
	if in.From != alice || in.SID != s.SID || !in.Offer.RTCPMux || in.Offer.Fingerprint.Setup != SetupActpass {
		t.Fatalf("incoming: %+v", in)
	}

	ring, _ := b.SendInfo(s.SID, InfoRinging)
	evs, _, iqErr = a.Receive(bob, wire(t, ring))
	if iqErr != nil || evs[0] != (Info{SID: s.SID, Kind: InfoRinging}) {
		t.Fatalf("ringing: %v %v", evs, iqErr)
	}

	ans := offer()
	ans.Formats = []codec.Format{codec.PCMU}
	ans.Fingerprint = &Fingerprint{Hash: "sha-256", Setup: SetupActive, Value: "BB"}
	acc, err := b.Accept(s.SID, ans)
	if err != nil {
		t.Fatal(err)
	}
	evs, _, iqErr = a.Receive(bob, wire(t, acc))
	if iqErr != nil || len(evs) != 1 {
		t.Fatalf("accept at a: %v %v", evs, iqErr)
	}
	if got := evs[0].(Accepted).Answer; got.Formats[0] != codec.PCMU || got.Fingerprint.Setup != SetupActive {
		t.Fatalf("answer: %+v", got)
	}
	if s.State != Active {
		t.Fatalf("state %v", s.State)
	}

	cands := []Candidate{{Component: 1, Foundation: "1", IP: "127.0.0.1", Port: 5000, Priority: 9, Protocol: "udp", Type: "host"}}
	ti, _ := a.Trickle(s.SID, cands)
	evs, _, iqErr = b.Receive(alice, wire(t, ti))
	if iqErr != nil || len(evs) != 1 || evs[0].(RemoteCandidates).Candidates[0].Port != 5000 || evs[0].(RemoteCandidates).Ufrag != "u1" {
		t.Fatalf("transport-info: %v %v", evs, iqErr)
	}

	for _, k := range []InfoKind{InfoHold, InfoUnhold, InfoMute, InfoUnmute, InfoActive} {
		o, err := a.SendInfo(s.SID, k)
		if err != nil {
			t.Fatal(err)
		}
		evs, _, iqErr = b.Receive(alice, wire(t, o))
		if iqErr != nil || evs[0] != (Info{SID: s.SID, Kind: k}) {
			t.Fatalf("%s: %v %v", k, evs, iqErr)
		}
	}

	term, _ := b.Terminate(s.SID, Reason{Condition: Success})
	evs, _, iqErr = a.Receive(bob, wire(t, term))
	if iqErr != nil || evs[0] != (Terminated{SID: s.SID, Reason: Reason{Condition: Success}, ByPeer: true}) {
		t.Fatalf("terminate: %v %v", evs, iqErr)
	}
	if a.Len() != 0 || b.Len() != 0 {
		t.Fatalf("sessions left: %d %d", a.Len(), b.Len())
	}
}

// TestRefusals: what a peer sends that the engine must turn away, and how.
func TestRefusals(t *testing.T) {
	initiate := func(edit func(*Jingle)) *Jingle {
		_, out, _ := NewEngine(alice, nil).Initiate(bob, "sid1", offer())
		j := out.Jingle
		if edit != nil {
			edit(j)
		}
		return j
	}
	for _, tc := range []struct {
		name      string
		setup     func(a *Engine) // a is the engine under test; sessions made here
		from      string
		j         *Jingle
		iqErr     string // IQ error condition/jingle condition, or ""
		terminate Condition
	}{
		{name: "accept for no session", from: bob, j: &Jingle{Action: SessionAccept, SID: "nope"}, iqErr: "item-not-found/unknown-session"},
		{name: "terminate for no session", from: bob, j: &Jingle{Action: SessionTerminate, SID: "nope"}, iqErr: "item-not-found/unknown-session"},
		{name: "info for no session", from: bob, j: &Jingle{Action: SessionInfo, SID: "nope", Ringing: &Empty{}}, iqErr: "item-not-found/unknown-session"},
		{name: "transport-info for no session", from: bob, j: &Jingle{Action: TransportInfo, SID: "nope"}, iqErr: "item-not-found/unknown-session"},
		{
			name:  "another JID's session",
			setup: func(a *Engine) { a.Initiate(bob, "sid1", offer()) },
			from:  "eve@localhost/x", j: &Jingle{Action: SessionTerminate, SID: "sid1"}, iqErr: "item-not-found/unknown-session",
		},
		{
			name:  "accept from the responder side",
			setup: func(a *Engine) { a.Receive(bob, initiate(nil)) },
			from:  bob, j: &Jingle{Action: SessionAccept, SID: "sid1"}, iqErr: "unexpected-request/out-of-order",
		},
		{
			name:  "second initiate with the same sid",
			setup: func(a *Engine) { a.Receive(bob, initiate(nil)) },
			from:  bob, j: initiate(nil), iqErr: "unexpected-request/out-of-order",
		},
		{
			name:  "unknown session-info payload",
			setup: func(a *Engine) { a.Receive(bob, initiate(nil)) },
			from:  bob, j: &Jingle{Action: SessionInfo, SID: "sid1", Other: []Unknown{{}}}, iqErr: "feature-not-implemented/unsupported-info",
		},
		{name: "content-add", from: bob, j: &Jingle{Action: "content-add", SID: "x"}, iqErr: "item-not-found/unknown-session"},
		{name: "initiate without content", from: bob, j: &Jingle{Action: SessionInitiate, SID: "x"}, iqErr: "bad-request/"},
		{name: "unknown transport", from: bob, j: initiate(func(j *Jingle) {
			j.Contents[0].Transport = nil
			j.Contents[0].Other = []Unknown{{XMLName: xmlName("urn:xmpp:jingle:transports:s5b:1", "transport")}}
		}), terminate: UnsupportedTransports},
		{name: "video only", from: bob, j: initiate(func(j *Jingle) { j.Contents[0].Description.Media = "video" }), terminate: UnsupportedApps},
		{name: "no common codec", from: bob, j: initiate(func(j *Jingle) {
			j.Contents[0].Description.PayloadTypes = []PayloadType{{ID: 97, Name: "iLBC", ClockRate: 8000}}
		}), terminate: FailedApplication},
		{name: "no rtcp-mux", from: bob, j: initiate(func(j *Jingle) { j.Contents[0].Description.RTCPMux = nil }), terminate: IncompatibleParameters},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := NewEngine(alice, nil)
			if tc.setup != nil {
				tc.setup(a)
			}
			before := a.Len()
			evs, outs, iqErr := a.Receive(tc.from, tc.j)
			if tc.iqErr != "" {
				if iqErr == nil || iqErr.Condition+"/"+iqErr.Jingle != tc.iqErr {
					t.Fatalf("IQ error %v, want %s", iqErr, tc.iqErr)
				}
				if len(evs) != 0 || len(outs) != 0 || a.Len() != before {
					t.Fatalf("a refused IQ changed something: %v %v", evs, outs)
				}
				return
			}
			if iqErr != nil {
				t.Fatalf("IQ error %v, want a result and a session-terminate", iqErr)
			}
			if len(outs) != 1 || outs[0].Jingle.Action != SessionTerminate || outs[0].Jingle.Reason.Condition != tc.terminate || outs[0].To != tc.from {
				t.Fatalf("outs %+v, want session-terminate %s", outs, tc.terminate)
			}
			if outs[0].Jingle.Reason.Text == "" {
				t.Errorf("the reason has no text saying why")
			}
			if len(evs) != 1 || evs[0].(Terminated).ByPeer || a.Len() != before {
				t.Fatalf("events %v, sessions %d", evs, a.Len())
			}
		})
	}
}

func TestAcceptRefused(t *testing.T) {
	for name, edit := range map[string]func(*Content){
		"no codec offered":  func(c *Content) { c.Description.PayloadTypes = []PayloadType{{ID: 18, Name: "G729", ClockRate: 8000}} },
		"no rtcp-mux":       func(c *Content) { c.Description.RTCPMux = nil },
		"no transport":      func(c *Content) { c.Transport = nil },
		"not audio content": func(c *Content) { c.Description.Media = "video" },
	} {
		t.Run(name, func(t *testing.T) {
			a, b := newPair()
			s, out, _ := a.Initiate(bob, "", offer())
			b.Receive(alice, wire(t, out))
			acc, _ := b.Accept(s.SID, offer())
			edit(&acc.Jingle.Contents[0])
			evs, outs, iqErr := a.Receive(bob, acc.Jingle)
			if iqErr != nil || len(outs) != 1 || outs[0].Jingle.Action != SessionTerminate || len(evs) != 1 || a.Len() != 0 {
				t.Fatalf("%v %v %v", evs, outs, iqErr)
			}
		})
	}
}

func TestSessionLimit(t *testing.T) {
	a := NewEngine(alice, nil)
	for i := 0; i < MaxSessions+3; i++ {
		_, out, _ := NewEngine(bob, nil).Initiate(alice, "", offer())
		_, _, iqErr := a.Receive(bob, out.Jingle)
		if i < MaxSessions && iqErr != nil {
			t.Fatalf("session %d refused: %v", i, iqErr)
		}
		if i >= MaxSessions && (iqErr == nil || iqErr.Condition != "resource-constraint") {
			t.Fatalf("session %d: %v, want resource-constraint", i, iqErr)
		}
	}
	if a.Len() != MaxSessions {
		t.Fatalf("%d sessions kept", a.Len())
	}
}

func TestEmptySessionInfoIsPing(t *testing.T) {
	a, b := newPair()
	s, out, _ := a.Initiate(bob, "", offer())
	b.Receive(alice, wire(t, out))
	evs, outs, iqErr := b.Receive(alice, &Jingle{Action: SessionInfo, SID: s.SID})
	if evs != nil || outs != nil || iqErr != nil {
		t.Fatalf("%v %v %v", evs, outs, iqErr)
	}
}

func xmlName(space, local string) xml.Name {
	return xml.Name{Space: space, Local: local}
}
