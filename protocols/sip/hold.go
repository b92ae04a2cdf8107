package sip

import (
	"errors"
	"fmt"
	"github.com/padlock-phone/padlock/media/sdp"
	"time"

	"github.com/emiago/sipgo/sip"
)

// holdLoop sends the re-INVITE for first, then more until the call's
// hold state is what the person last asked for.
func (c *sipCall) holdLoop(first bool) {
	for n := 0; ; n++ {
		c.mu.Lock()
		on := c.wantHold
		if n == 0 {
			on = first
		}
		if (n > 0 && on == c.localHold) || c.state != stUp {
			c.reinviting = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		err := c.reinvite(on)
		if err != nil {
			// Give up on what was asked so far, before reporting: a Hold
			// that follows the report must start afresh, not be lost.
			c.mu.Lock()
			c.wantHold = c.localHold
			c.reinviting = false
			c.mu.Unlock()
			c.d.emit(LocalHold{ID: c.id, On: on, Err: err})
			return
		}
		c.d.emit(LocalHold{ID: c.id, On: on})
	}
}

// reinvite sends our hold (sendonly) or resume (sendrecv) offer, once
// more after a 491.
func (c *sipCall) reinvite(on bool) error {
	for try := 0; ; try++ {
		retry, err := c.reinviteOnce(on)
		if retry && try == 0 {
			// 491: both sides re-INVITEd at once; RFC 3261 14.1 says wait and retry.
			t := time.NewTimer(2100 * time.Millisecond)
			select {
			case <-t.C:
				continue
			case <-c.d.ctx.Done():
				t.Stop()
			}
		}
		if err == nil {
			c.mu.Lock()
			c.localHold = on
			c.mu.Unlock()
		}
		return err
	}
}

func (c *sipCall) reinviteOnce(on bool) (retry bool, err error) {
	dir := sdp.SendRecv
	if on {
		dir = sdp.SendOnly
	}
	c.mu.Lock()
	if c.state != stUp {
		c.mu.Unlock()
		return false, errors.New("the call ended")
	}
	offer, err := c.localSDP(dir, nil)
	if err != nil {
		c.mu.Unlock()
		return false, err
	}
	req := c.dlg.request(sip.INVITE, &c.a.contact, 0)
	c.mu.Unlock()
	ct := sip.ContentTypeHeader("application/sdp")
	req.AppendHeader(&ct)
	req.SetBody(offer)
	tx, err := c.a.client.TransactionRequest(c.d.ctx, req, c.a.send)
	if err != nil {
		return false, err
	}
	// After a 2xx the transaction must live on, to ACK retransmitted 2xx.
	accepted := false
	defer func() {
		if !accepted {
			tx.Terminate()
		}
	}()
	for {
		var res *sip.Response
		select {
		case res = <-tx.Responses():
		case <-tx.Done():
			select {
			case res = <-tx.Responses():
			default:
				return false, fmt.Errorf("no answer to the re-INVITE: %v", tx.Err())
			}
		case <-c.d.ctx.Done():
			return false, c.d.ctx.Err()
		}
		if res.IsProvisional() {
			continue
		}
		if !res.IsSuccess() {
			switch res.StatusCode {
			case 491:
				return true, fmt.Errorf("re-INVITE crossed one from the other side (491)")
			case 408, 481:
				// RFC 3261 14.1: the dialog is gone.
				c.bye()
				c.end("the other side no longer knows this call")
			}
			return false, fmt.Errorf("the other side refused: %d %s", res.StatusCode, res.Reason)
		}
		c.mu.Lock()
		if ctc := res.Contact(); ctc != nil {
			c.dlg.remoteTarget = ctc.Address
		}
		ack := c.dlg.request(sip.ACK, &c.a.contact, req.CSeq().SeqNo)
		c.mu.Unlock()
		ack.SetBody(nil)
		c.sendAck(ack)
		accepted = true
		tx.OnRetransmission(func(r *sip.Response) {
			if r.IsSuccess() {
				c.sendAck(ack.Clone())
			}
		})
		remote, perr := sdp.Parse(res.Body())
		c.mu.Lock()
		keyed := c.sdes != nil
		c.mu.Unlock()
		if perr == nil && remote.SAVP && !keyed {
			perr = errors.New("the answer is RTP/SAVP (SDES) though the offer was RTP/AVP")
		}
		if perr != nil || len(remote.Formats) == 0 {
			return false, fmt.Errorf("unusable SDP in the answer to our re-INVITE: %v", perr)
		}
		c.mu.Lock()
		c.remote = remote
		c.mu.Unlock()
		if err := c.media.Start(remote, remote.Formats[0], dir); err != nil {
			c.a.log.Warn("media did not restart", "call", c.id, "err", err)
		}
		return false, nil
	}
}
