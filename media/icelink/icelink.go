// Package icelink is the media path of a Jingle call: an ICE agent
// (pion/ice) with host candidates, and server-reflexive ones when a STUN
// server is configured, whose selected pair carries everything of the call
// on one component (rtcp-mux): RTP, RTCP and ZRTP for media/rtp, DTLS for
// the DTLS-SRTP handshake. Conn splits the two by the first byte (RFC 7983).
package icelink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/stun/v4"
)

// Candidate is an ICE candidate in the words Jingle's XEP-0176 uses (media
// never imports protocols; the driver copies fields across).
type Candidate struct {
	Foundation string
	Component  int
	Protocol   string // "udp" (Padlock gathers nothing else)
	Priority   uint32
	IP         string
	Port       int
	Type       string // host, srflx, prflx, relay
	RelAddr    string
	RelPort    int
}

// Config is one call's ICE agent.
type Config struct {
	// Controlling is true for the session's initiator (XEP-0176 §2).
	Controlling bool
	// STUN lists STUN servers ("stun:host:port") for server-reflexive
	// candidates; none means host candidates only.
	STUN []string
	// Loopback admits 127.0.0.0/8 and ::1 (the tests run on lo only).
	Loopback bool
	// OnCandidate gets each local candidate as it is gathered, to
	// trickle in transport-info; it runs on the agent's goroutine.
	OnCandidate func(Candidate)
	// FailedTimeout is how long checks may run without success before the
	// call is given up (zero: 20 s).
	FailedTimeout time.Duration
	Log           *slog.Logger
}

// Link is one call's ICE agent.
type Link struct {
	agent *ice.Agent
	cfg   Config

	mu        sync.Mutex
	conn      *Conn
	nRemote   int
	connected chan struct{}
	failed    chan struct{}
	failOnce  sync.Once
	connOnce  sync.Once
}

// maxRemoteCandidates bounds what a peer may trickle.
const maxRemoteCandidates = 32

// New makes the agent; Gather starts gathering.
func New(cfg Config) (*Link, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.FailedTimeout == 0 {
		cfg.FailedTimeout = 20 * time.Second
	}
	var urls []*stun.URI
	for _, s := range cfg.STUN {
		u, err := stun.ParseURI(s)
		if err != nil {
			return nil, fmt.Errorf("STUN server %q: write it as stun:host:port (%v)", s, err)
		}
		urls = append(urls, u)
	}
	types := []ice.CandidateType{ice.CandidateTypeHost}
	if len(urls) > 0 {
		types = append(types, ice.CandidateTypeServerReflexive)
	}
	failed := cfg.FailedTimeout
	disconnected := 5 * time.Second
	// RFC 8445 §14.2 paces checks at Ta = 50 ms; pion's 200 ms default
	// added a quarter second to every call's set-up.
	check := 50 * time.Millisecond
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelDisabled
	loopback := cfg.Loopback
	opts := []ice.AgentOption{
		ice.WithUrls(urls),
		ice.WithNetworkTypes([]ice.NetworkType{ice.NetworkTypeUDP4, ice.NetworkTypeUDP6}),
		ice.WithCandidateTypes(types),
		ice.WithMulticastDNSMode(ice.MulticastDNSModeDisabled),
		ice.WithFailedTimeout(failed),
		ice.WithDisconnectedTimeout(disconnected),
		ice.WithCheckInterval(check),
		ice.WithLoggerFactory(lf),
		ice.WithIPFilter(func(ip net.IP) bool {
			// On loopback tests nothing else may be used (the project
			// keeps traffic on 127.0.0.0/8 and ::1).
			return !loopback || ip.IsLoopback()
		}),
	}
	if loopback {
		opts = append(opts, ice.WithIncludeLoopback())
	}
	agent, err := ice.NewAgentWithOptions(opts...)
	if err != nil {
		return nil, fmt.Errorf("ICE agent: %w", err)
	}
	l := &Link{agent: agent, cfg: cfg, connected: make(chan struct{}), failed: make(chan struct{})}
	if err := agent.OnCandidate(func(c ice.Candidate) {
		if c == nil || cfg.OnCandidate == nil {
			return // nil: gathering is complete
		}
		cfg.OnCandidate(fromICE(c))
	}); err != nil {
		agent.Close()
		return nil, err
	}
	if err := agent.OnConnectionStateChange(func(s ice.ConnectionState) {
		cfg.Log.Debug("ICE state", "state", s.String())
		switch s {
		case ice.ConnectionStateConnected:
			l.connOnce.Do(func() { close(l.connected) })
		case ice.ConnectionStateFailed:
			l.failOnce.Do(func() { close(l.failed) })
		}
	}); err != nil {
		agent.Close()
		return nil, err
	}
	return l, nil
}

func fromICE(c ice.Candidate) Candidate {
	out := Candidate{
		Foundation: c.Foundation(), Component: int(c.Component()), Protocol: "udp",
		Priority: c.Priority(), IP: c.Address(), Port: c.Port(), Type: c.Type().String(),
	}
	if r := c.RelatedAddress(); r != nil {
		out.RelAddr, out.RelPort = r.Address, r.Port
	}
	return out
}

// Credentials are the local ufrag and pwd for the transport element.
func (l *Link) Credentials() (ufrag, pwd string, err error) {
	return l.agent.GetLocalUserCredentials()
}

// Gather starts gathering local candidates; each goes to OnCandidate.
func (l *Link) Gather() error { return l.agent.GatherCandidates() }

// ErrUnusable is returned for a candidate this phone does not use (TCP,
// a hostname, an mDNS name): it is skipped, not an error in the call.
var ErrUnusable = errors.New("icelink: candidate not usable")

// AddRemote adds a peer's candidate. Only UDP candidates with an IP
// address are taken, and at most 32 of them.
func (l *Link) AddRemote(c Candidate) error {
	ip, err := netip.ParseAddr(c.IP)
	if err != nil || c.Protocol != "udp" && c.Protocol != "UDP" || c.Port <= 0 || c.Port > 65535 {
		return ErrUnusable
	}
	if l.cfg.Loopback && !ip.IsLoopback() {
		return ErrUnusable
	}
	l.mu.Lock()
	if l.nRemote >= maxRemoteCandidates {
		l.mu.Unlock()
		return fmt.Errorf("icelink: more than %d remote candidates", maxRemoteCandidates)
	}
	l.nRemote++
	l.mu.Unlock()
	typ := c.Type
	if typ == "" {
		typ = "host"
	}
	comp := c.Component
	if comp == 0 {
		comp = 1
	}
	if comp != 1 {
		return ErrUnusable // rtcp-mux: one component
	}
	line := fmt.Sprintf("candidate:%s %d udp %d %s %d typ %s", nonEmpty(c.Foundation, "1"), comp, c.Priority, ip.String(), c.Port, typ)
	if c.RelAddr != "" && typ != "host" {
		line += fmt.Sprintf(" raddr %s rport %d", c.RelAddr, c.RelPort)
	}
	ic, err := ice.UnmarshalCandidate(line)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnusable, err)
	}
	return l.agent.AddRemoteCandidate(ic)
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ErrICEFailed is the reason a call ends when no candidate pair works.
var ErrICEFailed = errors.New("no network path to the other side worked (ICE failed)")

// Connect runs the connectivity checks with the peer's credentials and
// returns once a pair is selected, ICE fails, or ctx ends (a timeout the
// caller sets, so a call never hangs on a path that will not come).
func (l *Link) Connect(ctx context.Context, ufrag, pwd string) (*Conn, error) {
	if ufrag == "" || pwd == "" {
		return nil, errors.New("icelink: the peer sent no ICE ufrag/pwd")
	}
	var ic *ice.Conn
	var err error
	if l.cfg.Controlling {
		ic, err = l.agent.StartDial(ufrag, pwd)
	} else {
		ic, err = l.agent.StartAccept(ufrag, pwd)
	}
	if err != nil {
		return nil, fmt.Errorf("ICE: %w", err)
	}
	select {
	case <-l.connected:
	case <-l.failed:
		return nil, ErrICEFailed
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %v", ErrICEFailed, ctx.Err())
	}
	pair, err := l.agent.GetSelectedCandidatePair()
	if err != nil || pair == nil {
		return nil, ErrICEFailed
	}
	local := netip.AddrPortFrom(mustAddr(pair.Local.Address()), uint16(pair.Local.Port()))
	remote := netip.AddrPortFrom(mustAddr(pair.Remote.Address()), uint16(pair.Remote.Port()))
	c := newConn(ic, local, remote)
	l.mu.Lock()
	l.conn = c
	l.mu.Unlock()
	l.cfg.Log.Info("ICE connected", "local", local, "remote", remote)
	return c, nil
}

func mustAddr(s string) netip.Addr {
	a, _ := netip.ParseAddr(s)
	return a.Unmap()
}

// Failed is closed when ICE gives up on a connected call (consent lost).
func (l *Link) Failed() <-chan struct{} { return l.failed }

// Close stops the agent and every socket of the call.
func (l *Link) Close() error {
	l.mu.Lock()
	c := l.conn
	l.mu.Unlock()
	if c != nil {
		c.closeDemux()
	}
	return l.agent.Close()
}
