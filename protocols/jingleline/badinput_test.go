package jingleline_test

import (
	"context"
	"encoding/xml"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/media/codec"
	"github.com/padlock-phone/padlock/media/dtlssrtp"
	"github.com/padlock-phone/padlock/media/icelink"
	"github.com/padlock-phone/padlock/protocols/jingle"
	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
)

// rawPeer is a hand-driven Jingle client on prosody: it sends what a test
// writes and keeps the Jingle stanzas Padlock sends it.
type rawPeer struct {
	peer *prosody.PadlockClient
	jid  string
	got  chan *jingle.Jingle
}

func newRawPeer(t *testing.T, s *prosody.Server, user string) *rawPeer {
	t.Helper()
	p := &rawPeer{peer: s.DialPadlock(t, user, user+"pass"), got: make(chan *jingle.Jingle, 32)}
	p.jid, _ = p.peer.C.JID()
	p.peer.C.HandleIQ(jingle.NS, "jingle", func(from, typ string, d *xml.Decoder) ([]byte, []byte) {
		j, err := jingle.Decode(d)
		if err != nil {
			t.Errorf("Padlock sent a Jingle stanza that does not parse: %v", err)
			return nil, nil
		}
		p.got <- j
		return nil, nil
	})
	return p
}

func (p *rawPeer) send(t *testing.T, to string, j *jingle.Jingle) error {
	t.Helper()
	b, err := j.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return p.sendRaw(t, to, b)
}

func (p *rawPeer) sendRaw(t *testing.T, to string, b []byte) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := p.peer.C.SendIQPayload(ctx, to, "set", b)
	return err
}

// next waits for a stanza from Padlock with the given action.
func (p *rawPeer) next(t *testing.T, action jingle.Action) *jingle.Jingle {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case j := <-p.got:
			if j.Action == action {
				return j
			}
		case <-deadline:
			t.Fatalf("Padlock never sent %s", action)
			return nil
		}
	}
}

func refusedWith(err error, cond string) bool {
	var r *xmpp.RefusedError
	return errors.As(err, &r) && r.Condition == cond
}

// TestBadInput: what a stranger's client may send Padlock.
func TestBadInput(t *testing.T) {
	s := prosody.Start(t, prosody.Options{})
	s.Register(t, "alice", "alicepass")
	s.Register(t, "mallory", "mallorypass")
	alice := newPhone(t, s, "alice", 700)
	m := newRawPeer(t, s, "mallory")
	aliceJID, _ := alice.peer.C.JID()

	offer := func(sid string) jingle.Media {
		return jingle.Media{Formats: []codec.Format{codec.PCMU}, EventPT: -1, RTCPMux: true, Ufrag: "mmmm", Pwd: strings.Repeat("p", 22),
			Fingerprint: &jingle.Fingerprint{Hash: "sha-256", Setup: jingle.SetupActpass, Value: "AA:BB"}}
	}
	initiate := func(sid string, edit func(*jingle.Content)) *jingle.Jingle {
		c := jingle.WriteContent(offer(sid), "initiator")
		if edit != nil {
			edit(&c)
		}
		return &jingle.Jingle{Action: jingle.SessionInitiate, SID: sid, Initiator: m.jid, Contents: []jingle.Content{c}, Group: jingle.Bundle("audio")}
	}

	t.Run("malformed", func(t *testing.T) {
		err := m.sendRaw(t, aliceJID, []byte(`<jingle xmlns="urn:xmpp:jingle:1" action="session-initiate"/>`))
		if !refusedWith(err, "bad-request") {
			t.Fatalf("a Jingle without sid got %v, want bad-request", err)
		}
	})
	t.Run("accept for no session", func(t *testing.T) {
		err := m.send(t, aliceJID, &jingle.Jingle{Action: jingle.SessionAccept, SID: "nosuch"})
		if !refusedWith(err, "item-not-found") {
			t.Fatalf("got %v, want item-not-found (unknown-session)", err)
		}
	})
	t.Run("unknown transport", func(t *testing.T) {
		j := initiate("s5b", func(c *jingle.Content) { c.Transport = nil })
		b, _ := j.Marshal()
		b = []byte(strings.Replace(string(b), `</description>`, `</description><transport xmlns="urn:xmpp:jingle:transports:s5b:1" sid="x"/>`, 1))
		if err := m.sendRaw(t, aliceJID, b); err != nil {
			t.Fatalf("the IQ itself must be acknowledged: %v", err)
		}
		term := m.next(t, jingle.SessionTerminate)
		if term.SID != "s5b" || term.Reason.Condition != jingle.UnsupportedTransports {
			t.Fatalf("terminate %+v", term.Reason)
		}
	})
	t.Run("no encryption offered", func(t *testing.T) {
		j := initiate("clear1", func(c *jingle.Content) { c.Transport.Fingerprint = nil })
		if err := m.send(t, aliceJID, j); err != nil {
			t.Fatal(err)
		}
		in := await(t, alice, func(ev call.Incoming) bool { return ev.From == "mallory@localhost" })
		if err := alice.line.Answer(in.ID); err != nil {
			t.Fatal(err)
		}
		term := m.next(t, jingle.SessionTerminate)
		if term.Reason.Condition != jingle.SecurityError {
			t.Fatalf("terminate %+v, want security-error", term.Reason)
		}
		end := await(t, alice, func(ev call.Ended) bool { return ev.ID == in.ID })
		if !strings.Contains(end.Reason, "no encryption") {
			t.Errorf("ended with %q", end.Reason)
		}
	})
	t.Run("ICE never connects", func(t *testing.T) {
		j := initiate("noice", nil)
		j.Contents[0].Transport.Candidates = []jingle.Candidate{{Component: 1, Foundation: "1", IP: "127.0.0.1", Port: 9, Priority: 1, Protocol: "udp", Type: "host"}}
		if err := m.send(t, aliceJID, j); err != nil {
			t.Fatal(err)
		}
		in := await(t, alice, func(ev call.Incoming) bool { return ev.From == "mallory@localhost" && !ended(alice, ev.ID) })
		start := time.Now()
		if err := alice.line.Answer(in.ID); err != nil {
			t.Fatal(err)
		}
		m.next(t, jingle.SessionAccept)
		term := m.next(t, jingle.SessionTerminate)
		if term.Reason.Condition != jingle.FailedTransport {
			t.Fatalf("terminate %+v, want failed-transport", term.Reason)
		}
		end := await(t, alice, func(ev call.Ended) bool { return ev.ID == in.ID })
		if !strings.Contains(end.Reason, "ICE failed") {
			t.Errorf("ended with %q", end.Reason)
		}
		t.Logf("ICE gave up after %v", time.Since(start).Round(100*time.Millisecond))
	})
	t.Run("DTLS fingerprint mismatch", func(t *testing.T) {
		// Mallory signals one certificate and shows another on the media path.
		announced, _ := dtlssrtp.NewIdentity()
		shown, _ := dtlssrtp.NewIdentity()
		link, err := icelink.New(icelink.Config{Controlling: true, Loopback: true, OnCandidate: func(c icelink.Candidate) {
			out := &jingle.Jingle{Action: jingle.TransportInfo, SID: "mitm", Contents: []jingle.Content{{Creator: "initiator", Name: "audio",
				Transport: &jingle.Transport{Ufrag: "", Candidates: []jingle.Candidate{{Component: 1, Foundation: c.Foundation, IP: c.IP, Port: c.Port, Priority: c.Priority, Protocol: "udp", Type: c.Type}}}}}}
			b, _ := out.Marshal()
			go m.peer.C.SendIQPayload(context.Background(), aliceJID, "set", b)
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer link.Close()
		ufrag, pwd, _ := link.Credentials()
		j := initiate("mitm", func(c *jingle.Content) {
			c.Transport.Ufrag, c.Transport.Pwd = ufrag, pwd
			c.Transport.Fingerprint.Value = announced.Fingerprint
		})
		if err := m.send(t, aliceJID, j); err != nil {
			t.Fatal(err)
		}
		in := await(t, alice, func(ev call.Incoming) bool { return ev.From == "mallory@localhost" && !ended(alice, ev.ID) })
		if err := alice.line.Answer(in.ID); err != nil {
			t.Fatal(err)
		}
		acc := m.next(t, jingle.SessionAccept)
		am, err := jingle.ReadContent(acc.Contents[0])
		if err != nil || am.Fingerprint == nil || am.Fingerprint.Setup != jingle.SetupActive {
			t.Fatalf("answer %+v: %v", am, err)
		}
		if err := link.Gather(); err != nil {
			t.Fatal(err)
		}
		go func() {
			for j := range m.got {
				if j.Action == jingle.TransportInfo {
					for _, c := range j.Contents[0].Transport.Candidates {
						link.AddRemote(icelink.Candidate{Foundation: c.Foundation, Component: c.Component, Protocol: c.Protocol, Priority: c.Priority, IP: c.IP, Port: c.Port, Type: c.Type})
					}
				}
				if j.Action == jingle.SessionTerminate {
					m.got <- j
					return
				}
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		conn, err := link.Connect(ctx, am.Ufrag, am.Pwd)
		if err != nil {
			t.Fatal(err)
		}
		dtlssrtp.Handshake(ctx, conn.DTLS(), net.UDPAddrFromAddrPort(conn.Remote()), shown, false, "sha-256", am.Fingerprint.Value)
		fail := await(t, alice, func(ev call.SecurityFailed) bool { return ev.ID == in.ID })
		if !strings.Contains(fail.Reason, "does not match the fingerprint") {
			t.Errorf("security failure said %q", fail.Reason)
		}
		await(t, alice, func(ev call.Ended) bool { return ev.ID == in.ID })
		term := m.next(t, jingle.SessionTerminate)
		if term.Reason.Condition != jingle.SecurityError {
			t.Fatalf("terminate %+v, want security-error", term.Reason)
		}
	})
}

func ended(p *phone, id call.ID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range p.evs {
		if e, ok := ev.(call.Ended); ok && e.ID == id {
			return true
		}
	}
	return false
}
