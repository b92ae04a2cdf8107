package xmpp

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/stanza"
)

// Client is one account's connection. It reconnects by itself until Close.
// All methods are safe for concurrent use.
type Client struct {
	acct   *account
	events *eventQueue
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	done   chan struct{} // closed when run has returned

	mu       sync.Mutex
	link     *link // nil while disconnected
	password []byte
	// tls12: the server refused tls-exporter but took tls-unique, so
	// logins go over TLS 1.2 (see account.login).
	tls12  bool
	rooms  map[string]*roomState // bare room JID -> our occupant
	roster map[string]Contact    // bare JID -> contact
	// While a session is being brought up (connecting), events from the
	// server are held so that Connected and the fetched roster come first,
	// and roster pushes are held so they apply on top of the fetch result.
	connecting   bool
	presenceEcho *presenceEcho
	heldPushes   [][]rosterItem
	heldEvents   []Event
}

// link is one live session and the goroutine serving it.
type link struct {
	sess   *xmpp.Session
	served chan struct{} // closed when Serve returns
	err    error         // Serve's result, valid after served is closed

	mu   sync.Mutex
	dead error // why keepAlive cut the connection
}

// Dial logs in to the account and keeps the session up until Close. The
// first attempt is made here and its failure returned (wrong password,
// unreachable server, untrusted certificate); later drops are retried with
// backoff and reported as Disconnected events.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	a, err := newAccount(cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{acct: a, events: newEventQueue(), done: make(chan struct{}), password: a.cfg.Password}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	l, err := c.connect(ctx)
	if err != nil {
		c.cancel()
		c.events.close()
		return nil, err
	}
	go c.run(l)
	return c, nil
}

// Events returns the account's events, in order. It is closed by Close;
// events not yet taken then are dropped.
func (c *Client) Events() <-chan Event { return c.events.out }

// Close ends the session and stops reconnecting. The client's copy of the
// password is wiped (the SASL library keeps its own string copy until it is
// garbage collected).
func (c *Client) Close() error {
	c.cancel()
	<-c.done
	c.mu.Lock()
	clear(c.password)
	c.mu.Unlock()
	return nil
}

// connect runs one attempt: session, serving goroutine, roster, presence.
func (c *Client) connect(ctx context.Context) (*link, error) {
	c.mu.Lock()
	password, tls12 := c.password, c.tls12
	c.mu.Unlock()
	sess, tls12, err := c.acct.login(ctx, password, tls12)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.tls12 = tls12
	c.mu.Unlock()
	// A server that offered neither STARTTLS nor SASL would leave a "ready"
	// but unencrypted or anonymous stream: refuse it.
	if st := sess.State(); st&xmpp.Secure == 0 || st&xmpp.Authn == 0 {
		sess.Conn().Close()
		return nil, fmt.Errorf("server %s did not offer an encrypted, authenticated session (%v)", c.acct.addr, st)
	}
	l := &link{sess: sess, served: make(chan struct{})}
	c.mu.Lock()
	c.connecting = true
	c.mu.Unlock()
	go func() {
		l.err = sess.Serve(xmpp.HandlerFunc(c.handle))
		close(l.served)
	}()
	contacts, err := c.acct.fetchRoster(ctx, sess)
	if err == nil {
		err = c.sendPresence(ctx, sess)
	}
	if err != nil {
		c.drop(l)
		c.mu.Lock()
		c.connecting, c.heldPushes, c.heldEvents = false, nil, nil
		c.mu.Unlock()
		return nil, c.acct.classify(&attempt{}, fmt.Errorf("roster and presence: %w", err))
	}
	c.acct.log.Info("xmpp connected", "bound", sess.LocalAddr().String(), "addr", c.acct.addr)
	c.mu.Lock()
	c.installRosterLocked(contacts)
	c.link = l
	// Rooms do not survive a new session: say we are out of them (before
	// Connected), so that the caller joins again.
	var left []Event
	for room, st := range c.rooms {
		if st.joined == nil {
			left = append(left, RoomPresence{Room: room, Nick: st.nick, Self: true, Status: "the connection to the server was lost"})
		}
	}
	c.rooms = nil
	for _, ev := range left {
		c.events.push(ev)
	}
	c.events.push(Connected{JID: sess.LocalAddr().String()})
	c.events.push(RosterChanged{Contacts: c.snapshotLocked()})
	for _, ev := range c.heldEvents {
		c.events.push(ev)
	}
	c.connecting, c.heldEvents = false, nil
	c.mu.Unlock()
	go c.keepAlive(l)
	return l, nil
}

// keepAlive pings the server every PingInterval and cuts the connection
// when no answer comes within Timeout, so that run reconnects. Any answer,
// even an error, shows the session is alive.
func (c *Client) keepAlive(l *link) {
	t := time.NewTicker(c.acct.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-l.served:
			return
		case <-t.C:
		}
		ctx, cancel := withTimeout(c.ctx, c.acct.cfg.Timeout)
		ping := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"}})
		r, err := c.acct.sendIQ(ctx, l.sess, stanza.IQ{Type: stanza.GetIQ, To: c.acct.jid.Domain()}, ping)
		if err == nil && r.Type == "error" {
			c.acct.log.Debug("xmpp ping answered with an error (still alive)", "err", replyErr(r))
		}
		cancel()
		if err == nil || c.ctx.Err() != nil {
			continue
		}
		l.mu.Lock()
		l.dead = fmt.Errorf("no answer to a ping within %v: %w", c.acct.cfg.Timeout, err)
		l.mu.Unlock()
		l.sess.Conn().Close()
		return
	}
}

// drop closes a link and waits for its Serve to end: it ends the stream
// politely, gives the server a second to end its side, then cuts the
// connection. (Session.SetCloseDeadline would do this but races with Serve
// in mellium v0.22.0.)
func (c *Client) drop(l *link) {
	l.sess.Close()
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-l.served:
	case <-t.C:
	}
	l.sess.Conn().Close()
	<-l.served
}

// run serves the current link and reconnects when it drops, until Close.
func (c *Client) run(l *link) {
	defer close(c.done)
	defer c.events.close()
	for {
		select {
		case <-l.served:
		case <-c.ctx.Done():
			c.mu.Lock()
			c.link = nil
			c.mu.Unlock()
			c.drop(l)
			return
		}
		c.mu.Lock()
		c.link = nil
		c.mu.Unlock()
		cause := l.err
		l.mu.Lock()
		if l.dead != nil {
			cause = l.dead
		}
		l.mu.Unlock()
		if cause == nil {
			cause = errors.New("the server closed the session")
		}
		c.acct.log.Warn("xmpp session lost", "err", cause)
		if l = c.reconnect(&UnreachableError{Addr: c.acct.addr, Err: cause}); l == nil {
			return
		}
	}
}

// reconnect retries with exponential backoff until it succeeds (returns the
// new link), the client is closed, or the failure needs the user (nil).
func (c *Client) reconnect(cause error) *link {
	b := c.acct.cfg.Backoff
	delay := b.Initial
	c.events.push(Disconnected{Err: cause, RetryIn: delay})
	for {
		t := time.NewTimer(delay)
		select {
		case <-c.ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		ctx, cancel := withTimeout(c.ctx, c.acct.cfg.Timeout)
		l, err := c.connect(ctx)
		cancel()
		if err == nil {
			return l
		}
		if c.ctx.Err() != nil {
			return nil
		}
		if Final(err) {
			c.acct.log.Error("xmpp reconnect refused; giving up", "err", err)
			c.events.push(Disconnected{Err: err, GaveUp: true})
			return nil
		}
		delay = min(delay*2, b.Max)
		c.acct.log.Warn("xmpp reconnect failed", "err", err, "retry_in", delay)
		c.events.push(Disconnected{Err: err, RetryIn: delay})
	}
}

// session returns the live session or why there is none.
func (c *Client) session() (*xmpp.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx.Err() != nil {
		return nil, ErrClosed
	}
	if c.link == nil {
		return nil, ErrNotConnected
	}
	return c.link.sess, nil
}

// Roster returns the current roster, sorted by JID.
func (c *Client) Roster() []Contact {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snapshotLocked()
}

func (c *Client) snapshotLocked() []Contact {
	out := make([]Contact, 0, len(c.roster))
	for _, ct := range c.roster {
		ct.Groups = append([]string(nil), ct.Groups...)
		out = append(out, ct)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].JID < out[j].JID })
	return out
}

// withTimeout gives ctx a deadline d from now unless it has an earlier one.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}
