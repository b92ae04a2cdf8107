package jingleline

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/media/dtlssrtp"
	"github.com/padlock-phone/padlock/media/icelink"
	"github.com/padlock-phone/padlock/media/sdp"
	"github.com/padlock-phone/padlock/protocols/jingle"
)

// security is how a call's media is keyed.
type security int

const (
	secNone security = iota
	secZRTP
	secDTLS
)

// callState is where a call is, as this line sees it.
type callState int

const (
	stDiscovering callState = iota // outgoing: asking the contact's devices
	stProposed                     // XEP-0353 propose sent or received
	stProceeded                    // incoming JMI answered: waiting for the session-initiate
	stPending                      // session-initiate sent or received
	stActive                       // accepted
	stEnded
)

// dtlsTimeout bounds the DTLS handshake once ICE has a path.
const dtlsTimeout = 10 * time.Second

// jcall is one call; owned by the loop.
type jcall struct {
	d        *Driver
	id       call.ID
	acct     *account
	bare     string // the contact's bare JID
	peer     string // the device's full JID, once known
	sid      string
	outgoing bool
	state    callState
	jmi      bool // rung with XEP-0353

	media    MediaSession
	link     *icelink.Link
	conn     *icelink.Conn
	identity dtlssrtp.Identity
	security security
	held     bool

	offer, answerMedia jingle.Media // what the initiator and the responder said
	localCands         []jingle.Candidate
	trickle            bool // local candidates go out as they come
	cancel             context.CancelFunc
}

// dial starts an outgoing call: find the contact's devices, then ring
// them; on loop.
func (c *jcall) dial() {
	var res []string
	for r := range c.acct.resources[c.bare] {
		res = append(res, r)
	}
	ctx, cancel := context.WithTimeout(c.acct.ctx, replyWait)
	c.cancel = cancel
	go func() {
		defer cancel()
		devs := c.acct.discover(ctx, c.bare, res)
		c.d.post(func() { c.discovered(devs) })
	}()
}

func (c *jcall) discovered(devs []device) {
	if c.state != stDiscovering {
		return
	}
	var audio []device
	jmi := false
	for _, d := range devs {
		if d.audio {
			audio = append(audio, d)
			jmi = jmi || d.jmi
		}
	}
	switch {
	case len(audio) == 0:
		c.finish(c.bare + " has no device online that takes voice calls")
	case jmi:
		// Ring every device: a propose to the bare JID (XEP-0353 §3).
		sid, err := c.acct.eng.NewSID()
		if err != nil {
			c.finish(err.Error())
			return
		}
		c.sid, c.jmi, c.state = sid, true, stProposed
		c.d.log.Info("ringing every device with XEP-0353", "call", c.id, "to", c.bare)
		c.acct.sendJMI(c.bare, jingle.Message{Kind: jingle.Propose, ID: sid, Media: []string{"audio"}})
	default:
		c.d.log.Info("calling one device with session-initiate", "call", c.id, "to", audio[0].jid)
		c.initiate(audio[0].jid, "")
	}
}

// newMedia makes the call's media session, ICE agent and DTLS identity.
func (c *jcall) newMedia(controlling bool) error {
	m, err := c.d.cfg.Media.NewICESession(c.id)
	if err != nil {
		return err
	}
	id, err := dtlssrtp.NewIdentity()
	if err != nil {
		m.Close()
		return err
	}
	link, err := icelink.New(icelink.Config{
		Controlling: controlling, STUN: c.d.cfg.STUN, Loopback: c.d.cfg.Loopback, Log: c.d.log,
		OnCandidate: func(ic icelink.Candidate) { c.d.post(func() { c.localCandidate(ic) }) },
	})
	if err != nil {
		m.Close()
		return err
	}
	c.media, c.identity, c.link = m, id, link
	return nil
}

func (c *jcall) zrtpHash() string {
	for _, a := range c.media.Attributes() {
		if h, ok := strings.CutPrefix(a, "zrtp-hash:"); ok {
			return h
		}
	}
	return ""
}

// localMedia is what this phone says, with the security choice made.
func (c *jcall) localMedia(zrtp bool, setup jingle.Setup) (jingle.Media, error) {
	ufrag, pwd, err := c.link.Credentials()
	if err != nil {
		return jingle.Media{}, err
	}
	m := jingle.Media{Formats: c.d.cfg.Formats, EventPT: sdp.TelephoneEventPT, RTCPMux: true, Ufrag: ufrag, Pwd: pwd}
	if zrtp {
		m.ZRTPHash = c.zrtpHash()
	}
	if setup != "" {
		m.Fingerprint = &jingle.Fingerprint{Hash: dtlssrtp.HashName, Setup: setup, Value: c.identity.Fingerprint}
	}
	return m, nil
}

// initiate sends the session-initiate to one device.
func (c *jcall) initiate(peer, sid string) {
	if err := c.newMedia(true); err != nil {
		c.finish("the call's media could not be set up: " + err.Error())
		return
	}
	m, err := c.localMedia(true, jingle.SetupActpass) // offer both; the answer picks
	if err != nil {
		c.finish(err.Error())
		return
	}
	s, out, err := c.acct.eng.Initiate(peer, sid, m)
	if err != nil {
		c.finish(err.Error())
		return
	}
	c.peer, c.sid, c.state, c.offer = peer, s.SID, stPending, m
	c.acct.send(out, func(err error) { c.refused(err) })
	c.trickle = true // after the initiate, in queue order
	for _, lc := range c.localCands {
		c.sendCandidate(lc)
	}
	c.localCands = nil
	if err := c.link.Gather(); err != nil {
		c.end("ICE could not gather candidates: "+err.Error(), jingle.Reason{Condition: jingle.FailedTransport})
	}
}

// refused: the peer answered our session-initiate with an IQ error.
func (c *jcall) refused(err error) {
	if c.state != stPending {
		return
	}
	c.acct.eng.Forget(c.sid)
	c.finish(fmt.Sprintf("%s refused the call: %v", c.peer, err))
}

func (c *jcall) localCandidate(ic icelink.Candidate) {
	if c.state == stEnded {
		return
	}
	jc := jingle.Candidate{
		Component: ic.Component, Foundation: ic.Foundation, Generation: 0, ID: fmt.Sprintf("c%d", len(ic.Foundation)+ic.Port),
		IP: ic.IP, Network: 0, Port: ic.Port, Priority: ic.Priority, Protocol: ic.Protocol, Type: ic.Type,
		RelAddr: ic.RelAddr, RelPort: ic.RelPort,
	}
	if !c.trickle {
		c.localCands = append(c.localCands, jc)
		return
	}
	c.sendCandidate(jc)
}

func (c *jcall) sendCandidate(jc jingle.Candidate) {
	out, err := c.acct.eng.Trickle(c.sid, []jingle.Candidate{jc})
	if err == nil {
		c.acct.send(out, nil)
	}
}

func (c *jcall) addRemote(cands []jingle.Candidate) {
	if c.link == nil {
		return
	}
	for _, rc := range cands {
		err := c.link.AddRemote(icelink.Candidate{
			Foundation: rc.Foundation, Component: rc.Component, Protocol: strings.ToLower(rc.Protocol), Priority: rc.Priority,
			IP: rc.IP, Port: rc.Port, Type: rc.Type, RelAddr: rc.RelAddr, RelPort: rc.RelPort,
		})
		if err != nil && !errors.Is(err, icelink.ErrUnusable) {
			c.d.log.Debug("remote candidate refused", "err", err)
		}
	}
}

// onEngineEvent acts on what a peer's stanza did; on loop.
func (d *Driver) onEngineEvent(a *account, ev jingle.Event) {
	switch ev := ev.(type) {
	case jingle.Incoming:
		d.incoming(a, ev)
		return
	}
	c := d.callBySID(a, sidOf(ev))
	if c == nil {
		return
	}
	switch ev := ev.(type) {
	case jingle.Accepted:
		c.accepted(ev.Answer)
	case jingle.Terminated:
		if ev.ByPeer {
			c.finish(reasonText(ev.Reason, c.outgoing && c.state != stActive))
		} else {
			c.finish("the call was refused: " + reasonText(ev.Reason, false))
		}
	case jingle.Info:
		switch ev.Kind {
		case jingle.InfoRinging:
			d.emit(call.Ringing{ID: c.id})
		case jingle.InfoHold, jingle.InfoUnhold:
			on := ev.Kind == jingle.InfoHold
			if c.media != nil {
				c.media.SetHold(on || c.held)
			}
			d.emit(call.Held{ID: c.id, On: on})
		}
	case jingle.RemoteCandidates:
		c.addRemote(ev.Candidates)
	}
}

func sidOf(ev jingle.Event) string {
	switch ev := ev.(type) {
	case jingle.Accepted:
		return ev.SID
	case jingle.Terminated:
		return ev.SID
	case jingle.Info:
		return ev.SID
	case jingle.RemoteCandidates:
		return ev.SID
	}
	return ""
}

func (d *Driver) callBySID(a *account, sid string) *jcall {
	for _, c := range d.calls {
		if c.acct == a && c.sid == sid && c.state != stEnded {
			return c
		}
	}
	return nil
}

// incoming: a session-initiate the engine took.
func (d *Driver) incoming(a *account, in jingle.Incoming) {
	bare, _, _ := strings.Cut(in.From, "/")
	// A session for a call answered through XEP-0353 goes straight on.
	if c := d.callBySID(a, in.SID); c != nil && c.state == stProceeded && c.peer == in.From {
		c.offer, c.state = in.Offer, stPending
		if err := c.newMedia(false); err != nil {
			c.end("the call's media could not be set up: "+err.Error(), jingle.Reason{Condition: jingle.FailedApplication})
			return
		}
		c.gather()
		if err := c.accept(); err != nil {
			c.end(err.Error(), jingle.Reason{Condition: jingle.FailedApplication})
		}
		return
	}
	for _, c := range d.calls {
		if c.state != stEnded {
			// One call at a time, as the brain has it; the brain would
			// reject too, but this keeps the media unmade.
			out, err := a.eng.Terminate(in.SID, jingle.Reason{Condition: jingle.Busy})
			if err == nil {
				a.send(out, nil)
			}
			return
		}
	}
	c := &jcall{d: d, id: d.newID(), acct: a, bare: bare, peer: in.From, sid: in.SID, state: stPending, offer: in.Offer}
	d.calls[c.id] = c
	if err := c.newMedia(false); err != nil {
		c.end("the call's media could not be set up: "+err.Error(), jingle.Reason{Condition: jingle.FailedApplication})
		return
	}
	c.gather()
	d.emit(call.Incoming{ID: c.id, From: bare, Account: a.name})
	if out, err := a.eng.SendInfo(in.SID, jingle.InfoRinging); err == nil {
		a.send(out, nil)
	}
}

// gather starts ICE gathering for an incoming call; candidates wait for
// the session-accept (StanzaJS's callee does the same).
func (c *jcall) gather() {
	if err := c.link.Gather(); err != nil {
		c.end("ICE could not gather candidates: "+err.Error(), jingle.Reason{Condition: jingle.FailedTransport})
	}
}

// answer: the person took the call.
func (c *jcall) answer() error {
	switch c.state {
	case stProposed:
		if c.outgoing {
			return errors.New("jingle: the call is ours, not ringing here")
		}
		// XEP-0353: proceed to the caller, accept to our other devices.
		c.state = stProceeded
		c.acct.sendJMI(c.peer, jingle.Message{Kind: jingle.Proceed, ID: c.sid})
		c.acct.sendJMI(c.acct.name, jingle.Message{Kind: jingle.Accept, ID: c.sid})
		return nil
	case stPending:
		if c.outgoing {
			return errors.New("jingle: the call is ours, not ringing here")
		}
		return c.accept()
	}
	return fmt.Errorf("jingle: call %s cannot be answered now", c.id)
}

// accept sends the session-accept with the security chosen from the offer.
func (c *jcall) accept() error {
	o := c.offer
	// ZRTP only when both ends have it: media without a zrtp-hash of its
	// own answers a ZRTP-and-DTLS offer with DTLS-SRTP, not with nothing.
	zrtp := o.ZRTPHash != "" && c.zrtpHash() != ""
	var setup jingle.Setup
	switch {
	case zrtp:
		c.security = secZRTP
	case o.Fingerprint != nil:
		c.security = secDTLS
		setup = jingle.SetupActive // actpass or passive offered: we are the DTLS client
		if o.Fingerprint.Setup == jingle.SetupActive {
			setup = jingle.SetupPassive
		}
	case c.d.cfg.RequireEncryption():
		c.end("the caller offered no encryption (neither ZRTP nor DTLS-SRTP) and encrypted calls are required",
			jingle.Reason{Condition: jingle.SecurityError, Text: "encryption required"})
		return nil
	}
	m, err := c.localMedia(zrtp, setup)
	if err != nil {
		return err
	}
	if _, ok := sdp.Choose(o.Formats, c.d.cfg.Formats); !ok {
		c.end("no common audio codec", jingle.Reason{Condition: jingle.FailedApplication})
		return nil
	}
	out, err := c.acct.eng.Accept(c.sid, m)
	if err != nil {
		return err
	}
	c.answerMedia, c.state = m, stActive
	c.acct.send(out, func(err error) {
		c.end("the caller refused our answer: "+err.Error(), jingle.Reason{Condition: jingle.GeneralError})
	})
	c.trickle = true
	for _, lc := range c.localCands {
		c.sendCandidate(lc)
	}
	c.localCands = nil
	c.d.emit(call.Answered{ID: c.id})
	c.connect(o.Ufrag, o.Pwd)
	return nil
}

// accepted: the peer took our session-initiate.
func (c *jcall) accepted(ans jingle.Media) {
	if c.state != stPending {
		return
	}
	c.answerMedia, c.state = ans, stActive
	switch {
	case ans.ZRTPHash != "":
		c.security = secZRTP
	case ans.Fingerprint != nil:
		c.security = secDTLS
	case c.d.cfg.RequireEncryption():
		c.end("the other side answered without encryption (neither ZRTP nor DTLS-SRTP) and encrypted calls are required",
			jingle.Reason{Condition: jingle.SecurityError, Text: "encryption required"})
		return
	}
	c.d.emit(call.Answered{ID: c.id})
	c.connect(ans.Ufrag, ans.Pwd)
}

// connect runs ICE, then DTLS if chosen, then starts the media; the waits
// happen off the loop.
func (c *jcall) connect(ufrag, pwd string) {
	ctx, cancel := context.WithTimeout(context.Background(), c.d.cfg.ICETimeout)
	c.cancel = cancel
	link := c.link
	sec := c.security
	client := false
	var peerFP *jingle.Fingerprint
	if c.outgoing {
		peerFP = c.answerMedia.Fingerprint
		client = peerFP != nil && peerFP.Setup == jingle.SetupPassive
	} else {
		peerFP = c.offer.Fingerprint
		client = c.answerMedia.Fingerprint != nil && c.answerMedia.Fingerprint.Setup == jingle.SetupActive
	}
	id := c.identity
	go func() {
		defer cancel()
		conn, err := link.Connect(ctx, ufrag, pwd)
		if err != nil {
			c.d.post(func() {
				c.end("the call could not connect: "+icelink.ErrICEFailed.Error(), jingle.Reason{Condition: jingle.FailedTransport, Text: "ICE failed"})
			})
			return
		}
		var res dtlssrtp.Result
		if sec == secDTLS {
			// Its own bound: a path found late still gets a full handshake.
			hctx, hcancel := context.WithTimeout(context.Background(), dtlsTimeout)
			res, err = dtlssrtp.Handshake(hctx, conn.DTLS(), net.UDPAddrFromAddrPort(conn.Remote()), id, client, peerFP.Hash, peerFP.Value)
			hcancel()
		}
		c.d.post(func() { c.connected(conn, res, err) })
	}()
}

func (c *jcall) connected(conn *icelink.Conn, res dtlssrtp.Result, err error) {
	if c.state != stActive {
		conn.Close()
		return
	}
	c.conn = conn
	if err != nil {
		reason := "DTLS handshake failed: " + err.Error()
		if errors.Is(err, dtlssrtp.ErrFingerprint) {
			reason = dtlssrtp.ErrFingerprint.Error()
		}
		c.d.emit(call.SecurityFailed{ID: c.id, Reason: reason})
		c.end(reason, jingle.Reason{Condition: jingle.SecurityError, Text: "DTLS failed"})
		return
	}
	var remote sdp.Remote
	if c.outgoing {
		remote = c.answerMedia.Remote(false)
	} else {
		remote = c.offer.Remote(true)
	}
	remote.Addr = conn.Remote()
	offered := c.offer.Formats
	if c.outgoing {
		offered = c.answerMedia.Formats // the answer's order among what we offered
	}
	f, ok := sdp.Choose(offered, c.d.cfg.Formats)
	if !ok {
		c.end("no common audio codec", jingle.Reason{Condition: jingle.FailedApplication})
		return
	}
	dir := sdp.SendRecv
	if c.held {
		dir = sdp.SendOnly
	}
	switch c.security {
	case secDTLS:
		err = c.media.StartDTLS(conn, remote, f, dir, res.Keys, c.identity.Fingerprint, res.PeerFingerprint)
	default:
		err = c.media.StartOn(conn, remote, f, dir)
	}
	if err != nil {
		c.end("the call's media did not start: "+err.Error(), jingle.Reason{Condition: jingle.MediaError})
	}
}

// reject refuses a ringing call.
func (c *jcall) reject(cond jingle.Condition) {
	if c.state == stProposed && !c.outgoing {
		c.acct.sendJMI(c.peer, jingle.Message{Kind: jingle.Reject, ID: c.sid})
		c.acct.sendJMI(c.acct.name, jingle.Message{Kind: jingle.Reject, ID: c.sid})
		c.finish("declined")
		return
	}
	c.end("declined", jingle.Reason{Condition: cond})
}

// hangup ends the call from this side.
func (c *jcall) hangup() {
	switch {
	case c.state == stProposed && c.outgoing:
		c.acct.sendJMI(c.bare, jingle.Message{Kind: jingle.Retract, ID: c.sid})
		c.finish("hung up")
	case c.state == stProposed || c.state == stProceeded:
		c.reject(jingle.Decline)
	case c.state == stPending && c.outgoing:
		c.end("hung up", jingle.Reason{Condition: jingle.Cancel})
	case c.state == stPending:
		c.end("declined", jingle.Reason{Condition: jingle.Decline})
	default:
		c.end("hung up", jingle.Reason{Condition: jingle.Success})
	}
}

func (c *jcall) hold(on bool) error {
	if c.state != stActive {
		return errors.New("jingle: only a connected call can be held")
	}
	k := jingle.InfoUnhold
	if on {
		k = jingle.InfoHold
	}
	out, err := c.acct.eng.SendInfo(c.sid, k)
	if err != nil {
		return err
	}
	c.held = on
	c.acct.send(out, nil)
	if c.media != nil {
		c.media.SetHold(on)
	}
	return nil
}

// end terminates the session (if there is one) and finishes the call.
func (c *jcall) end(why string, r jingle.Reason) {
	if c.state == stEnded {
		return
	}
	if r.Text == "" && r.Condition != jingle.Success {
		r.Text = why
	}
	if out, err := c.acct.eng.Terminate(c.sid, r); err == nil {
		c.acct.send(out, nil)
	}
	c.finish(why)
}

// finish frees the call and tells the brain; on loop.
func (c *jcall) finish(why string) {
	if c.state == stEnded {
		return
	}
	c.state = stEnded
	c.acct.eng.Forget(c.sid)
	c.release()
	delete(c.d.calls, c.id)
	c.d.emit(call.Ended{ID: c.id, Reason: why})
}

func (c *jcall) release() {
	if c.cancel != nil {
		c.cancel()
	}
	if c.media != nil {
		c.media.Close() // closes the stream, which closes conn
	}
	if c.conn != nil {
		c.conn.Close()
	}
	if c.link != nil {
		c.link.Close()
	}
}

// reasonText is a session-terminate's reason in the words the brain
// speaks and history keeps.
func reasonText(r jingle.Reason, unanswered bool) string {
	var s string
	switch r.Condition {
	case jingle.Success:
		s = "hung up"
	case jingle.Decline:
		s = "declined"
	case jingle.Busy:
		s = "busy"
	case jingle.Cancel:
		s = "the caller gave up"
	case jingle.Gone:
		s = "the other side is gone"
	case jingle.Timeout, jingle.Expired:
		s = "no answer"
	case jingle.SecurityError:
		s = "the other side ended the call for a security reason"
	default:
		s = "the other side ended the call (" + string(r.Condition) + ")"
	}
	if r.Text != "" && r.Condition != jingle.Success {
		s += ": " + r.Text
	}
	return s
}

// onJMI handles an XEP-0353 element; on loop.
func (d *Driver) onJMI(a *account, from string, m jingle.Message) {
	bare, _, _ := strings.Cut(from, "/")
	self, _ := a.c.JID()
	fromOwn := bare == a.name
	switch m.Kind {
	case jingle.Propose:
		if fromOwn || !m.Audio() {
			return
		}
		for _, c := range d.calls {
			if c.state != stEnded {
				a.sendJMI(from, jingle.Message{Kind: jingle.Reject, ID: m.ID})
				return
			}
		}
		c := &jcall{d: d, id: d.newID(), acct: a, bare: bare, peer: from, sid: m.ID, state: stProposed, jmi: true}
		d.calls[c.id] = c
		d.emit(call.Incoming{ID: c.id, From: bare, Account: a.name})
		a.sendJMI(from, jingle.Message{Kind: jingle.Ringing, ID: m.ID})
		return
	}
	c := d.callBySID(a, m.ID)
	if c == nil {
		return
	}
	switch m.Kind {
	case jingle.Ringing:
		if c.outgoing && bare == c.bare {
			d.emit(call.Ringing{ID: c.id})
		}
	case jingle.Retract:
		if !c.outgoing && from == c.peer {
			c.finish("the caller gave up")
		}
	case jingle.Proceed:
		if c.outgoing && c.state == stProposed && bare == c.bare {
			c.initiate(from, c.sid)
		}
	case jingle.Reject:
		if c.outgoing && bare == c.bare && c.state == stProposed {
			c.finish("declined")
		} else if !c.outgoing && fromOwn && from != self && c.state == stProposed {
			c.finish("declined on another device")
		}
	case jingle.Accept:
		if !c.outgoing && fromOwn && from != self && c.state == stProposed {
			c.finish("answered on another device")
		}
	}
}
