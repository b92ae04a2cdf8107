package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/protocols/jingleline"
	"github.com/padlock-phone/padlock/protocols/testline"
	"github.com/padlock-phone/padlock/store"
	"github.com/padlock-phone/padlock/store/phonebook"
)

// callHistory logs finished calls in the store (phone.History). The store
// refuses when log_call_history is off; that is the setting working, not an
// error.
type callHistory struct {
	st  *store.Store
	log *slog.Logger

	mu     sync.Mutex
	bursts map[burstKey]*missedBurst // the last run of missed calls per caller
}

func newCallHistory(st *store.Store, log *slog.Logger) *callHistory {
	return &callHistory{st: st, log: log, bursts: map[burstKey]*missedBurst{}}
}

// callSummary is the sealed body of a call's history row.
type callSummary struct {
	Outcome    phone.Outcome  `json:"outcome"`
	DurationMS int64          `json:"duration_ms"`
	Security   phone.Security `json:"security"`
	Reason     string         `json:"reason,omitempty"`
	Count      int            `json:"count,omitempty"` // missed calls folded into this row (issue 12)
	// Name is who the phonebook said the other end was when the call was
	// logged: the brain never holds names, so they are looked up here.
	Name string `json:"name,omitempty"`
}

// A burst of missed calls from one caller is one row whose count grows
// (issue 12: 20,000 INVITEs wrote 19,939 rows, each a synchronous commit on
// the SD card). The row is rewritten when the count reaches a power of two
// or burstRewrite after its last write, so N calls cost about log2(N)
// writes plus one per burstRewrite.
const (
	burstWindow  = 10 * time.Minute // a missed call this soon after the last joins its row
	burstRewrite = time.Minute
	maxBursts    = 64 // callers remembered
)

type burstKey struct {
	account int64
	remote  string
}

type missedBurst struct {
	row       int64
	summary   callSummary
	last      time.Time // the last missed call folded in
	lastWrite time.Time
}

// foldMissed folds a missed call into the caller's burst, if one is
// running. It reports whether the call is taken care of.
func (h *callHistory) foldMissed(ctx context.Context, k burstKey, at time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	b := h.bursts[k]
	if b == nil || at.Sub(b.last) > burstWindow || at.Before(b.last) {
		return false
	}
	b.summary.Count++
	b.last = at
	n := b.summary.Count
	if n&(n-1) != 0 && at.Sub(b.lastWrite) < burstRewrite {
		return true // counted; written later
	}
	body, _ := json.Marshal(b.summary)
	if err := h.st.UpdateHistoryBody(ctx, b.row, store.Call, body); err != nil {
		delete(h.bursts, k) // the row is gone (purged, trimmed) or logging is off
		return errors.Is(err, store.ErrHistoryOff)
	}
	b.lastWrite = at
	return true
}

// endBurst writes the count a burst has not written yet and forgets it.
func (h *callHistory) endBurst(ctx context.Context, k burstKey) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b := h.bursts[k]
	if b == nil {
		return
	}
	delete(h.bursts, k)
	if b.last.After(b.lastWrite) {
		body, _ := json.Marshal(b.summary)
		h.st.UpdateHistoryBody(ctx, b.row, store.Call, body)
	}
}

func (h *callHistory) startBurst(k burstKey, row int64, s callSummary, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.bursts) >= maxBursts {
		var oldest burstKey
		var t time.Time
		for key, b := range h.bursts {
			if t.IsZero() || b.last.Before(t) {
				oldest, t = key, b.last
			}
		}
		delete(h.bursts, oldest)
	}
	h.bursts[k] = &missedBurst{row: row, summary: s, last: at, lastWrite: at}
}

// CallLog writes one row. The phone's loop waits for it, so it gives up
// after a short while rather than hold the phone.
func (h *callHistory) CallLog(r phone.CallRecord) {
	if testline.Handles(r.Remote) {
		return // the test lines never leave the device: nothing to log
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	id, ok := h.accountID(ctx, r)
	if !ok {
		h.log.Debug("call not logged: no account to file it under")
		return
	}
	missed := r.Outcome == phone.CallMissed && !r.Outgoing
	k := burstKey{id, r.Remote}
	if missed && h.foldMissed(ctx, k, r.Start) {
		return
	}
	h.endBurst(ctx, k)
	name := phonebook.Book{St: h.st}.Lookup(ctx, r.Remote)
	summary := callSummary{Outcome: r.Outcome, DurationMS: r.Duration.Milliseconds(), Security: r.Security, Reason: r.Reason, Name: name}
	if missed {
		summary.Count = 1
	}
	body, err := json.Marshal(summary)
	if err != nil {
		h.log.Warn("call not logged", "err", err)
		return
	}
	dir := store.In
	if r.Outgoing {
		dir = store.Out
	}
	row, err := h.st.AddHistory(ctx, store.HistoryEntry{AccountID: id, Contact: r.Remote, Time: r.Start, Direction: dir, Kind: store.Call, Body: body})
	if err != nil && !errors.Is(err, store.ErrHistoryOff) {
		h.log.Warn("call not logged", "err", err)
	}
	if err == nil && missed {
		h.startBurst(k, row, summary, r.Start)
	}
}

// accountID finds the stored account of the call: the one it came in on,
// or for an outgoing call the one the SIP driver picks (the target's
// domain, else the first account).
func (h *callHistory) accountID(ctx context.Context, r phone.CallRecord) (int64, bool) {
	accts, err := h.st.Accounts(ctx)
	if err != nil {
		return 0, false
	}
	// Jingle calls (xmpp: targets, or in on an XMPP account) file under
	// the XMPP accounts, SIP calls under the SIP ones.
	kind := store.SIP
	if jingleline.Takes(r.Remote) || r.Account != "" && isXMPPAccount(accts, r.Account) {
		kind = store.XMPP
	}
	var sip []store.Account
	for _, a := range accts {
		if a.Kind == kind && a.Enabled {
			sip = append(sip, a)
		}
	}
	if r.Account != "" {
		for _, a := range sip {
			if strings.EqualFold(a.Address(), r.Account) {
				return a.ID, true
			}
		}
		return 0, false
	}
	target := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(r.Remote, "sip:"), "sips:"), jingleline.Prefix)
	if _, dom, ok := strings.Cut(target, "@"); ok {
		dom, _, _ = strings.Cut(dom, ";")
		for _, a := range sip {
			if strings.EqualFold(a.Server, dom) {
				return a.ID, true
			}
		}
	}
	if len(sip) == 0 {
		return 0, false
	}
	return sip[0].ID, true
}

func isXMPPAccount(accts []store.Account, address string) bool {
	for _, a := range accts {
		if a.Kind == store.XMPP && strings.EqualFold(a.Address(), address) {
			return true
		}
	}
	return false
}
