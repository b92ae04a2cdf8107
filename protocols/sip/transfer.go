package sip

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/padlock-phone/padlock/call"
)

// Blind transfer, RFC 3515. Padlock transfers a call by sending its peer a
// REFER (Refer-To the target, Referred-By us) and hangs up once the peer's
// NOTIFY says the target answered. It is transferred when the peer of a
// call REFERs it: only inside that call's dialog, so only that peer can
// ask; the brain decides whether to follow (it announces it and dials),
// and the peer is told how the new call went in NOTIFYs.

// transferWait bounds how long a transfer waits for the peer's word that
// the target answered before giving up (the call goes on).
const transferWait = 32 * time.Second

// Transfer sends the peer of call id to target (blind transfer). The
// outcome comes back as a call.TransferDone; on success the call ends.
func (d *Driver) Transfer(id call.ID, target string) error {
	c, uri, err := d.callAndTarget(id, target)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stUp {
		return fmt.Errorf("sip: call %s is not established", id)
	}
	if c.referResult != nil {
		return fmt.Errorf("sip: call %s is already being transferred", id)
	}
	c.referResult = make(chan int, 4)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		c.refer(uri)
	}()
	return nil
}

// refer runs one transfer of c to uri.
func (c *sipCall) refer(uri sip.Uri) {
	fail := func(why string) {
		c.mu.Lock()
		c.referResult = nil
		c.mu.Unlock()
		c.d.emit(call.TransferDone{ID: c.id, Reason: why})
	}
	ctx, cancel := context.WithTimeout(c.d.ctx, transferWait)
	defer cancel()
	c.mu.Lock()
	results := c.referResult
	c.mu.Unlock()
	var res *sip.Response
	var err error
	for try := 0; try < 2; try++ {
		// A hold or resume still under way first: peers answer a REFER
		// that crosses a re-INVITE with 491 (RFC 3261 14.1), and a REFER
		// is no more welcome during the offer/answer.
		if !c.awaitReinvite(ctx) {
			fail("the call ended before it could be transferred")
			return
		}
		c.mu.Lock()
		req := c.dlg.request(sip.REFER, &c.a.contact, 0)
		c.mu.Unlock()
		req.AppendHeader(sip.NewHeader("Refer-To", "<"+uri.String()+">"))
		req.AppendHeader(sip.NewHeader("Referred-By", "<"+c.a.aor.String()+">"))
		req.SetBody(nil)
		res, err = c.a.client.Do(ctx, req, c.a.send)
		if err != nil || res.StatusCode != 491 {
			break
		}
		t := time.NewTimer(2100 * time.Millisecond) // 491: wait and try once more, as for a re-INVITE
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	switch {
	case err != nil:
		fail(fmt.Sprintf("no answer to the transfer request: %v", err))
		return
	case !res.IsSuccess():
		fail(fmt.Sprintf("%s refused the transfer: %d %s", person(c.dlg.remoteURI), res.StatusCode, res.Reason))
		return
	}
	for {
		select {
		case code := <-results:
			switch {
			case code < 200:
				continue
			case code < 300:
				c.mu.Lock()
				c.hungUp = true
				c.mu.Unlock()
				c.d.emit(call.TransferDone{ID: c.id, OK: true})
				c.bye()
				c.end("transferred to " + person(uri))
			default:
				fail(fmt.Sprintf("%s could not reach %s (%d)", person(c.dlg.remoteURI), person(uri), code))
			}
			return
		case <-ctx.Done():
			fail(fmt.Sprintf("%s never said whether it reached %s", person(c.dlg.remoteURI), person(uri)))
			return
		}
	}
}

// awaitReinvite waits until no re-INVITE of c is under way; false when
// the call is not up any more or ctx ends first.
func (c *sipCall) awaitReinvite(ctx context.Context) bool {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		c.mu.Lock()
		busy, up := c.reinviting, c.state == stUp
		c.mu.Unlock()
		if !up {
			return false
		}
		if !busy {
			return true
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return false
		}
	}
}

// onNotify takes the peer's word on a transfer we asked for (a sipfrag
// with the new call's status line) and answers any other in-dialog NOTIFY.
func (a *ua) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	c := a.d.findDialog(req)
	if c == nil {
		respond(a.log, tx, sip.NewResponseFromRequest(req, 481, "Subscription Does Not Exist", nil))
		return
	}
	respond(a.log, tx, sip.NewResponseFromRequest(req, 200, "OK", nil))
	ev := req.GetHeader("Event")
	if ev == nil || !strings.EqualFold(strings.TrimSpace(strings.SplitN(ev.Value(), ";", 2)[0]), "refer") {
		return
	}
	code, ok := sipfragStatus(req.Body())
	if !ok {
		return
	}
	c.mu.Lock()
	results := c.referResult
	c.mu.Unlock()
	if results != nil {
		select {
		case results <- code:
		default:
		}
	}
}

// sipfragStatus reads the status code of a message/sipfrag body
// ("SIP/2.0 200 OK"), RFC 3420.
func sipfragStatus(body []byte) (int, bool) {
	line, _, _ := bytes.Cut(body, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 2 || f[0] != "SIP/2.0" {
		return 0, false
	}
	code, err := strconv.Atoi(f[1])
	if err != nil || code < 100 || code > 699 {
		return 0, false
	}
	return code, true
}

// onRefer is the peer of a call asking Padlock to call someone else. Out
// of a dialog nobody may (403): a stranger cannot make the phone dial.
func (a *ua) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to == nil || tagOf(to.Params) == "" {
		respond(a.log, tx, sip.NewResponseFromRequest(req, 403, "Transfer Only Within A Call", nil))
		return
	}
	c := a.d.findDialog(req)
	if c == nil {
		respond(a.log, tx, sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	target, bad := referTarget(req)
	if bad != "" {
		respond(a.log, tx, sip.NewResponseFromRequest(req, 400, bad, nil))
		return
	}
	c.mu.Lock()
	up, busy := c.state == stUp, c.referredTo != ""
	if up && !busy {
		c.referredTo = target.String()
	}
	c.mu.Unlock()
	switch {
	case !up:
		respond(a.log, tx, sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	case busy:
		respond(a.log, tx, sip.NewResponseFromRequest(req, 491, "Request Pending", nil))
		return
	}
	respond(a.log, tx, sip.NewResponseFromRequest(req, 202, "Accepted", nil))
	by := ""
	if h := req.GetHeader("Referred-By"); h != nil {
		var u sip.Uri
		params := sip.NewParams()
		if _, err := sip.ParseAddressValue(h.Value(), &u, &params); err == nil {
			by = person(u)
		}
	}
	// RFC 3515 2.4.4: the first NOTIFY goes out at once.
	a.d.wg.Add(1)
	go func() {
		defer a.d.wg.Done()
		c.notifyRefer(100, "Trying", false)
	}()
	a.d.emit(call.Referred{ID: c.id, Target: target.String(), By: by})
}

// referTarget is the plain SIP URI a REFER names, or the reason phrase
// of the 400 that refuses it. Embedded headers (a Replaces: an attended
// transfer) and other schemes are refused.
func referTarget(req *sip.Request) (sip.Uri, string) {
	h := req.GetHeader("Refer-To")
	if h == nil {
		return sip.Uri{}, "Missing Refer-To"
	}
	var u sip.Uri
	params := sip.NewParams()
	if _, err := sip.ParseAddressValue(h.Value(), &u, &params); err != nil {
		return sip.Uri{}, "Bad Refer-To"
	}
	if (u.Scheme != "sip" && u.Scheme != "sips") || u.User == "" || u.Host == "" || (u.Headers != nil && u.Headers.Length() > 0) {
		return sip.Uri{}, "Refer-To Must Be A Plain SIP Address"
	}
	return u, ""
}

// DialReferred calls target because the peer of call by asked (a REFER it
// accepted): that peer is told in a NOTIFY whether the new call connects.
func (d *Driver) DialReferred(target string, by call.ID) (call.ID, error) {
	old, err := d.call(by)
	if err != nil {
		return d.Dial(target)
	}
	id, err := d.dial(old.a, target)
	if err != nil {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			old.notifyRefer(503, "Service Unavailable", true)
		}()
		return "", err
	}
	d.referrals.Store(id, old)
	return id, nil
}

// referOutcome tells the referrer of a call we placed for it how the call
// went: answered (200), or ended before that (487).
func (d *Driver) referOutcome(ev call.Event) {
	code, reason := 0, ""
	switch ev.(type) {
	case call.Answered:
		code, reason = 200, "OK"
	case call.Ended:
		code, reason = 487, "Request Terminated"
	default:
		return
	}
	v, ok := d.referrals.LoadAndDelete(ev.CallID())
	if !ok {
		return
	}
	old := v.(*sipCall)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		old.notifyRefer(code, reason, true)
	}()
}

// notifyRefer sends the peer who REFERred us the new call's status as a
// sipfrag; final ends the implicit subscription.
func (c *sipCall) notifyRefer(code int, reason string, final bool) {
	c.mu.Lock()
	if c.state != stUp || c.referredTo == "" {
		c.mu.Unlock()
		return
	}
	req := c.dlg.request(sip.NOTIFY, &c.a.contact, 0)
	if final {
		c.referredTo = ""
	}
	c.mu.Unlock()
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	state := "active;expires=60"
	if final {
		state = "terminated;reason=noresource"
	}
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte(fmt.Sprintf("SIP/2.0 %d %s\r\n", code, reason)))
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	if _, err := c.a.client.Do(ctx, req, c.a.send); err != nil {
		c.a.log.Debug("transfer NOTIFY got no answer", "call", c.id, "err", err)
	}
}
