package webadmin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/messaging"
)

// roster is an account with n contacts, as a large roster looks.
func roster(n int) messaging.Account {
	a := messaging.Account{ID: 1, Address: "alice@example.org", Status: "connected", Connected: true,
		Groups: []string{"Friends", "Work"}, Strangers: map[string]int{}}
	for i := range n {
		c := messaging.Contact{Online: i%3 == 0}
		c.JID, c.Name = fmt.Sprintf("contact%04d@example.org", i), fmt.Sprintf("Contact %d", i)
		c.Groups, c.Subscription = []string{"Work"}, "both"
		a.Contacts = append(a.Contacts, c)
	}
	return a
}

// lines is n chat lines, one a minute.
func lines(from, n int) []messaging.Line {
	var ls []messaging.Line
	for i := from; i < from+n; i++ {
		ls = append(ls, messaging.Line{Time: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
			In: i%2 == 0, Body: fmt.Sprintf("message number %d, of an ordinary length for a chat", i)})
	}
	return ls
}

// pageModel is what xmpp.js keeps, applying events as it does.
type pageModel struct {
	account  map[string]json.RawMessage
	contacts map[string]json.RawMessage
	lines    []json.RawMessage
}

func (m *pageModel) apply(t *testing.T, wire []byte) {
	t.Helper()
	var ev xmppEvent
	if err := json.Unmarshal(wire, &ev); err != nil {
		t.Fatal(err)
	}
	if m.account == nil {
		m.account, m.contacts = map[string]json.RawMessage{}, map[string]json.RawMessage{}
	}
	maps.Copy(m.account, ev.Account)
	for _, c := range ev.Contacts {
		var k struct{ JID string }
		json.Unmarshal(c, &k)
		m.contacts[k.JID] = c
	}
	for _, j := range ev.Gone {
		delete(m.contacts, j)
	}
	if l := ev.Lines; l != nil {
		if l.Replace {
			m.lines = slices.Clone(l.Add)
		} else {
			m.lines = append(m.lines[l.Drop:], l.Add...)
		}
	}
}

// wantModel checks the page holds exactly a and ls.
func (m *pageModel) want(t *testing.T, a messaging.Account, ls []messaging.Line) {
	t.Helper()
	if a.ID != 0 {
		contacts := a.Contacts
		a.Contacts = nil
		var fields map[string]json.RawMessage
		b, _ := json.Marshal(a)
		json.Unmarshal(b, &fields)
		delete(fields, "contacts")
		if !reflect.DeepEqual(fields, m.account) {
			t.Errorf("account on the page %s, want %s", m.account, fields)
		}
		if len(m.contacts) != len(contacts) {
			t.Errorf("%d contacts on the page, want %d", len(m.contacts), len(contacts))
		}
		for _, c := range contacts {
			b, _ := json.Marshal(c)
			if string(m.contacts[c.JID]) != string(b) {
				t.Errorf("contact %s on the page %s, want %s", c.JID, m.contacts[c.JID], b)
			}
		}
	}
	if len(m.lines) != len(ls) {
		t.Fatalf("%d lines on the page, want %d", len(m.lines), len(ls))
	}
	for i, l := range ls {
		b, _ := json.Marshal(l)
		if string(m.lines[i]) != string(b) {
			t.Errorf("line %d on the page %s, want %s", i, m.lines[i], b)
		}
	}
}

// TestContactsDelta: with 1000 contacts the first event holds them all;
// after that one new message (one contact's unread count) costs one
// contact, well under 2 KB, and the page's model stays exactly the
// account.
func TestContactsDelta(t *testing.T) {
	var d xmppDelta
	var page pageModel
	a := roster(1000)
	send := func() []byte {
		var ev xmppEvent
		d.account(&ev, a)
		if d.sent && ev.empty() {
			return nil
		}
		d.sent = true
		b, _ := json.Marshal(ev)
		page.apply(t, b)
		page.want(t, a, nil)
		return b
	}
	if first := send(); len(first) < 100_000 {
		t.Fatalf("first event %d bytes: the whole roster should be in it", len(first))
	}
	if again := send(); again != nil {
		t.Errorf("nothing changed, yet an event of %d bytes", len(again))
	}
	a.Contacts[500].Unread = 1
	if b := send(); len(b) >= 2048 || !json.Valid(b) {
		t.Errorf("one unread message: %d bytes, want under 2 KB: %s", len(b), b)
	}
	a.Status = "reconnecting in 2 s"
	a.Contacts = slices.Delete(a.Contacts, 10, 11)
	a.Pending = []string{"mallory@example.org"}
	b := send()
	var ev xmppEvent
	json.Unmarshal(b, &ev)
	if len(ev.Contacts) != 0 || !slices.Equal(ev.Gone, []string{"contact0010@example.org"}) || len(ev.Account) != 2 {
		t.Errorf("status, a request and a contact gone: event %s", b)
	}
}

// TestLinesDelta: a conversation's window of lines moves by appends; only
// new lines travel, with the count that left the window. Anything else (a
// held line sent at last) replaces them all, and the page always ends with
// exactly the conversation.
func TestLinesDelta(t *testing.T) {
	var d xmppDelta
	var page pageModel
	ls := lines(0, 500)
	send := func() *linesDelta {
		var ev xmppEvent
		d.setLines(&ev, ls)
		if d.sent && ev.empty() {
			return nil
		}
		d.sent = true
		b, _ := json.Marshal(ev)
		page.apply(t, b)
		page.want(t, messaging.Account{}, ls)
		return ev.Lines
	}
	tests := []struct {
		name        string
		change      func()
		replace     bool
		drop, added int
	}{
		{"first", func() {}, true, 0, 500},
		{"one message, the oldest leaves", func() { ls = append(ls[1:], lines(500, 1)...) }, false, 1, 1},
		{"two messages", func() { ls = append(ls[2:], lines(501, 2)...) }, false, 2, 2},
		{"a pending line sent", func() { ls[100].Pending = true }, true, 0, 500},
		{"purged", func() { ls = nil }, true, 0, 0},
		{"the first after a purge", func() { ls = lines(600, 1) }, false, 0, 1},
	}
	for _, tc := range tests {
		tc.change()
		got := send()
		if got == nil || got.Replace != tc.replace || got.Drop != tc.drop || len(got.Add) != tc.added {
			if got == nil {
				t.Fatalf("%s: no delta", tc.name)
			}
			t.Errorf("%s: delta replace %v drop %d, %d added; want replace %v drop %d, %d added", tc.name, got.Replace, got.Drop, len(got.Add), tc.replace, tc.drop, tc.added)
		}
	}
	if got := send(); got != nil {
		t.Errorf("nothing changed, yet a delta of %d lines", len(got.Add))
	}
}

// BenchmarkContactsEvent is the cost of one event for one contact's change
// with 1000 contacts (bytes/event goes to docs/BENCHMARKS.md).
func BenchmarkContactsEvent(b *testing.B) {
	var d xmppDelta
	a := roster(1000)
	var ev xmppEvent
	d.account(&ev, a)
	d.sent = true
	size := 0
	for i := 0; b.Loop(); i++ {
		a.Contacts[i%1000].Unread++
		var ev xmppEvent
		d.account(&ev, a)
		w, _ := json.Marshal(ev)
		size = len(w)
	}
	b.ReportMetric(float64(size), "bytes/event")
}

// TestContactsPaged: 1000 contacts are drawn 100 a page, every contact on
// exactly one page, with links between the pages.
func TestContactsPaged(t *testing.T) {
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	a := roster(1000)
	seen := map[string]int{}
	for pg := 1; pg <= 11; pg++ {
		v := a
		more := contactsPage(&v, pg)
		if want := pg < 10; more != want {
			t.Errorf("page %d: more %v, want %v", pg, more, want)
		}
		var buf bytes.Buffer
		d := xmppPageData{View: v, Running: true, Pager: pagerOf("/xmpp/1", nil, pg, more, "Previous contacts", "More contacts")}
		if err := pages["xmpp"].ExecuteTemplate(&buf, "layout", page{Title: "Contacts", Data: d}); err != nil {
			t.Fatal(err)
		}
		rows := strings.Count(buf.String(), "<tr data-jid=")
		if want := min(max(1000-(pg-1)*contactsPerPage, 0), contactsPerPage); rows != want {
			t.Errorf("page %d: %d rows, want %d", pg, rows, want)
		}
		for _, c := range v.Contacts {
			seen[c.JID]++
		}
		if more && !strings.Contains(buf.String(), `href="/xmpp/1?page=`+strconv.Itoa(pg+1)+`" rel="next"`) {
			t.Errorf("page %d has no link to the next", pg)
		}
	}
	if len(seen) != 1000 {
		t.Errorf("%d contacts over the pages, want 1000", len(seen))
	}
	for j, n := range seen {
		if n != 1 {
			t.Errorf("%s on %d pages", j, n)
		}
	}
}

// BenchmarkContactsPage is the contacts page of an account with 1000
// contacts: time and bytes to draw its first page (docs/BENCHMARKS.md).
func BenchmarkContactsPage(b *testing.B) {
	pages, err := parsePages()
	if err != nil {
		b.Fatal(err)
	}
	a := roster(1000)
	var size int
	for b.Loop() {
		v := a
		more := contactsPage(&v, 1)
		var buf bytes.Buffer
		d := xmppPageData{View: v, Running: true, Pager: pagerOf("/xmpp/1", nil, 1, more, "Previous contacts", "More contacts")}
		if err := pages["xmpp"].ExecuteTemplate(&buf, "layout", page{Title: "Contacts", Data: d}); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}
