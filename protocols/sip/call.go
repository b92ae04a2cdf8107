package sip

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/padlock-phone/padlock/media/codec"
	"github.com/padlock-phone/padlock/phone/call"
)

// LocalHold reports how our own hold or resume re-INVITE ended: accepted
// (Err nil) or refused. It is a call.Event the phone may ignore.
type LocalHold struct {
	ID  call.ID
	On  bool
	Err error
}

// CallID makes LocalHold a call.Event.
func (e LocalHold) CallID() call.ID { return e.ID }

// byeTimeout bounds how long a BYE or CANCEL waits for its answer.
const byeTimeout = 4 * time.Second

type callState int

const (
	stDialing  callState = iota // INVITE sent / received, no answer yet
	stAnswered                  // 200 sent, waiting for the ACK
	stUp                        // confirmed dialog
	stEnded
)

type decision struct {
	answer bool
	reason call.RejectReason
	cancel bool // the caller sent CANCEL
}

// sipCall is one call leg. Its fields are guarded by mu; network I/O is
// done outside the lock.
type sipCall struct {
	id       call.ID
	a        *ua
	d        *Driver
	incoming bool
	media    MediaSession
	sessID   uint64

	mu          sync.Mutex
	state       callState
	dlg         dialog
	sessVer     uint64
	localHold   bool // what the peer agreed to
	wantHold    bool // what the person asked for
	remoteHold  bool
	remote      RemoteMedia
	format      codec.Format
	reinviting  bool
	hungUp      bool // the person hung up; finish signalling quietly
	provisional bool // outgoing: a 1xx came, CANCEL is allowed
	invite      *sip.Request
	cancelSent  bool

	// incoming
	decide  chan decision
	ackWait map[uint32]chan *sip.Request // CSeq of our 200 -> its ACK
}

func (d *Driver) newCall(a *ua, incoming bool) (*sipCall, error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, errors.New("sip: driver is shut down")
	}
	id := d.newCallID(a)
	c := &sipCall{id: id, a: a, d: d, incoming: incoming, decide: make(chan decision, 1), ackWait: map[uint32]chan *sip.Request{}}
	d.calls[id] = c
	d.mu.Unlock()
	var b [8]byte
	raw, _ := hex.DecodeString(d.token(8))
	copy(b[:], raw)
	c.sessID = binary.BigEndian.Uint64(b[:]) >> 2 // keep it positive as a signed 64-bit number
	ms, err := d.cfg.Media.NewSession(id)
	if err != nil {
		d.forget(id)
		return nil, fmt.Errorf("sip: no media for the call: %w", err)
	}
	c.media = ms
	return c, nil
}

func (d *Driver) forget(id call.ID) {
	d.mu.Lock()
	delete(d.calls, id)
	d.mu.Unlock()
}

// end finishes a call once: media closed, forgotten, Ended reported.
func (c *sipCall) end(reason string) {
	c.mu.Lock()
	if c.state == stEnded {
		c.mu.Unlock()
		return
	}
	c.state = stEnded
	c.mu.Unlock()
	if c.media != nil {
		c.media.Close()
	}
	c.d.forget(c.id)
	c.d.emit(call.Ended{ID: c.id, Reason: reason})
}

// localSDP builds our next SDP body. With answerTo nil it is an offer of
// every format; otherwise the answer to the peer's offer. Call with mu held.
func (c *sipCall) localSDP(dir Direction, answerTo *RemoteMedia) ([]byte, error) {
	m := LocalMedia{Addr: c.media.Addr(), Formats: offerFormats(), EventPT: TelephoneEventPT, Direction: dir, Attributes: c.media.Attributes()}
	if answerTo != nil {
		f, ok := Choose(answerTo.Formats, offerFormats())
		if !ok {
			return nil, errors.New("no common audio format")
		}
		m.Formats = []codec.Format{f}
		m.EventPT = 0
		if answerTo.EventPT > 0 {
			m.EventPT = uint8(answerTo.EventPT)
		}
	}
	c.sessVer++
	return BuildSDP(c.sessID, c.sessVer, m)
}

// answerDirection is our direction for a peer's offer, given our own hold.
func answerDirection(offered Direction, localHold bool) Direction {
	dir := offered.Reverse()
	if localHold {
		switch dir {
		case SendRecv:
			dir = SendOnly
		case RecvOnly:
			dir = Inactive
		}
	}
	return dir
}

// ---- Telephony ----

// Dial calls target ("bob", "bob@example.org" or "sip:bob@example.org")
// from the account whose domain it names, or the first account.
func (d *Driver) Dial(target string) (call.ID, error) {
	a := d.accountFor(target)
	uri, err := a.targetURI(target)
	if err != nil {
		return "", err
	}
	c, err := d.newCall(a, false)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	offer, err := c.localSDP(SendRecv, nil)
	c.mu.Unlock()
	if err != nil {
		c.media.Close()
		d.forget(c.id)
		return "", err
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		c.runOutgoing(uri, offer)
	}()
	return c.id, nil
}

// Answer takes a ringing incoming call.
func (d *Driver) Answer(id call.ID) error {
	return d.decide(id, decision{answer: true})
}

// Reject turns a ringing incoming call away: 486 Busy Here or 603 Decline.
func (d *Driver) Reject(id call.ID, why call.RejectReason) error {
	return d.decide(id, decision{reason: why})
}

func (d *Driver) decide(id call.ID, dec decision) error {
	c, err := d.call(id)
	if err != nil {
		return err
	}
	c.mu.Lock()
	ok := c.incoming && c.state == stDialing
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("sip: call %s is not ringing here", id)
	}
	select {
	case c.decide <- dec:
		return nil
	default:
		return fmt.Errorf("sip: call %s was already answered or rejected", id)
	}
}

// Hangup cancels a call not yet answered (CANCEL, or 603 for an incoming
// one) and ends an established one (BYE). Ended is reported at once.
func (d *Driver) Hangup(id call.ID) error {
	c, err := d.call(id)
	if err != nil {
		return err
	}
	c.mu.Lock()
	state, incoming := c.state, c.incoming
	c.hungUp = true
	c.mu.Unlock()
	switch {
	case state == stEnded:
		return nil
	case incoming && state == stDialing:
		select {
		case c.decide <- decision{reason: call.Decline}:
		default:
		}
	case !incoming && state == stDialing:
		c.cancel()
	default:
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			c.bye()
		}()
	}
	c.end("hung up")
	return nil
}

// Hold puts an established call on hold (re-INVITE with a=sendonly) or
// resumes it (a=sendrecv). The outcome comes back as a LocalHold event.
// Asked again while a re-INVITE is under way, it sends the latest wish
// once that one is done.
func (d *Driver) Hold(id call.ID, on bool) error {
	c, err := d.call(id)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stUp {
		return fmt.Errorf("sip: call %s is not established", id)
	}
	c.wantHold = on
	if c.reinviting {
		return nil
	}
	c.reinviting = true
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		c.holdLoop(on)
	}()
	return nil
}

// SetVerified passes the SAS confirmation to media that keeps a ZRTP cache.
func (d *Driver) SetVerified(id call.ID, verified bool) error {
	c, err := d.call(id)
	if err != nil {
		return err
	}
	if v, ok := c.media.(Verifier); ok {
		return v.SetVerified(verified)
	}
	return nil
}

// targetURI turns what the person dialled into a SIP URI.
func (a *ua) targetURI(target string) (sip.Uri, error) {
	t := strings.TrimSpace(target)
	t = strings.TrimPrefix(strings.TrimPrefix(t, "sip:"), "sips:")
	if t == "" {
		return sip.Uri{}, errors.New("sip: nothing to dial")
	}
	if !strings.Contains(t, "@") {
		t += "@" + a.acct.Domain
	}
	var u sip.Uri
	if err := sip.ParseUri("sip:"+t, &u); err != nil || u.User == "" || u.Host == "" {
		return sip.Uri{}, fmt.Errorf("sip: %q is not an address I can call", target)
	}
	return u, nil
}

// ---- outgoing calls ----

func (c *sipCall) runOutgoing(uri sip.Uri, offer []byte) {
	a := c.a
	callID := c.d.token(16) + "@padlock"
	req := a.outOfDialog(sip.INVITE, uri, uri, callID, 1)
	req.AppendHeader(sip.HeaderClone(&a.contact))
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS"))
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
		case (res.StatusCode == 401 || res.StatusCode == 407) && !authTried:
			authTried = true
			c.mu.Lock()
			hung := c.hungUp
			c.mu.Unlock()
			if hung {
				return
			}
			tx.Terminate()
			tx, err = a.client.TransactionDigestAuth(c.d.ctx, req, res, sipgo.DigestAuth{Username: a.acct.AuthUser, Password: a.acct.Password})
			if err != nil {
				c.end(fmt.Sprintf("could not answer the proxy's password challenge: %v", err))
				return
			}
			c.mu.Lock()
			c.invite = req
			c.dlg.localCSeq = req.CSeq().SeqNo
			c.provisional = false
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
	remote, err := ParseSDP(res.Body())
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
	if err := c.media.Start(remote, remote.Formats[0], SendRecv); err != nil {
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
		c.d.emit(LocalHold{ID: c.id, On: on, Err: err})
		if err != nil {
			c.mu.Lock()
			c.wantHold = c.localHold
			c.reinviting = false
			c.mu.Unlock()
			return
		}
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
	dir := SendRecv
	if on {
		dir = SendOnly
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
	defer tx.Terminate()
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
		tx.OnRetransmission(func(r *sip.Response) {
			if r.IsSuccess() {
				c.sendAck(ack.Clone())
			}
		})
		remote, perr := ParseSDP(res.Body())
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

// failureReason says in plain words why an outgoing call failed.
func failureReason(res *sip.Response, who string, authTried bool) string {
	switch res.StatusCode {
	case 486, 600:
		return who + " is busy"
	case 603:
		return who + " declined the call"
	case 404, 604:
		return who + " does not exist here (404)"
	case 480:
		return who + " is not available (not registered or not answering)"
	case 408:
		return "no answer from " + who
	case 487:
		return "the call was cancelled"
	case 488, 606:
		return who + "'s phone cannot take this call's audio or encryption (" + fmt.Sprint(res.StatusCode) + ")"
	case 401, 407:
		if authTried {
			return "the proxy refused our password for this call"
		}
	case 403:
		return "the proxy forbade the call (403 " + res.Reason + ")"
	}
	return fmt.Sprintf("the call failed: %d %s", res.StatusCode, res.Reason)
}

// SendDTMF sends keypad digits into an established call through its media
// (RFC 4733 telephone-event, negotiated in SDP at payload type 101).
func (d *Driver) SendDTMF(id call.ID, digits string) error {
	c, err := d.call(id)
	if err != nil {
		return err
	}
	c.mu.Lock()
	up := c.state == stUp
	c.mu.Unlock()
	if !up {
		return fmt.Errorf("sip: call %s is not established", id)
	}
	m, ok := c.media.(DTMF)
	if !ok {
		return fmt.Errorf("sip: the media of call %s cannot send keypad digits", id)
	}
	return m.SendDTMF(digits)
}
