package webadmin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/padlock-phone/padlock/store"
	"github.com/padlock-phone/padlock/store/phonebook"
)

// historyRow is one logged call or message as the history page shows it.
type historyRow struct {
	Time      time.Time
	Account   string
	Contact   string
	Name      string // the phonebook's name of Contact, "" if none
	Direction store.Direction
	Kind      store.HistoryKind
	Summary   string
}

// historyLimit is one page of history; older entries are on the next
// pages (?page=2, …), so none is out of reach.
const historyLimit = 200

// historyData is one page of the history.
type historyData struct {
	Rows []historyRow
	pager
}

// historyPage lists calls and messages (opened from their sealed bodies),
// newest first, a page at a time, with the purge forms on the settings page
// one link away.
func (s *Server) historyPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	kind := store.HistoryKind(q.Get("kind"))
	if kind != store.Call && kind != store.Chat {
		kind = "" // both
	}
	pg := pageNumber(q.Get("page"))
	entries, err := s.cfg.Store.History(r.Context(), store.HistoryFilter{Kind: kind, Limit: historyLimit + 1, Offset: (pg - 1) * historyLimit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	older := len(entries) > historyLimit
	entries = entries[:min(len(entries), historyLimit)]
	accs, err := s.cfg.Store.Accounts(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	names := map[int64]string{}
	for _, a := range accs {
		names[a.ID] = a.Address()
	}
	people, err := s.cfg.Store.Phonebook(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows := make([]historyRow, 0, len(entries))
	for _, e := range entries {
		name := callName(e)
		if name == "" {
			name = phonebook.Match(people, e.Contact) // logged before the person was added
		}
		rows = append(rows, historyRow{Time: e.Time.Local(), Account: names[e.AccountID], Contact: e.Contact, Name: name,
			Direction: e.Direction, Kind: e.Kind, Summary: summarize(e)})
	}
	v := url.Values{}
	if kind != "" {
		v.Set("kind", string(kind))
	}
	d := historyData{Rows: rows, pager: pagerOf("/history", v, pg, older, "Newer", "Older")}
	s.render(w, r, http.StatusOK, "history", page{Title: "History", Data: d})
}

// pager links one page of a list to its neighbours (the "pager"
// template).
type pager struct {
	Page                 int
	Prev, Next           string // links; "" at either end
	PrevLabel, NextLabel string
}

// pagerOf is the pager of page pg of the list at path with query q; more
// says a next page exists.
func pagerOf(path string, q url.Values, pg int, more bool, prevLabel, nextLabel string) pager {
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(n))
		return path + "?" + v.Encode()
	}
	p := pager{Page: pg, PrevLabel: prevLabel, NextLabel: nextLabel}
	if pg > 1 {
		p.Prev = link(pg - 1)
	}
	if more {
		p.Next = link(pg + 1)
	}
	return p
}

// maxPage bounds a page number from the URL, so an offset stays small.
const maxPage = 10_000

// pageNumber reads ?page= (1 when missing or not a page number).
func pageNumber(v string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxPage)
}

// callName is the name a call was logged with (cmd/appliance looks the
// caller up in the phonebook when it logs the call), "" if none.
func callName(e store.HistoryEntry) string {
	if e.Kind != store.Call {
		return ""
	}
	var c struct {
		Name string `json:"name"`
	}
	json.Unmarshal(e.Body, &c)
	return c.Name
}

// summarize turns a call's sealed summary (cmd/appliance's call log: JSON
// with outcome, duration_ms, security, reason) or a message into words.
func summarize(e store.HistoryEntry) string {
	if e.Kind != store.Call {
		return string(e.Body)
	}
	var c struct {
		Outcome    string `json:"outcome"`
		DurationMS int64  `json:"duration_ms"`
		Security   string `json:"security"`
		Reason     string `json:"reason"`
		Count      int    `json:"count"` // missed calls folded into one row
	}
	if err := json.Unmarshal(e.Body, &c); err != nil {
		return "(unreadable call summary)"
	}
	s := c.Outcome
	if c.Count > 1 {
		s += fmt.Sprintf(" ×%d", c.Count)
	}
	if c.DurationMS > 0 {
		s += fmt.Sprintf(", %s", (time.Duration(c.DurationMS) * time.Millisecond).Round(time.Second))
	}
	if c.Security != "" {
		s += ", " + c.Security
	}
	if c.Reason != "" {
		s += " (" + c.Reason + ")"
	}
	return s
}
