package sip

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/padlock-phone/padlock/media/sdp"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/media/codec"
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
	answer  bool
	reason  call.RejectReason
	cancel  bool     // the caller sent CANCEL
	forward *sip.Uri // 302 to this address (do-not-disturb's forward target)
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
	remote      sdp.Remote
	sdes        *sdp.Crypto  // our a=crypto line when the call is keyed by SDES
	sdesOffer   []sdp.Crypto // outgoing over TLS: the lines we offered
	format      codec.Format
	reinviting  bool
	hungUp      bool // the person hung up; finish signalling quietly
	provisional bool // outgoing: a 1xx came, CANCEL is allowed
	invite      *sip.Request
	cancelSent  bool

	// transfer (transfer.go)
	referResult chan int // our REFER is under way: the sipfrag codes the peer NOTIFYs
	referredTo  string   // the peer REFERred us here; it is owed NOTIFYs

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
	d.mu.Unlock()
	c := &sipCall{id: id, a: a, d: d, incoming: incoming, decide: make(chan decision, 1), ackWait: map[uint32]chan *sip.Request{}}
	var b [8]byte
	raw, _ := hex.DecodeString(d.token(8))
	copy(b[:], raw)
	c.sessID = binary.BigEndian.Uint64(b[:]) >> 2 // keep it positive as a signed 64-bit number
	ms, err := d.cfg.Media.NewSession(id)
	if err != nil {
		return nil, fmt.Errorf("sip: no media for the call: %w", err)
	}
	c.media = ms
	// Only a call with its media is visible to Telephony and in-dialog requests.
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		ms.Close()
		return nil, errors.New("sip: driver is shut down")
	}
	d.calls[id] = c
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
func (c *sipCall) localSDP(dir sdp.Direction, answerTo *sdp.Remote) ([]byte, error) {
	addr := c.media.Addr()
	if addr.Addr().IsUnspecified() {
		// Media listening on every interface: advertise the address this
		// account's signalling leaves through, the one the peer can reach.
		if ip, err := netip.ParseAddr(c.a.host); err == nil {
			addr = netip.AddrPortFrom(ip.Unmap(), addr.Port())
		}
	}
	m := sdp.Local{Addr: addr, Formats: offerFormats(), EventPT: sdp.TelephoneEventPT, Direction: dir, Attributes: c.media.Attributes()}
	if answerTo == nil && c.format.Name != "" {
		// A re-offer (hold, resume) keeps the codec and payload type the
		// call runs on: the media goes on with them, and a dynamic payload
		// type the answer changed (Opus: the caller's 96, our 111) would
		// leave the stream dropping every packet — a silent caller after
		// a resume, as the conference test found.
		m.Formats = []codec.Format{c.format}
	}
	switch {
	case answerTo == nil && c.sdes != nil:
		// A re-offer of a call keyed by SDES keeps its keys.
		m.Crypto = []sdp.Crypto{*c.sdes}
	case answerTo == nil && c.sdesOffer != nil:
		m.Crypto = c.sdesOffer // RTP/SAVP; a 488 makes runOutgoing offer again without
	}
	if answerTo != nil {
		f, ok := sdp.Choose(answerTo.Formats, offerFormats())
		if !ok {
			return nil, errors.New("no common audio format")
		}
		m.Formats = []codec.Format{f}
		if answerTo.SAVP && c.sdes != nil {
			m.Crypto = []sdp.Crypto{*c.sdes}
		}
		m.EventPT = 0
		if answerTo.EventPT > 0 {
			m.EventPT = uint8(answerTo.EventPT)
		}
	}
	c.sessVer++
	return sdp.Build(c.sessID, c.sessVer, m)
}

// answerDirection is our direction for a peer's offer, given our own hold.
func answerDirection(offered sdp.Direction, localHold bool) sdp.Direction {
	dir := offered.Reverse()
	if localHold {
		switch dir {
		case sdp.SendRecv:
			dir = sdp.SendOnly
		case sdp.RecvOnly:
			dir = sdp.Inactive
		}
	}
	return dir
}

// ---- Telephony ----

// Dial calls target ("bob", "bob@example.org" or "sip:bob@example.org")
// from the account whose domain it names, or the first account.
func (d *Driver) Dial(target string) (call.ID, error) {
	return d.dial(d.accountFor(target), target)
}

// DialFrom calls target from the named account ("alice@example.org").
func (d *Driver) DialFrom(account, target string) (call.ID, error) {
	for _, a := range d.uas {
		if a.acct.Name() == account {
			return d.dial(a, target)
		}
	}
	return "", fmt.Errorf("sip: no account %s", account)
}

func (d *Driver) dial(a *ua, target string) (call.ID, error) {
	uri, err := a.targetURI(target)
	if err != nil {
		return "", err
	}
	c, err := d.newCall(a, false)
	if err != nil {
		return "", err
	}
	c.sdesOffer = sdesOffer(a.acct, c.media)
	c.mu.Lock()
	offer, err := c.localSDP(sdp.SendRecv, nil)
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

// Forward sends a ringing incoming call elsewhere: 302 Moved Temporarily
// with target (read as Dial reads it) in the Contact, which the caller's
// phone then calls instead (do-not-disturb with a forward target).
func (d *Driver) Forward(id call.ID, target string) error {
	_, uri, err := d.callAndTarget(id, target)
	if err != nil {
		return err
	}
	return d.decide(id, decision{forward: &uri})
}

// callAndTarget finds call id and reads target as its account dials it:
// where a forward or a transfer sends the peer.
func (d *Driver) callAndTarget(id call.ID, target string) (*sipCall, sip.Uri, error) {
	c, err := d.call(id)
	if err != nil {
		return nil, sip.Uri{}, err
	}
	uri, err := c.a.targetURI(target)
	return c, uri, err
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
