package sip

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Who may start something with an account (issue 12). A raw UDP INVITE
// from anyone on the LAN used to ring the phone as whoever it claimed in
// From, and drew a dozen responses toward a spoofable source. Desk phones
// answer out-of-dialog requests only from their registrar and outbound
// proxy; so does Padlock:
//
//   - out-of-dialog requests (INVITE, OPTIONS, CANCEL, anything new) are
//     taken only from the resolved addresses of the account's Registrar and
//     Proxy, re-resolved at every registration. An account whose server is
//     a peer phone thereby takes that phone's direct calls.
//   - Account.AcceptAnySource (off by default) takes direct calls from any
//     address, as a phone without a registrar needs.
//   - a request from elsewhere gets no response at all: nothing to reflect.
//   - incoming INVITEs are rate limited per source address (loosely for
//     the registrar, which relays everyone's calls); over the limit a
//     trusted source gets one 486, any other source nothing.
//   - before parsing, UDP datagrams from untrusted sources are rate limited
//     per source, so a flood costs the parser little.
//   - in-dialog requests (BYE, re-INVITE, ACK) are matched to a dialog by
//     Call-ID and tags wherever they come from, as RFC 3261 wants.

// Rate limits, per source address. Variables so tests can shrink them.
var (
	inviteBurst  = 10              // INVITEs an untrusted source (AcceptAnySource) may send at once
	inviteRefill = 2 * time.Second // then one more per this
	// The registrar relays everyone's calls: a far looser limit, which only
	// a flood reaches (the interop tests place dozens of calls in a row).
	serverInviteBurst  = 60
	serverInviteRefill = 100 * time.Millisecond
	datagramBurst      = 50 // UDP datagrams from an untrusted source at once
	datagramRefill     = 20 * time.Millisecond
	maxSources         = 1024 // sources remembered per limiter; the oldest go first
)

// trust is one account's view of where requests may come from.
type trust struct {
	hosts     []string // host parts of Registrar and Proxy
	anySource bool

	mu    sync.Mutex
	addrs map[netip.Addr]bool

	invites       *rateLimiter // INVITEs from other sources (AcceptAnySource)
	serverInvites *rateLimiter // INVITEs from the registrar or proxy
	datagrams     *rateLimiter
}

func newTrust(acct Account) *trust {
	t := &trust{anySource: acct.AcceptAnySource, addrs: map[netip.Addr]bool{},
		invites:       newRateLimiter(inviteBurst, inviteRefill),
		serverInvites: newRateLimiter(serverInviteBurst, serverInviteRefill),
		datagrams:     newRateLimiter(datagramBurst, datagramRefill)}
	for _, hp := range []string{acct.Registrar, acct.Proxy} {
		h, _, err := net.SplitHostPort(hp)
		if err != nil {
			h = hp
		}
		t.hosts = append(t.hosts, h)
		if ip, err := netip.ParseAddr(h); err == nil {
			t.addrs[ip.Unmap()] = true
		}
	}
	return t
}

// refresh resolves the registrar and proxy names again (their addresses
// may move); a failed lookup keeps what was known.
func (t *trust) refresh(ctx context.Context, r *net.Resolver) {
	next := map[netip.Addr]bool{}
	for _, h := range t.hosts {
		if ip, err := netip.ParseAddr(h); err == nil {
			next[ip.Unmap()] = true
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		ips, err := r.LookupNetIP(lctx, "ip", h)
		cancel()
		if err != nil {
			t.mu.Lock()
			for ip := range t.addrs {
				next[ip] = true
			}
			t.mu.Unlock()
			continue
		}
		for _, ip := range ips {
			next[ip.Unmap()] = true
		}
	}
	t.mu.Lock()
	t.addrs = next
	t.mu.Unlock()
}

// fromServer reports whether source (host:port) is the registrar or proxy.
func (t *trust) fromServer(source string) bool {
	ip, ok := sourceIP(source)
	if !ok {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.addrs[ip]
}

// mayStart reports whether source may start something new (out of dialog).
func (t *trust) mayStart(source string) bool {
	return t.anySource || t.fromServer(source)
}

// readFilter drops, before parsing, UDP datagrams from an untrusted source
// beyond its rate. It never touches TCP or TLS, where a chunk is part of a
// stream.
func (t *trust) readFilter(info sip.TransportReadProps, data []byte) ([]byte, error) {
	if info.Transport != "udp" || info.RemoteAddr == nil {
		return data, nil
	}
	src := info.RemoteAddr.String()
	if t.fromServer(src) {
		return data, nil
	}
	ip, _ := sourceIP(src)
	if !t.datagrams.allow(ip, time.Now()) {
		return nil, nil
	}
	return data, nil
}

func sourceIP(source string) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(source)
	if err != nil {
		ip, err := netip.ParseAddr(source)
		return ip.Unmap(), err == nil
	}
	return ap.Addr().Unmap(), true
}

// rateLimiter is a token bucket per source address, bounded in size.
type rateLimiter struct {
	burst  int
	refill time.Duration

	mu      sync.Mutex
	buckets map[netip.Addr]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(burst int, refill time.Duration) *rateLimiter {
	return &rateLimiter{burst: burst, refill: refill, buckets: map[netip.Addr]*bucket{}}
}

// allow takes one token of ip's bucket, if there is one.
func (l *rateLimiter) allow(ip netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[ip]
	if b == nil {
		if len(l.buckets) >= maxSources {
			l.evict(now)
		}
		b = &bucket{tokens: float64(l.burst), last: now}
		l.buckets[ip] = b
	}
	b.tokens = min(float64(l.burst), b.tokens+float64(now.Sub(b.last))/float64(l.refill))
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// evict drops full buckets (sources that stopped), else the stalest one;
// l.mu held.
func (l *rateLimiter) evict(now time.Time) {
	var stalest netip.Addr
	var at time.Time
	for ip, b := range l.buckets {
		if b.tokens+float64(now.Sub(b.last))/float64(l.refill) >= float64(l.burst) {
			delete(l.buckets, ip)
			continue
		}
		if at.IsZero() || b.last.Before(at) {
			stalest, at = ip, b.last
		}
	}
	if len(l.buckets) >= maxSources {
		delete(l.buckets, stalest)
	}
}

// mayStart reports whether req, which starts something new, comes from an
// address the account takes such requests from; it logs (rate limited)
// the ones it refuses.
func (a *ua) mayStart(req *sip.Request) bool {
	if a.trust.mayStart(req.Source()) {
		return true
	}
	a.refused.note(a.log, "SIP request from an address that is not the account's registrar or proxy ignored (the account does not take direct calls from any address)", req.Source(), "method", string(req.Method))
	return false
}

// allowInvite takes one INVITE of source's budget.
func (t *trust) allowInvite(source string, now time.Time) bool {
	l := t.invites
	if t.fromServer(source) {
		l = t.serverInvites
	}
	return l.allow(mustSourceIP(source), now)
}

func mustSourceIP(source string) netip.Addr {
	ip, _ := sourceIP(source)
	return ip
}
