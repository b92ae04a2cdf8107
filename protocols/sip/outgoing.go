package sip

import (
	"context"
	"errors"
	"fmt"
	"github.com/padlock-phone/padlock/media/sdp"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/padlock-phone/padlock/call"
)

func (c *sipCall) runOutgoing(uri sip.Uri, offer []byte) {
	a := c.a
	callID := c.d.token(16) + "@padlock"
	req := a.outOfDialog(sip.INVITE, uri, uri, callID, 1)
	req.AppendHeader(sip.HeaderClone(&a.contact))
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY"))
	ct := sip.ContentTypeHeader("application/sdp")
	req.AppendHeader(&ct)
	req.SetBody(offer)

	c.mu.Lock()
	c.invite = req
	c.dlg = dialog{callID: callID, localURI: a.aor, localTag: tagOf(req.From().Params), remoteURI: uri, remoteTarget: uri, localCSeq: 1, transport: req.Transport()}
	c.mu.Unlock()

	tx, err := a.client.TransactionRequest(c.d.ctx, req, a.send)
	if err != nil {
		c.end(fmt.Sprintf("could not send the call to %s: %v", a.acct.Proxy, err))
		return
	}
	authTried, ringing := false, false
	for {
		var res *sip.Response
		select {
		case res = <-tx.Responses():
		case <-tx.Done():
			select {
			case res = <-tx.Responses():
			default:
			}
			if res == nil {
				c.end(c.timeoutReason(tx.Err()))
				return
			}
		case <-c.d.ctx.Done():
			tx.Terminate()
			return
		}
		switch {
		case res.StatusCode == 100:
			c.gotProvisional()
		case res.IsProvisional():
			c.gotProvisional()
			if !ringing && (res.StatusCode == 180 || res.StatusCode == 183) {
				ringing = true
				c.d.emit(call.Ringing{ID: c.id})
			}
		case res.IsSuccess():
			c.established(tx, req, res)
			return
		case res.StatusCode == 488 && c.sdesOffer != nil:
			// The other phone takes no SRTP keyed by SDES: offer again
			// without (ZRTP or clear, as the settings allow).
			c.mu.Lock()
			c.sdesOffer = nil
			hung := c.hungUp
			plain, err := c.localSDP(sdp.SendRecv, nil)
			c.provisional = false
			c.mu.Unlock()
			if hung {
				return
			}
			if err != nil {
				c.end("could not offer again without SDES: " + err.Error())
				return
			}
			tx.Terminate()
			req.SetBody(plain)
			req.CSeq().SeqNo++
			req.RemoveHeader("Via")
			if tx, err = a.client.TransactionRequest(c.d.ctx, req, a.send); err != nil {
				c.end(fmt.Sprintf("could not send the call to %s again: %v", a.acct.Proxy, err))
				return
			}
			authTried = false
			c.mu.Lock()
			c.dlg.localCSeq = req.CSeq().SeqNo
			c.mu.Unlock()
		case (res.StatusCode == 401 || res.StatusCode == 407) && !authTried:
			authTried = true
			c.mu.Lock()
			hung := c.hungUp
			c.mu.Unlock()
			if hung {
				return
			}
			tx.Terminate()
			// The retry changes req (CSeq, Via, credentials): keep cancel()
			// off it until the new transaction has its first 1xx.
			c.mu.Lock()
			c.provisional = false
			c.mu.Unlock()
			tx, err = a.client.TransactionDigestAuth(c.d.ctx, req, res, sipgo.DigestAuth{Username: a.acct.AuthUser, Password: a.acct.Password})
			if err != nil {
				c.end(fmt.Sprintf("could not answer the proxy's password challenge: %v", err))
				return
			}
			c.mu.Lock()
			c.dlg.localCSeq = req.CSeq().SeqNo
			c.mu.Unlock()
		default:
			c.end(failureReason(res, person(uri), authTried))
			return
		}
	}
}

func (c *sipCall) timeoutReason(err error) string {
	if errors.Is(err, sip.ErrTransactionTimeout) {
		return "no answer from the network (the proxy did not respond)"
	}
	if err == nil {
		return "the call attempt ended without an answer"
	}
	return "the call attempt failed: " + err.Error()
}

func (c *sipCall) gotProvisional() {
	c.mu.Lock()
	c.provisional = true
	send := c.hungUp && !c.cancelSent
	c.mu.Unlock()
	if send {
		c.cancel()
	}
}

// cancel sends CANCEL for our INVITE once a provisional response allows
// it (RFC 3261 section 9.1); before that it only records the wish.
func (c *sipCall) cancel() {
	c.mu.Lock()
	inv := c.invite
	if !c.provisional || c.cancelSent || inv == nil {
		c.mu.Unlock()
		return
	}
	c.cancelSent = true
	c.mu.Unlock()
	req := sip.NewRequest(sip.CANCEL, *inv.Recipient.Clone())
	req.AppendHeader(sip.HeaderClone(inv.Via()))
	req.AppendHeader(sip.HeaderClone(inv.From()))
	req.AppendHeader(sip.HeaderClone(inv.To()))
	req.AppendHeader(sip.HeaderClone(inv.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	sip.CopyHeaders("Route", inv, req)
	req.SetTransport(inv.Transport())
	req.SetDestination(inv.Destination())
	req.SetBody(nil)
	c.d.wg.Add(1)
	go func() {
		defer c.d.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
		defer cancel()
		if _, err := c.a.client.Do(ctx, req, c.a.keepVia); err != nil {
			c.a.log.Debug("CANCEL got no answer", "call", c.id, "err", err)
		}
	}()
}

// keepVia sends a request with the Via it was built with (CANCEL must
// carry its INVITE's).
func (a *ua) keepVia(_ *sipgo.Client, r *sip.Request) error {
	if a.laddr.IP != nil {
		a.laddr.Copy(&r.Laddr)
	}
	return nil
}

// established handles the 2xx to our INVITE: dialog, ACK, media, Answered.
func (c *sipCall) established(tx sip.ClientTransaction, req *sip.Request, res *sip.Response) {
	c.mu.Lock()
	c.dlg.remoteTag = tagOf(res.To().Params)
	if ct := res.Contact(); ct != nil {
		c.dlg.remoteTarget = ct.Address
	}
	c.dlg.routeSet = reversed(routes(res))
	ack := c.dlg.request(sip.ACK, &c.a.contact, req.CSeq().SeqNo)
	ack.SetBody(nil)
	hung := c.hungUp
	c.mu.Unlock()

	c.sendAck(ack)
	tx.OnRetransmission(func(r *sip.Response) {
		if r.IsSuccess() {
			c.sendAck(ack.Clone())
		}
	})
	if hung {
		// Hung up while the other side was answering: confirm, then BYE.
		c.mu.Lock()
		c.state = stUp
		c.mu.Unlock()
		c.bye()
		return
	}
	remote, err := sdp.Parse(res.Body())
	if err == nil {
		err = c.keyFromAnswer(remote)
	}
	if err != nil || len(remote.Formats) == 0 {
		reason := "the other phone answered without usable audio"
		if err != nil {
			reason += ": " + err.Error()
		}
		c.mu.Lock()
		c.state = stUp
		c.mu.Unlock()
		c.bye()
		c.end(reason)
		return
	}
	c.mu.Lock()
	c.state = stUp
	c.remote = remote
	c.format = remote.Formats[0]
	c.remoteHold = remote.Hold()
	c.mu.Unlock()
	if err := c.media.Start(remote, remote.Formats[0], sdp.SendRecv); err != nil {
		c.a.log.Warn("media did not start", "call", c.id, "err", err)
	}
	c.d.emit(call.Answered{ID: c.id})
}

func (c *sipCall) sendAck(ack *sip.Request) {
	ack.RemoveHeader("Via")
	if err := c.a.client.WriteRequest(ack, c.a.send); err != nil {
		c.a.log.Warn("ACK not sent", "call", c.id, "err", err)
	}
}

// bye ends a confirmed dialog from our side.
func (c *sipCall) bye() {
	c.mu.Lock()
	if c.dlg.remoteTag == "" {
		c.mu.Unlock()
		return
	}
	req := c.dlg.request(sip.BYE, nil, 0)
	c.mu.Unlock()
	req.SetBody(nil)
	// Not bound to the driver's life: Close hangs up, then waits for this.
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	if _, err := c.a.client.Do(ctx, req, c.a.send); err != nil {
		c.a.log.Debug("BYE got no answer", "call", c.id, "err", err)
	}
}
