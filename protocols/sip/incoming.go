package sip

import (
	"fmt"
	"github.com/padlock-phone/padlock/media/sdp"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/padlock-phone/padlock/call"
)

// findDialog returns the call an in-dialog request belongs to.
func (d *Driver) findDialog(req *sip.Request) *sipCall {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.calls {
		c.mu.Lock()
		ok := c.dlg.matches(req)
		c.mu.Unlock()
		if ok {
			return c
		}
	}
	return nil
}

func (a *ua) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && tagOf(to.Params) != "" {
		c := a.d.findDialog(req)
		if c == nil {
			if !a.mayStart(req) {
				return
			}
			respond(a.log, tx, sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
			return
		}
		c.onReinvite(req, tx)
		return
	}
	if !a.mayStart(req) {
		return // no response: nothing to reflect toward a spoofed source
	}
	if !a.trust.allowInvite(req.Source(), time.Now()) {
		a.limited.note(a.log, "incoming INVITEs over the rate limit dropped", req.Source())
		if a.trust.fromServer(req.Source()) {
			respond(a.log, tx, sip.NewResponseFromRequest(req, 486, "Busy Here", nil))
		}
		return
	}
	if req.From() == nil || req.Contact() == nil || req.CSeq() == nil || req.CallID() == nil {
		respond(a.log, tx, sip.NewResponseFromRequest(req, 400, "Missing Header", nil))
		return
	}
	// An INVITE without a body asks us to offer in the 200; the answer
	// then comes in the ACK (RFC 3261 13.2.1).
	offerless := len(req.Body()) == 0
	var remote sdp.Remote
	if !offerless {
		var err error
		remote, err = sdp.Parse(req.Body())
		if why := sdesRefusal(remote, req, a.acct); err == nil && why != "" {
			a.log.Info("incoming call refused: SDES offer", "from", person(req.From().Address), "reason", why)
			respond(a.log, tx, notAcceptable(req, why))
			return
		}
		if err != nil || len(remote.Formats) == 0 {
			// An SRTP-only offer, or no codec we share: RFC 3264 says 488.
			a.log.Info("incoming call refused: unusable offer", "from", person(req.From().Address), "err", err)
			respond(a.log, tx, sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
			return
		}
	}
	c, err := a.d.newCall(a, true)
	if err != nil {
		respond(a.log, tx, sip.NewResponseFromRequest(req, 503, "Service Unavailable", nil))
		return
	}
	if remote.SAVP {
		ours, why := takeSDES(c.media, remote)
		if why != "" {
			a.log.Info("incoming call refused: SDES offer", "from", person(req.From().Address), "reason", why)
			respond(a.log, tx, notAcceptable(req, why))
			c.media.Close()
			a.d.forget(c.id)
			return
		}
		c.sdes = &ours
	}
	// Our To tag must be the same on every response; put it on a copy of
	// the request so that every response built from it carries it.
	inv := req.Clone()
	localTag := a.d.token(10)
	inv.To().Params.Add("tag", localTag)
	c.mu.Lock()
	c.remote = remote
	c.remoteHold = remote.Hold()
	c.dlg = dialog{
		callID:       string(*req.CallID()),
		localURI:     req.To().Address,
		localTag:     localTag,
		remoteURI:    req.From().Address,
		remoteTag:    tagOf(req.From().Params),
		remoteTarget: req.Contact().Address,
		routeSet:     routes(req),
		remoteCSeq:   req.CSeq().SeqNo,
		localCSeq:    a.d.smallRandom(),
		transport:    req.Transport(),
	}
	c.mu.Unlock()

	if !tx.OnCancel(func(*sip.Request) {
		select {
		case c.decide <- decision{cancel: true}:
		default:
		}
	}) {
		c.end("the caller gave up before it rang")
		return
	}
	ringing := sip.NewResponseFromRequest(inv, 180, "Ringing", nil)
	ringing.AppendHeader(sip.HeaderClone(&a.contact))
	respond(a.log, tx, ringing)
	a.d.emit(call.Incoming{ID: c.id, From: person(req.From().Address), Account: a.acct.Name()})

	var dec decision
	select {
	case dec = <-c.decide:
	case <-tx.Done():
		dec = decision{cancel: true}
	case <-a.d.ctx.Done():
		respond(a.log, tx, sip.NewResponseFromRequest(inv, 503, "Service Unavailable", nil))
		c.end("the phone is shutting down")
		return
	}
	switch {
	case dec.cancel:
		c.end("missed call: " + person(req.From().Address) + " hung up before it was answered")
	case dec.forward != nil:
		moved := sip.NewResponseFromRequest(inv, 302, "Moved Temporarily", nil)
		moved.AppendHeader(&sip.ContactHeader{Address: *dec.forward})
		respond(a.log, tx, moved)
		c.end("forwarded to " + person(*dec.forward))
	case !dec.answer:
		code, text := 603, "Decline"
		if dec.reason == call.Busy {
			code, text = 486, "Busy Here"
		}
		respond(a.log, tx, sip.NewResponseFromRequest(inv, code, text, nil))
		c.end("rejected (" + dec.reason.String() + ")")
	default:
		c.answer(inv, tx, remote, offerless)
	}
}

// answer sends 200 with our SDP answer (or, for an offerless INVITE, our
// offer) and waits in the background for the ACK, retransmitting the 200
// over UDP as RFC 3261 13.3.1.4 asks.
func (c *sipCall) answer(inv *sip.Request, tx sip.ServerTransaction, remote sdp.Remote, offerless bool) {
	c.mu.Lock()
	if c.state != stDialing {
		// Hung up while answering: the INVITE still needs a final answer.
		c.mu.Unlock()
		respond(c.a.log, tx, sip.NewResponseFromRequest(inv, 603, "Decline", nil))
		return
	}
	var body []byte
	var err error
	dir := sdp.SendRecv
	if offerless {
		body, err = c.localSDP(dir, nil)
	} else {
		dir = answerDirection(remote.Direction, c.localHold)
		body, err = c.localSDP(dir, &remote)
	}
	if err != nil {
		c.mu.Unlock()
		respond(c.a.log, tx, sip.NewResponseFromRequest(inv, 488, "Not Acceptable Here", nil))
		c.end("could not answer: " + err.Error())
		return
	}
	c.state = stAnswered
	c.format, _ = sdp.Choose(remote.Formats, offerFormats())
	ack := make(chan *sip.Request, 1)
	cseq := inv.CSeq().SeqNo
	c.ackWait[cseq] = ack
	c.mu.Unlock()

	ok := sip.NewResponseFromRequest(inv, 200, "OK", body)
	ok.AppendHeader(sip.HeaderClone(&c.a.contact))
	ok.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY"))
	ct := sip.ContentTypeHeader("application/sdp")
	ok.AppendHeader(&ct)
	respond(c.a.log, tx, ok)
	if !offerless {
		if err := c.media.Start(remote, c.format, dir); err != nil {
			c.a.log.Warn("media did not start", "call", c.id, "err", err)
		}
	}
	c.d.wg.Add(1)
	go func() {
		defer c.d.wg.Done()
		got := c.awaitAck(tx, ok, ack, cseq)
		if got == nil {
			c.bye()
			c.end("the caller's phone never confirmed the answer (no ACK)")
			return
		}
		if offerless {
			remote, err := sdp.Parse(got.Body())
			f, shared := sdp.Choose(remote.Formats, offerFormats())
			if err != nil || !shared || remote.SAVP {
				c.bye()
				c.end("the caller answered our offer without usable audio")
				return
			}
			c.mu.Lock()
			c.remote, c.format, c.remoteHold = remote, f, remote.Hold()
			c.mu.Unlock()
			if err := c.media.Start(remote, f, remote.Direction.Reverse()); err != nil {
				c.a.log.Warn("media did not start", "call", c.id, "err", err)
			}
		}
		c.mu.Lock()
		if c.state == stAnswered {
			c.state = stUp
		}
		c.mu.Unlock()
		c.d.emit(call.Answered{ID: c.id})
	}()
}

// awaitAck retransmits our 2xx until its ACK arrives (T1 doubling to T2,
// for 64*T1) and returns the ACK, or nil when none came.
func (c *sipCall) awaitAck(tx sip.ServerTransaction, res *sip.Response, ack chan *sip.Request, cseq uint32) *sip.Request {
	defer func() {
		c.mu.Lock()
		delete(c.ackWait, cseq)
		c.mu.Unlock()
	}()
	reliable := sip.IsReliable(res.Transport())
	interval := sip.T1
	giveUp := time.NewTimer(64 * sip.T1)
	defer giveUp.Stop()
	resend := time.NewTimer(interval)
	defer resend.Stop()
	for {
		select {
		case a := <-ack:
			return a
		case <-giveUp.C:
			return nil
		case <-c.d.ctx.Done():
			return nil
		case <-resend.C:
			if !reliable {
				if err := tx.Respond(res); err != nil {
					c.a.log.Debug("2xx retransmission failed", "call", c.id, "err", err)
				}
			}
			interval = min(2*interval, sip.T2)
			resend.Reset(interval)
		}
	}
}

func (a *ua) onAck(req *sip.Request, tx sip.ServerTransaction) {
	c := a.d.findDialog(req)
	if c == nil || req.CSeq() == nil {
		return
	}
	c.mu.Lock()
	ch := c.ackWait[req.CSeq().SeqNo]
	c.mu.Unlock()
	if ch != nil {
		select {
		case ch <- req:
		default:
		}
	}
}

func (a *ua) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := a.d.findDialog(req)
	if c == nil {
		if !a.mayStart(req) {
			return
		}
		respond(a.log, tx, sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	respond(a.log, tx, sip.NewResponseFromRequest(req, 200, "OK", nil))
	c.end("the other side hung up")
}

// onStrayCancel answers a CANCEL that matched no pending INVITE.
func (a *ua) onStrayCancel(req *sip.Request, tx sip.ServerTransaction) {
	if !a.mayStart(req) {
		return
	}
	respond(a.log, tx, sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
}

// onReinvite answers the other side's re-INVITE: hold, resume or a new
// address. sipgo has no helper for this, so the dialog is matched here.
func (c *sipCall) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c.mu.Lock()
	switch {
	case c.state != stUp:
		c.mu.Unlock()
		respond(c.a.log, tx, sip.NewResponseFromRequest(req, 491, "Request Pending", nil))
		return
	case c.reinviting:
		c.mu.Unlock()
		respond(c.a.log, tx, sip.NewResponseFromRequest(req, 491, "Request Pending", nil))
		return
	case req.CSeq().SeqNo <= c.dlg.remoteCSeq:
		c.mu.Unlock()
		respond(c.a.log, tx, sip.NewResponseFromRequest(req, 500, "CSeq Out of Order", nil))
		return
	}
	c.dlg.remoteCSeq = req.CSeq().SeqNo
	remote, err := sdp.Parse(req.Body())
	why := sdesRefusal(remote, req, c.a.acct)
	if err == nil && why == "" && remote.SAVP != (c.sdes != nil) {
		// The keys are set once, at the start (a changed key mid-call
		// would need new SRTP contexts): keep the call as it began.
		why = "a re-INVITE cannot switch a call to or from SDES"
	}
	if err == nil && why != "" {
		c.mu.Unlock()
		respond(c.a.log, tx, notAcceptable(req, why))
		return
	}
	if err != nil || len(remote.Formats) == 0 {
		c.mu.Unlock()
		respond(c.a.log, tx, sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	if ct := req.Contact(); ct != nil {
		c.dlg.remoteTarget = ct.Address
	}
	dir := answerDirection(remote.Direction, c.localHold)
	body, err := c.localSDP(dir, &remote)
	if err != nil {
		c.mu.Unlock()
		respond(c.a.log, tx, sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	wasHeld := c.remoteHold
	c.remoteHold = remote.Hold()
	c.remote = remote
	c.format, _ = sdp.Choose(remote.Formats, offerFormats())
	f := c.format
	ack := make(chan *sip.Request, 1)
	cseq := req.CSeq().SeqNo
	c.ackWait[cseq] = ack
	c.mu.Unlock()

	ok := sip.NewResponseFromRequest(req, 200, "OK", body)
	ok.AppendHeader(sip.HeaderClone(&c.a.contact))
	ct := sip.ContentTypeHeader("application/sdp")
	ok.AppendHeader(&ct)
	respond(c.a.log, tx, ok)
	if err := c.media.Start(remote, f, dir); err != nil {
		c.a.log.Warn("media did not restart", "call", c.id, "err", err)
	}
	if wasHeld != remote.Hold() {
		c.d.emit(call.Held{ID: c.id, On: remote.Hold()})
	}
	if c.awaitAck(tx, ok, ack, cseq) == nil {
		c.a.log.Warn("no ACK for our answer to a re-INVITE", "call", c.id, "cseq", fmt.Sprint(cseq))
	}
}
