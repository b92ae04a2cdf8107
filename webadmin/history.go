package webadmin

import (
	"encoding/json"
	"fmt"
	"net/http"
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

// historyLimit bounds the page: the newest entries only.
const historyLimit = 200

// historyPage lists the newest calls and messages (opened from their
// sealed bodies), with the purge forms on the settings page one link away.
func (s *Server) historyPage(w http.ResponseWriter, r *http.Request) {
	kind := store.HistoryKind(r.URL.Query().Get("kind"))
	if kind != store.Call && kind != store.Chat {
		kind = "" // both
	}
	entries, err := s.cfg.Store.History(r.Context(), store.HistoryFilter{Kind: kind, Limit: historyLimit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
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
	s.render(w, r, http.StatusOK, "history", page{Title: "History", Data: rows})
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
