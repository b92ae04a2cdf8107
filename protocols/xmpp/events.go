package xmpp

import (
	"sync"
	"time"
)

// Event is something that happened on an account: one of Connected,
// Disconnected, RosterChanged, Presence, SubscriptionRequest, Message.
type Event interface{ isEvent() }

// Connected: the session is up (again), logged in, the roster fetched and
// our presence sent. JID is the full JID the server bound.
type Connected struct{ JID string }

// Disconnected: the session went down or an attempt to bring it back failed.
// RetryIn is the wait before the next attempt; GaveUp is set instead when
// retrying cannot help (wrong password, untrusted certificate) and the
// account needs the user's attention.
type Disconnected struct {
	Err     error
	RetryIn time.Duration
	GaveUp  bool
}

// Contact is one roster entry.
type Contact struct {
	JID  string // bare JID
	Name string
	// Groups is usually zero or one group.
	Groups []string
	// Subscription is "none", "to" (we see their presence), "from" (they see
	// ours) or "both".
	Subscription string
	// Asked is true while our subscription request awaits their answer.
	Asked bool
}

// RosterChanged carries the whole roster after a fetch or a push, sorted by
// JID.
type RosterChanged struct{ Contacts []Contact }

// Presence of one resource of a contact.
type Presence struct {
	From      string // bare JID
	Resource  string
	Available bool
	Show      string // "", "away", "chat", "dnd" or "xa"
	Status    string
}

// SubscriptionRequest: From asks to see our presence. Answer with
// Client.Authorize or Client.Deny, or ignore it.
type SubscriptionRequest struct{ From string }

// Message is an incoming chat message. Body is as received: OTR messages
// are for the caller to decrypt.
type Message struct {
	From     string // bare JID
	Resource string
	ID       string
	Body     string
}

func (Connected) isEvent()           {}
func (Disconnected) isEvent()        {}
func (RosterChanged) isEvent()       {}
func (Presence) isEvent()            {}
func (SubscriptionRequest) isEvent() {}
func (Message) isEvent()             {}

// eventQueue hands events to the caller in order without ever blocking the
// session's reader: events wait in an unbounded slice until the caller
// takes them.
type eventQueue struct {
	out    chan Event
	mu     sync.Mutex
	items  []Event
	wake   chan struct{}
	stop   chan struct{}
	closed bool
}

func newEventQueue() *eventQueue {
	q := &eventQueue{out: make(chan Event), wake: make(chan struct{}, 1), stop: make(chan struct{})}
	go q.pump()
	return q
}

func (q *eventQueue) push(e Event) {
	q.mu.Lock()
	if !q.closed {
		q.items = append(q.items, e)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *eventQueue) pump() {
	defer close(q.out)
	for {
		q.mu.Lock()
		var next Event
		if len(q.items) > 0 {
			next = q.items[0]
			q.items[0] = nil
			q.items = q.items[1:]
		}
		q.mu.Unlock()
		if next == nil {
			select {
			case <-q.wake:
				continue
			case <-q.stop:
				return
			}
		}
		select {
		case q.out <- next:
		case <-q.stop:
			return
		}
	}
}

// close drops undelivered events and closes the channel.
func (q *eventQueue) close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	q.items = nil
	q.mu.Unlock()
	close(q.stop)
}
