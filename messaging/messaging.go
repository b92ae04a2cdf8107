// Package messaging runs the phone's XMPP accounts: one xmpp.Client per
// enabled account whose password is known, and, per account, what the web
// admin shows of it: roster with live presence, pending subscription
// requests, conversations and unread counts.
package messaging

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/padlock-phone/padlock/internal/fingerprint"
	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/store"
)

// ErrPrivateRequired refuses a message that could only go out in clear
// while the require_private_messaging setting is on (the account has no
// OTR key): a message must never go out in clear behind the person's back.
var ErrPrivateRequired = errors.New("private messaging is required, so nothing was sent in clear")

// ErrNoAccount is returned for an account that is not running.
var ErrNoAccount = errors.New("this XMPP account is not connected (disabled, password not entered, or not an XMPP account)")

// Passwords gives an account's password (keyring.Keyring does).
type Passwords interface {
	AccountPassword(ctx context.Context, id int64) ([]byte, error)
}

// Config wires the service.
type Config struct {
	Store     *store.Store
	Passwords Passwords
	// DataDir holds the packet log (xmpp-packets.log and .1).
	DataDir string
	Log     *slog.Logger
	// Unread gets the number of unread messages plus pending requests
	// whenever it changes. May be nil.
	Unread func(n int)
	// RootCAs verifies servers; nil means the system roots.
	RootCAs *x509.CertPool
	// Backoff between reconnections (zero: 1 s doubling to 60 s).
	Backoff xmpp.Backoff
	// PacketLogMax caps the packet log file (0: 1 MiB); one older file is kept.
	PacketLogMax int64
	Now          func() time.Time
	// Rand is the randomness for OTR (keys, instance tags, the engine);
	// nil means crypto/rand.
	Rand io.Reader
	// Caps goes into every account's presence (XEP-0115): the Jingle
	// line's, so other clients show a call button. Zero: none.
	Caps xmpp.Caps
}

// Line is one message of a conversation.
type Line struct {
	Time time.Time `json:"time"`
	In   bool      `json:"in"`
	Body string    `json:"body"`
	// Held is set on a message kept only in memory: history is off, or the
	// vault was locked when it came.
	Held bool `json:"held"`
	// Pending is set on a message typed while the conversation was not
	// private (and privacy is required): held back, sent once OTR is up.
	Pending bool `json:"pending"`
	// Nick is the sender's nickname in a room ("" in a chat).
	Nick string `json:"nick,omitempty"`
	// toStore marks a line held only because the vault was locked: it goes
	// to history on unlock. Lines that came while history was off never do.
	toStore bool
}

// Contact is a roster entry with its presence.
type Contact struct {
	xmpp.Contact
	Online bool   `json:"online"`
	Show   string `json:"show"`
	Status string `json:"status"`
	Unread int    `json:"unread"`
	// Waiting: we asked to see their presence and they have not answered
	// ("waiting for authorisation").
	Waiting bool `json:"waiting"`
	// Callable: one of the contact's devices online takes voice calls
	// (Jingle RTP audio over ICE-UDP, by its disco#info), so the contacts
	// page offers "Call" (xmpp:JID on the Jingle line).
	Callable bool `json:"callable"`
}

// Account is what the web admin shows of one account.
type Account struct {
	ID        int64     `json:"id"`
	Address   string    `json:"address"`
	Status    string    `json:"status"`
	Connected bool      `json:"connected"`
	Contacts  []Contact `json:"contacts"`
	Groups    []string  `json:"groups"`
	Pending   []string  `json:"pending"`
	// Strangers wrote to us but are not in the roster, with unread counts.
	Strangers map[string]int `json:"strangers"`
	// Fingerprint is the certificate a server presented that did not
	// verify, for the person to compare and pin; "" otherwise.
	Fingerprint string       `json:"fingerprint"`
	Rooms       []Room       `json:"rooms"`
	Invitations []Invitation `json:"invitations"`
}

// Service runs the accounts. Create it with New; Reload starts them.
type Service struct {
	cfg  Config
	plog *rotator

	reload sync.Mutex // one Reload at a time
	// unread serialises computing and reporting the count, so reports
	// cannot overtake each other and leave the lamp on a stale number.
	unread sync.Mutex

	mu       sync.Mutex
	accts    map[int64]*acct
	groups   []string // the store's groups (made in the web admin), for every account
	watchers map[chan struct{}]struct{}
	lastN    int
	keys     map[int64]*otrKey   // OTR keys read or made, by account
	keygen   map[int64]KeyStatus // key generation in progress or failed
	bg       sync.WaitGroup      // key generations, waited for by Close
	probes   chan struct{}       // disco#info probes in flight (calls.go)
}

// acct is one account's state; it outlives its client across reloads.
type acct struct {
	a        store.Account
	password []byte
	client   *xmpp.Client
	cancel   context.CancelFunc
	done     chan struct{}

	status      string
	connected   bool
	fingerprint string
	roster      []xmpp.Contact
	presence    map[string]map[string]xmpp.Presence // bare -> resource
	pending     []string
	ignored     map[string]bool
	held        map[string][]Line
	unread      map[string]int
	rooms       map[string]*room // bare room JID
	invites     []xmpp.Invitation

	// callable: bare -> resource -> whether that device takes Jingle
	// audio calls (false while its disco#info is asked or when it does not).
	callable map[string]map[string]bool

	// otrMu serialises the OTR conversations (the engine is not safe for
	// concurrent use) and what they put on the wire, in order. Taken
	// before mu, never while holding it.
	otrMu sync.Mutex
	convs map[string]*otrConv
}

// New makes the service; nothing runs until Reload.
func New(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PacketLogMax <= 0 {
		cfg.PacketLogMax = 1 << 20
	}
	s := &Service{cfg: cfg, accts: map[int64]*acct{}, watchers: map[chan struct{}]struct{}{},
		keys: map[int64]*otrKey{}, keygen: map[int64]KeyStatus{}, probes: make(chan struct{}, 4)}
	if cfg.DataDir != "" {
		s.plog = &rotator{path: filepath.Join(cfg.DataDir, PacketLogName), max: cfg.PacketLogMax}
	}
	return s
}

// PacketLogName is the packet log's file name in the data directory.
const PacketLogName = "xmpp-packets.log"

// ClientConfig is the xmpp.Config of a stored account.
func ClientConfig(a store.Account, password []byte, roots *x509.CertPool) (xmpp.Config, error) {
	c := xmpp.Config{JID: a.Address(), Password: password, RootCAs: roots}
	if a.Transport == store.TLS {
		c.TLS = xmpp.DirectTLS
	}
	port := a.Port
	if port == 0 {
		port = 5222
		if c.TLS == xmpp.DirectTLS {
			port = 5223
		}
	}
	switch {
	case a.Proxy != "":
		if _, _, err := net.SplitHostPort(a.Proxy); err == nil {
			c.Server = a.Proxy
		} else {
			c.Server = net.JoinHostPort(a.Proxy, strconv.Itoa(port))
		}
	case a.Port != 0:
		c.Server = net.JoinHostPort(a.Server, strconv.Itoa(port))
	}
	if a.TLSFingerprint != "" {
		fp, err := fingerprint.Parse(a.TLSFingerprint)
		if err != nil {
			return c, fmt.Errorf("pinned fingerprint of %s: %w", a.Address(), err)
		}
		c.PinnedFingerprint = fp
	}
	return c, nil
}

// Register creates an account on its server in-band (XEP-0077).
// xmpp.ErrUsernameTaken and xmpp.ErrRegistrationClosed are returned as is.
func (s *Service) Register(ctx context.Context, a store.Account, password []byte) error {
	c, err := ClientConfig(a, password, s.cfg.RootCAs)
	if err != nil {
		return err
	}
	c.Logger = s.cfg.Log
	c.PacketLog = s.packetLog
	return xmpp.Register(ctx, c)
}

// UntrustedCertificate tells whether err is a server certificate that did
// not verify (nor match a pin), and if so gives the fingerprint it
// presented, formatted for the person to compare and pin.
func UntrustedCertificate(err error) (fingerprintSHA256 string, ok bool) {
	var ce *xmpp.CertificateError
	if !errors.As(err, &ce) {
		return "", false
	}
	return fingerprint.Format(ce.Fingerprint), true
}

// ChangePassword changes the account's password on the server and returns
// nil once the server confirmed. The caller then saves it.
func (s *Service) ChangePassword(ctx context.Context, id int64, password []byte) error {
	c := s.client(id)
	if c == nil {
		return ErrNoAccount
	}
	return c.ChangePassword(ctx, password)
}

// Reload follows the stored accounts: new or changed ones are (re)started,
// removed or disabled ones stopped, unchanged ones left alone. Messages
// held while the vault was locked are written to history if it is on.
func (s *Service) Reload(ctx context.Context) error {
	s.reload.Lock()
	defer s.reload.Unlock()
	accs, err := s.cfg.Store.Accounts(ctx)
	if err != nil {
		return err
	}
	if gs, err := s.cfg.Store.Groups(ctx); err == nil {
		names := make([]string, 0, len(gs))
		for _, g := range gs {
			names = append(names, g.Name)
		}
		s.mu.Lock()
		s.groups = names
		s.mu.Unlock()
	} else {
		s.cfg.Log.Warn("could not read the contact groups", "err", err)
	}
	want := map[int64]store.Account{}
	pws := map[int64][]byte{}
	for _, a := range accs {
		if a.Kind != store.XMPP || !a.Enabled {
			continue
		}
		pw, err := s.cfg.Passwords.AccountPassword(ctx, a.ID)
		if err != nil || len(pw) == 0 {
			continue
		}
		want[a.ID], pws[a.ID] = a, pw
	}
	var stop []*acct
	var start []*acct
	s.mu.Lock()
	for id, ac := range s.accts {
		a, ok := want[id]
		if !ok {
			stop = append(stop, ac)
			delete(s.accts, id)
			delete(s.keys, id) // the account (and its sealed key) may be gone
			continue
		}
		if a != ac.a || string(pws[id]) != string(ac.password) {
			stop = append(stop, &acct{cancel: ac.cancel, done: ac.done, client: ac.client})
			ac.a, ac.password = a, pws[id]
			start = append(start, ac)
		}
	}
	for id, a := range want {
		if _, ok := s.accts[id]; !ok {
			ac := &acct{a: a, password: pws[id], presence: map[string]map[string]xmpp.Presence{},
				ignored: map[string]bool{}, held: map[string][]Line{}, unread: map[string]int{}, convs: map[string]*otrConv{}}
			s.accts[id] = ac
			start = append(start, ac)
		}
	}
	s.mu.Unlock()
	for _, ac := range stop {
		if ac.cancel != nil {
			ac.cancel()
			<-ac.done
		}
	}
	for _, ac := range start {
		s.mu.Lock()
		ac.client, ac.connected, ac.status, ac.fingerprint = nil, false, "connecting", ""
		cctx, cancel := context.WithCancel(context.Background())
		ac.cancel, ac.done = cancel, make(chan struct{})
		cfg, err := ClientConfig(ac.a, ac.password, s.cfg.RootCAs)
		cfg.Caps = s.cfg.Caps
		done := ac.done
		s.mu.Unlock()
		if err != nil {
			s.setStatus(ac, err.Error())
			close(done)
			continue
		}
		cfg.Logger = s.cfg.Log.With("account", ac.a.ID)
		cfg.PacketLog = s.packetLog
		cfg.Backoff = s.cfg.Backoff
		go s.runAccount(cctx, ac, cfg, done)
	}
	s.flushHeld(ctx)
	s.changed()
	return nil
}

// Close stops every account.
func (s *Service) Close() {
	s.reload.Lock()
	defer s.reload.Unlock()
	s.mu.Lock()
	var all []*acct
	for id, ac := range s.accts {
		all = append(all, ac)
		delete(s.accts, id)
	}
	s.mu.Unlock()
	for _, ac := range all {
		if ac.cancel != nil {
			ac.cancel()
			<-ac.done
		}
	}
	s.bg.Wait()
	if s.plog != nil {
		s.plog.close()
	}
}

// runAccount dials (retrying while the server is unreachable) and turns
// the client's events into state until ctx ends.
func (s *Service) runAccount(ctx context.Context, ac *acct, cfg xmpp.Config, done chan struct{}) {
	defer close(done)
	wait := cfg.Backoff.Initial
	if wait <= 0 {
		wait = time.Second
	}
	var c *xmpp.Client
	for {
		var err error
		c, err = xmpp.Dial(ctx, cfg)
		if err == nil {
			break
		}
		s.mu.Lock()
		ac.status = "not connected: " + err.Error()
		if fp, ok := UntrustedCertificate(err); ok {
			ac.fingerprint = fp
		}
		s.mu.Unlock()
		s.changed()
		// Only a wrong password or an untrusted certificate waits for the
		// person; anything else (a refused binding, a temporary refusal,
		// an unreachable server) is tried again with backoff.
		if xmpp.Final(err) || ctx.Err() != nil {
			<-ctx.Done()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, 60*time.Second)
	}
	defer c.Close()
	s.mu.Lock()
	ac.client = c
	s.mu.Unlock()
	s.clientUp(ac.a.Address(), c) // calls ride on the session (calls.go)
	defer s.clientDown(ac.a.Address())
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-c.Events():
			if !ok {
				return
			}
			s.apply(ac, ev)
		}
	}
}

func (s *Service) setStatus(ac *acct, status string) {
	s.mu.Lock()
	ac.status = status
	s.mu.Unlock()
	s.changed()
}

// apply folds one client event into the account's state.
func (s *Service) apply(ac *acct, ev xmpp.Event) {
	s.mu.Lock()
	switch ev := ev.(type) {
	case xmpp.Connected:
		ac.connected, ac.status, ac.fingerprint = true, "connected", ""
		if c := ac.client; c != nil {
			s.bg.Add(1)
			go func() {
				defer s.bg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				s.rejoin(ctx, ac, c)
			}()
		}
	case xmpp.RoomPresence, xmpp.RoomMessage, xmpp.RoomError, xmpp.Invitation:
		room, line := s.applyRoomLocked(ac, ev)
		s.mu.Unlock()
		if line != nil {
			stored := *line
			stored.Body = line.Nick + ": " + line.Body
			s.recordRoom(ac.a.ID, room, *line, stored)
		}
		s.changed()
		return
	case xmpp.Disconnected:
		ac.connected = false
		ac.presence = map[string]map[string]xmpp.Presence{}
		ac.callable = nil
		if ev.GaveUp {
			ac.status = "not connected: " + ev.Err.Error()
		} else {
			ac.status = fmt.Sprintf("reconnecting in %s: %v", ev.RetryIn.Round(time.Second), ev.Err)
		}
	case xmpp.RosterChanged:
		ac.roster = ev.Contacts
		// A request is settled once the contact may see our presence.
		for _, c := range ev.Contacts {
			if c.Subscription == "from" || c.Subscription == "both" {
				ac.pending = slices.DeleteFunc(ac.pending, func(p string) bool { return p == c.JID })
			}
		}
	case xmpp.Presence:
		m := ac.presence[ev.From]
		if m == nil {
			m = map[string]xmpp.Presence{}
			ac.presence[ev.From] = m
		}
		if ev.Available {
			m[ev.Resource] = ev
			s.probeLocked(ac, ev.From, ev.Resource)
		} else {
			delete(m, ev.Resource)
			delete(ac.callable[ev.From], ev.Resource)
		}
	case xmpp.SubscriptionRequest:
		if !slices.Contains(ac.pending, ev.From) {
			ac.pending = append(ac.pending, ev.From)
		}
	case xmpp.Message:
		if ev.Body == "" {
			break
		}
		s.mu.Unlock()
		s.receiveOTR(ac, ev.From, ev.Body)
		return
	}
	s.mu.Unlock()
	s.changed()
}

// Account returns one account's state; false if it is not running.
func (s *Service) Account(id int64) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ac := s.accts[id]
	if ac == nil {
		return Account{}, false
	}
	v := Account{ID: id, Address: ac.a.Address(), Status: ac.status, Connected: ac.connected,
		Fingerprint: ac.fingerprint, Rooms: roomsLocked(ac)}
	for _, inv := range ac.invites {
		v.Invitations = append(v.Invitations, Invitation{From: inv.From, Room: inv.Room, Reason: inv.Reason})
	}
	groups := map[string]bool{}
	for _, g := range s.groups {
		groups[g] = true
	}
	for _, c := range ac.roster {
		ct := Contact{Contact: c, Unread: ac.unread[c.JID],
			Waiting: c.Asked && (c.Subscription == "none" || c.Subscription == "from")}
		for r, p := range ac.presence[c.JID] {
			ct.Online, ct.Show, ct.Status = true, p.Show, p.Status
			ct.Callable = ct.Callable || ac.callable[c.JID][r]
		}
		for _, g := range c.Groups {
			groups[g] = true
		}
		v.Contacts = append(v.Contacts, ct)
	}
	for g := range groups {
		v.Groups = append(v.Groups, g)
	}
	for from, n := range ac.unread {
		if !slices.ContainsFunc(ac.roster, func(c xmpp.Contact) bool { return c.JID == from }) {
			if v.Strangers == nil {
				v.Strangers = map[string]int{}
			}
			v.Strangers[from] = n
		}
	}
	sort.Strings(v.Groups)
	for _, p := range ac.pending {
		if !ac.ignored[p] {
			v.Pending = append(v.Pending, p)
		}
	}
	return v, true
}

// Status is the account's connection in words, "" if it is not running.
func (s *Service) Status(id int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ac := s.accts[id]; ac != nil {
		return ac.status
	}
	return ""
}

func (s *Service) client(id int64) *xmpp.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ac := s.accts[id]; ac != nil {
		return ac.client
	}
	return nil
}

// Unread is the number of unread messages and unanswered, not ignored
// requests over all accounts.
func (s *Service) Unread() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unreadLocked()
}

func (s *Service) unreadLocked() int {
	n := 0
	for _, ac := range s.accts {
		for _, u := range ac.unread {
			n += u
		}
		for _, p := range ac.pending {
			if !ac.ignored[p] {
				n++
			}
		}
	}
	return n
}

// Watch returns a channel that receives a value after changes, and a
// function to stop watching.
func (s *Service) Watch() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.watchers[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.watchers, ch)
		s.mu.Unlock()
	}
}

// changed wakes watchers and reports the unread count when it moved.
func (s *Service) changed() {
	s.mu.Lock()
	for ch := range s.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	s.mu.Unlock()
	s.unread.Lock()
	defer s.unread.Unlock()
	s.mu.Lock()
	n := s.unreadLocked()
	moved := n != s.lastN
	s.lastN = n
	s.mu.Unlock()
	if moved && s.cfg.Unread != nil {
		s.cfg.Unread(n)
	}
}
