package sip

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Account is one SIP identity the phone registers and calls from.
type Account struct {
	User     string // "alice"
	AuthUser string // digest user name; defaults to User
	Password string
	// Domain is the address-of-record domain and the default for dialled
	// names without one: "example.org" or "127.0.0.1".
	Domain string
	// Registrar is the registrar and proxy, host:port; defaults to Domain
	// on port 5060.
	Registrar string
	// Proxy is an outbound proxy, host:port: when set, every request
	// outside a dialog (REGISTER included) is sent there instead of to
	// Registrar.
	Proxy string
	// Transport is "udp" (default), "tcp" or "tls".
	Transport string
	// TLS configures "tls": RootCAs/ServerName check the registrar's
	// certificate, Certificates is what we show to peers that connect to
	// us (a fresh self-signed one when empty). Nil means system roots.
	TLS *tls.Config
	// Listen is the local address to bind: every IPv4 interface on a free
	// port ("0.0.0.0:0") by default. The Contact names the address that
	// routes to the registrar.
	Listen string
	// Expires is the registration lifetime asked for; 600 s by default.
	Expires time.Duration
	// AcceptAnySource takes calls (and other out-of-dialog requests) from
	// any address, not only from Registrar and Proxy (trust.go). Off by
	// default: on a LAN anyone can send an INVITE.
	AcceptAnySource bool
}

// Name is how the account is shown: user@domain.
func (a Account) Name() string { return a.User + "@" + a.Domain }

func (a *Account) fill() error {
	if a.User == "" || a.Domain == "" {
		return errors.New("sip: an account needs a user and a domain")
	}
	if a.AuthUser == "" {
		a.AuthUser = a.User
	}
	a.Transport = strings.ToLower(a.Transport)
	switch a.Transport {
	case "":
		a.Transport = "udp"
	case "udp", "tcp", "tls":
	default:
		return fmt.Errorf("sip: transport %q is not supported for %s (use udp, tcp or tls)", a.Transport, a.Name())
	}
	port := "5060"
	if a.Transport == "tls" {
		port = "5061"
	}
	if a.Registrar == "" {
		a.Registrar = a.Domain
	}
	if _, _, err := net.SplitHostPort(a.Registrar); err != nil {
		a.Registrar = net.JoinHostPort(a.Registrar, port)
	}
	if a.Proxy == "" {
		a.Proxy = a.Registrar
	}
	if _, _, err := net.SplitHostPort(a.Proxy); err != nil {
		a.Proxy = net.JoinHostPort(a.Proxy, port)
	}
	if a.Listen == "" {
		a.Listen = "0.0.0.0:0"
	}
	if a.Expires <= 0 {
		a.Expires = 600 * time.Second
	}
	return nil
}

// AccountStatus reports an account's registration: Registered, or not and
// why (Err, in plain words).
type AccountStatus struct {
	Account    string
	Registered bool
	Expires    time.Duration // what the registrar granted
	Err        error
}

// ua is one account's user agent: its own sockets, registration and calls.
type ua struct {
	d      *Driver
	acct   Account
	log    *slog.Logger
	ua     *sipgo.UserAgent
	client *sipgo.Client
	server *sipgo.Server
	closer func() error

	host  string // our contact address
	port  int
	laddr sip.Addr // UDP: the listening socket requests leave from

	aor     sip.Uri // sip:alice@domain
	contact sip.ContactHeader

	regCallID string
	regTag    string
	regCSeq   uint32 // only touched by the register loop

	trust   *trust     // who may start a call (trust.go)
	refused logLimiter // "request from an untrusted address" lines
	limited logLimiter // "over the INVITE rate" lines

	mu     sync.Mutex
	status AccountStatus
}

func newUA(d *Driver, acct Account) (*ua, error) {
	a := &ua{d: d, acct: acct, log: d.log.With("account", acct.Name()), trust: newTrust(acct)}
	libLog := boundedLogger(a.log)
	uaOpts := []sipgo.UserAgentOption{sipgo.WithUserAgent("Padlock"), sipgo.WithUserAgentHostname(acct.Domain),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(libLog), sip.WithTransportLayerReadFilter(a.trust.readFilter)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(libLog)),
	}
	var serverTLS *tls.Config
	if acct.Transport == "tls" {
		clientTLS := &tls.Config{MinVersion: tls.VersionTLS12}
		if acct.TLS != nil {
			clientTLS = acct.TLS.Clone()
		}
		serverTLS = clientTLS.Clone()
		if len(serverTLS.Certificates) == 0 {
			cert, err := selfSigned(d.cfg.Rand)
			if err != nil {
				return nil, fmt.Errorf("sip: TLS certificate for %s: %w", acct.Name(), err)
			}
			serverTLS.Certificates = []tls.Certificate{cert}
		}
		uaOpts = append(uaOpts, sipgo.WithUserAgenTLSConfig(clientTLS))
	}
	var err error
	a.ua, err = sipgo.NewUA(uaOpts...)
	if err != nil {
		return nil, fmt.Errorf("sip: user agent for %s: %w", acct.Name(), err)
	}
	a.server, err = sipgo.NewServer(a.ua, sipgo.WithServerLogger(libLog))
	if err != nil {
		a.ua.Close()
		return nil, err
	}
	// Bind first, serve last: sipgo's handler table is not safe to change
	// while requests come in, and the handlers need the contact.
	var listenHost string
	var serve func()
	switch acct.Transport {
	case "udp":
		pc, err := net.ListenPacket("udp", acct.Listen)
		if err != nil {
			a.ua.Close()
			return nil, fmt.Errorf("sip: cannot listen on udp %s for %s: %w", acct.Listen, acct.Name(), err)
		}
		a.closer = pc.Close
		a.host, a.port = hostPort(pc.LocalAddr())
		listenHost = a.host
		serve = func() {
			go a.server.ServeUDP(pc)
			// ServeUDP puts the socket into sipgo's pool from its goroutine;
			// requests sent before that would bind a second socket and fail.
			pool := a.ua.TransportLayer().Pool("udp")
			for i := 0; i < 1000; i++ {
				if c := pool.Get(pc.LocalAddr().String()); c != nil {
					c.TryClose()
					break
				}
				time.Sleep(time.Millisecond)
			}
		}
	case "tcp":
		l, err := net.Listen("tcp", acct.Listen)
		if err != nil {
			a.ua.Close()
			return nil, fmt.Errorf("sip: cannot listen on tcp %s for %s: %w", acct.Listen, acct.Name(), err)
		}
		a.closer = l.Close
		a.host, a.port = hostPort(l.Addr())
		serve = func() { go a.server.ServeTCP(l) }
	case "tls":
		l, err := tls.Listen("tcp", acct.Listen, serverTLS)
		if err != nil {
			a.ua.Close()
			return nil, fmt.Errorf("sip: cannot listen on tls %s for %s: %w", acct.Listen, acct.Name(), err)
		}
		a.closer = l.Close
		a.host, a.port = hostPort(l.Addr())
		serve = func() { go a.server.ServeTLS(l) }
	}
	if ip := net.ParseIP(a.host); ip == nil || ip.IsUnspecified() {
		// Bound to every interface: advertise the one that leads to the registrar.
		a.host = localIPToward(acct.Registrar)
	}
	opts := []sipgo.ClientOption{
		sipgo.WithClientLogger(libLog),
		sipgo.WithClientHostname(a.host),
		sipgo.WithClientPort(a.port),
		sipgo.WithClientNAT(), // rport (RFC 3581)
	}
	if acct.Transport == "udp" {
		// Send from the listening socket, so that what we register is
		// where replies and new calls come back to.
		a.laddr = sip.Addr{IP: net.ParseIP(a.host), Port: a.port, Hostname: a.host}
		if ip := net.ParseIP(listenHost); ip != nil && ip.IsUnspecified() {
			a.laddr.IP = ip
		}
	}
	a.client, err = sipgo.NewClient(a.ua, opts...)
	if err != nil {
		a.close()
		return nil, err
	}
	a.aor = sip.Uri{Scheme: "sip", User: acct.User, Host: acct.Domain}
	a.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: acct.User, Host: a.host, Port: a.port}}
	if acct.Transport != "udp" {
		a.contact.Address.UriParams = sip.NewParams()
		a.contact.Address.UriParams.Add("transport", acct.Transport)
	}
	a.regCallID = d.token(16) + "@padlock"
	a.regTag = d.token(10)
	a.server.OnInvite(a.onInvite)
	a.server.OnAck(a.onAck)
	a.server.OnBye(a.onBye)
	a.server.OnCancel(a.onStrayCancel)
	a.server.OnRefer(a.onRefer)   // transfer.go
	a.server.OnNotify(a.onNotify) // transfer.go
	a.server.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		if !a.mayStart(req) {
			return
		}
		respond(a.log, tx, sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	a.server.OnNoRoute(func(req *sip.Request, tx sip.ServerTransaction) {
		if !a.mayStart(req) {
			return
		}
		respond(a.log, tx, sip.NewResponseFromRequest(req, 405, "Method Not Allowed", nil))
	})
	serve()
	return a, nil
}

// send is the sipgo request option for every request we build ourselves:
// add a Via, and over UDP leave from the listening socket.
func (a *ua) send(c *sipgo.Client, r *sip.Request) error {
	if err := sipgo.ClientRequestAddVia(c, r); err != nil {
		return err
	}
	if a.laddr.IP != nil {
		a.laddr.Copy(&r.Laddr)
	}
	return nil
}

func (a *ua) close() {
	a.ua.Close()
	if a.closer != nil {
		a.closer()
	}
}

func hostPort(addr net.Addr) (string, int) {
	h, p, _ := net.SplitHostPort(addr.String())
	n, _ := strconv.Atoi(p)
	return h, n
}

func localIPToward(hostport string) string {
	c, err := net.Dial("udp", hostport)
	if err != nil {
		return "127.0.0.1"
	}
	defer c.Close()
	h, _ := hostPort(c.LocalAddr())
	return h
}

// splitList splits a header value on the commas between addresses (not
// inside <> or quotes).
func splitList(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			quoted = !quoted
		case '<':
			if !quoted {
				depth++
			}
		case '>':
			if !quoted && depth > 0 {
				depth--
			}
		case ',':
			if !quoted && depth == 0 {
				out = append(out, strings.TrimSpace(v[start:i]))
				start = i + 1
			}
		}
	}
	if s := strings.TrimSpace(v[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

func (a *ua) setStatus(s AccountStatus) {
	a.mu.Lock()
	old := a.status
	a.status = s
	a.mu.Unlock()
	changed := old.Registered != s.Registered || old.Expires != s.Expires || errText(old.Err) != errText(s.Err)
	if changed && a.d.cfg.OnStatus != nil {
		a.d.cfg.OnStatus(s)
	}
}

// Status is the account's registration now.
func (a *ua) Status() AccountStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func respond(log *slog.Logger, tx sip.ServerTransaction, res *sip.Response) {
	if err := tx.Respond(res); err != nil {
		log.Debug("response not sent", "status", res.StatusCode, "err", err)
	}
}
