package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// tooBrief is a 423 answer: the registrar wants at least min.
type tooBrief struct {
	asked, min time.Duration
	account    string
}

func (e tooBrief) Error() string {
	return fmt.Sprintf("registrar answered 423: registration interval %v too short for %s (it wants %v)", e.asked, e.account, e.min)
}

// registerLoop keeps the account registered until ctx ends, then
// unregisters.
func (a *ua) registerLoop(ctx context.Context) {
	attempt := 0
	expires := a.acct.Expires
	for {
		a.trust.refresh(ctx, net.DefaultResolver) // the registrar's addresses, kept current
		granted, err := a.register(ctx, expires)
		if ctx.Err() != nil {
			break
		}
		var tb tooBrief
		if errors.As(err, &tb) && tb.min > expires {
			expires = tb.min // RFC 3261 10.2.8: ask again with Min-Expires
			continue
		}
		var wait time.Duration
		if err != nil {
			a.setStatus(AccountStatus{Account: a.acct.Name(), Err: err})
			a.log.Warn("registration failed", "err", err)
			wait = a.d.backoff(attempt)
			attempt++
		} else {
			attempt = 0
			a.setStatus(AccountStatus{Account: a.acct.Name(), Registered: true, Expires: granted})
			wait = refreshAfter(granted)
			if ok := a.keepAlive(ctx, wait); !ok {
				continue // lost the registrar: register again at once
			}
			wait = 0
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
			case <-t.C:
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	// Best effort: take the binding away so calls are not sent to a dead phone.
	uctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if a.Status().Registered {
		a.register(uctx, 0)
	}
}

// keepAlive waits for the refresh time, pinging the registrar with OPTIONS
// every KeepAlive. It returns false when a ping got no answer.
func (a *ua) keepAlive(ctx context.Context, until time.Duration) bool {
	deadline := time.Now().Add(until)
	every := a.d.cfg.KeepAlive
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return true
		}
		step := left
		if every > 0 && every < step {
			step = every
		}
		t := time.NewTimer(step)
		select {
		case <-ctx.Done():
			t.Stop()
			return true
		case <-t.C:
		}
		if every > 0 && time.Until(deadline) > 0 {
			if err := a.ping(ctx); err != nil {
				a.setStatus(AccountStatus{Account: a.acct.Name(), Err: err})
				a.log.Warn("registrar stopped answering", "err", err)
				return false
			}
		}
	}
}

func (a *ua) ping(ctx context.Context) error {
	req := a.outOfDialog(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: a.acct.Domain}, sip.Uri{Scheme: "sip", Host: a.acct.Domain}, a.d.token(16)+"@padlock", 1)
	ctx, cancel := context.WithTimeout(ctx, a.d.cfg.RequestTimeout)
	defer cancel()
	_, err := a.client.Do(ctx, req, a.send)
	if err != nil {
		return a.unreachable(ctx, err)
	}
	return nil
}

// refreshAfter is when to renew a registration of the given lifetime:
// halfway for short ones, a minute early for long ones.
func refreshAfter(granted time.Duration) time.Duration {
	if granted <= 2*time.Minute {
		return granted / 2
	}
	return granted - time.Minute
}

// outOfDialog builds a request outside any dialog, sent through the proxy.
func (a *ua) outOfDialog(method sip.RequestMethod, ruri, to sip.Uri, callID string, cseq uint32) *sip.Request {
	req := sip.NewRequest(method, ruri)
	from := &sip.FromHeader{Address: a.aor, Params: sip.NewParams()}
	from.Params.Add("tag", a.d.token(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: to, Params: sip.NewParams()})
	cid := sip.CallIDHeader(callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: method})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(sip.NewHeader("User-Agent", "Padlock"))
	req.SetTransport(strings.ToUpper(a.acct.Transport))
	req.SetDestination(a.acct.Proxy)
	return req
}

// register sends one REGISTER (answering a digest challenge) and returns
// the lifetime the registrar granted.
func (a *ua) register(ctx context.Context, expires time.Duration) (time.Duration, error) {
	a.regCSeq++
	req := a.outOfDialog(sip.REGISTER, sip.Uri{Scheme: "sip", Host: a.acct.Domain}, a.aor, a.regCallID, a.regCSeq)
	req.From().Params = sip.NewParams()
	req.From().Params.Add("tag", a.regTag)
	req.AppendHeader(sip.HeaderClone(&a.contact))
	exp := sip.ExpiresHeader(uint32(expires / time.Second))
	req.AppendHeader(&exp)
	req.SetBody(nil)

	ctx, cancel := context.WithTimeout(ctx, a.d.cfg.RequestTimeout)
	defer cancel()
	res, err := a.client.Do(ctx, req, a.send)
	if err != nil {
		return 0, a.unreachable(ctx, err)
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		res, err = a.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: a.acct.AuthUser, Password: a.acct.Password})
		a.regCSeq = req.CSeq().SeqNo
		if err != nil {
			return 0, a.unreachable(ctx, err)
		}
		if res.StatusCode == 401 || res.StatusCode == 407 || res.StatusCode == 403 {
			return 0, fmt.Errorf("registrar answered %d: wrong password for %s", res.StatusCode, a.acct.Name())
		}
	}
	switch {
	case res.StatusCode == 403:
		return 0, fmt.Errorf("registrar answered 403: %s may not register here (%s)", a.acct.Name(), res.Reason)
	case res.StatusCode == 423:
		tb := tooBrief{asked: expires, account: a.acct.Name()}
		if h := res.GetHeader("Min-Expires"); h != nil {
			if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n > 0 {
				tb.min = time.Duration(n) * time.Second
			}
		}
		return 0, tb
	case !res.IsSuccess():
		return 0, fmt.Errorf("registrar answered %d %s for %s", res.StatusCode, res.Reason, a.acct.Name())
	}
	return a.grantedExpires(res, expires), nil
}

// unreachable turns a transport or timeout error into plain words.
func (a *ua) unreachable(ctx context.Context, err error) error {
	who := "registrar " + a.acct.Registrar
	if a.acct.Proxy != a.acct.Registrar {
		who = "outbound proxy " + a.acct.Proxy
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) || strings.Contains(err.Error(), "x509:") {
		return fmt.Errorf("%s showed a TLS certificate this phone does not trust: check the account's CA and server name (%w)", who, err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s did not answer within %v over %s: is it running and reachable? (%w)",
			who, a.d.cfg.RequestTimeout, strings.ToUpper(a.acct.Transport), err)
	}
	return fmt.Errorf("cannot reach %s over %s: %w", who, strings.ToUpper(a.acct.Transport), err)
}

// grantedExpires reads the lifetime of our own binding from a 200 to
// REGISTER: the expires parameter of our Contact, else the Expires header.
func (a *ua) grantedExpires(res *sip.Response, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		for _, v := range splitList(h.Value()) {
			var u sip.Uri
			params := sip.NewParams()
			if _, err := sip.ParseAddressValue(v, &u, &params); err != nil {
				continue
			}
			if u.User != a.contact.Address.User || u.Host != a.contact.Address.Host || u.Port != a.contact.Address.Port {
				continue
			}
			if e, ok := params.Get("expires"); ok {
				if n, err := strconv.Atoi(e); err == nil && n > 0 {
					return time.Duration(n) * time.Second
				}
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return asked
}
