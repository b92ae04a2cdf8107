package webadmin

import (
	"encoding/json"
	"slices"

	"github.com/padlock-phone/padlock/messaging"
)

// xmppDelta is what one chat event stream has sent so far, so that each
// event carries only what changed: a contact, a new line, a field of the
// account. One new message to an account with 1000 contacts used to send
// the whole roster and up to 500 lines (214 KB, issue 19); now it sends the
// line, or the one contact whose unread count moved.
type xmppDelta struct {
	sent     bool
	fields   map[string]string // account field (contacts aside) -> its JSON
	contacts map[string]string // contact address -> its JSON
	lines    []string          // JSON of each line the page holds
	otr      string
	room     string
}

// xmppEvent is one event of the stream. The first one holds everything;
// the page (xmpp.js) keeps the model and applies each later one.
type xmppEvent struct {
	Account  map[string]json.RawMessage `json:"account,omitempty"`  // changed fields
	Contacts []json.RawMessage          `json:"contacts,omitempty"` // added or changed
	Gone     []string                   `json:"gone,omitempty"`     // contacts removed
	Lines    *linesDelta                `json:"lines,omitempty"`
	OTR      json.RawMessage            `json:"otr,omitempty"`
	Room     json.RawMessage            `json:"room,omitempty"`
}

// linesDelta changes the page's lines: all replaced, or the oldest Drop
// removed (they left the window) and Add appended.
type linesDelta struct {
	Replace bool              `json:"replace,omitempty"`
	Drop    int               `json:"drop,omitempty"`
	Add     []json.RawMessage `json:"add"`
}

// account records a, and returns its changed fields and contacts.
func (d *xmppDelta) account(ev *xmppEvent, a messaging.Account) {
	contacts := a.Contacts
	a.Contacts = nil
	var fields map[string]json.RawMessage
	b, _ := json.Marshal(a)
	_ = json.Unmarshal(b, &fields)
	delete(fields, "contacts")
	if d.fields == nil {
		d.fields, d.contacts = map[string]string{}, map[string]string{}
	}
	for k, v := range fields {
		if old, ok := d.fields[k]; !ok || old != string(v) {
			if ev.Account == nil {
				ev.Account = map[string]json.RawMessage{}
			}
			ev.Account[k] = v
			d.fields[k] = string(v)
		}
	}
	seen := make(map[string]bool, len(contacts))
	for _, c := range contacts {
		seen[c.JID] = true
		b, _ := json.Marshal(c)
		if d.contacts[c.JID] != string(b) {
			ev.Contacts = append(ev.Contacts, b)
			d.contacts[c.JID] = string(b)
		}
	}
	for jid := range d.contacts {
		if !seen[jid] {
			ev.Gone = append(ev.Gone, jid)
			delete(d.contacts, jid)
		}
	}
	slices.Sort(ev.Gone)
}

// setLines records the lines the page should now hold and says how to get
// there from the ones it holds: the usual case, a line or two appended (the
// oldest perhaps leaving the window), costs only those.
func (d *xmppDelta) setLines(ev *xmppEvent, lines []messaging.Line) {
	now := make([]string, len(lines))
	for i, l := range lines {
		b, _ := json.Marshal(l)
		now[i] = string(b)
	}
	old := d.lines
	d.lines = now
	if d.sent && slices.Equal(old, now) {
		return
	}
	delta := &linesDelta{Replace: true}
	if d.sent {
		if drop, ok := appended(old, now); ok {
			delta = &linesDelta{Drop: drop}
			now = now[len(old)-drop:]
		}
	}
	delta.Add = make([]json.RawMessage, len(now))
	for i, l := range now {
		delta.Add[i] = json.RawMessage(l)
	}
	ev.Lines = delta
}

// appended reports whether now is old with its first drop lines gone and
// lines added at the end (and nothing else changed), keeping at least one
// line of old: dropping them all is a replacement.
func appended(old, now []string) (drop int, ok bool) {
	if len(old) == 0 {
		return 0, true
	}
	for drop = 0; drop < len(old); drop++ {
		kept := old[drop:]
		if len(kept) <= len(now) && slices.Equal(kept, now[:len(kept)]) {
			return drop, true
		}
	}
	return 0, false
}

// part records one whole-valued part (the OTR state, the room) and puts it
// in the event when it changed.
func part(last *string, v any) json.RawMessage {
	b, _ := json.Marshal(v)
	if *last == string(b) {
		return nil
	}
	*last = string(b)
	return b
}

// empty reports whether the event changes nothing.
func (ev *xmppEvent) empty() bool {
	return ev.Account == nil && ev.Contacts == nil && ev.Gone == nil && ev.Lines == nil && ev.OTR == nil && ev.Room == nil
}
