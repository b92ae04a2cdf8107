package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/protocols/jingleline"
	"github.com/padlock-phone/padlock/protocols/testline"
	"github.com/padlock-phone/padlock/store"
)

// callHistory logs finished calls in the store (phone.History). The store
// refuses when log_call_history is off; that is the setting working, not an
// error.
type callHistory struct {
	st  *store.Store
	log *slog.Logger
}

// callSummary is the sealed body of a call's history row.
type callSummary struct {
	Outcome    phone.Outcome  `json:"outcome"`
	DurationMS int64          `json:"duration_ms"`
	Security   phone.Security `json:"security"`
	Reason     string         `json:"reason,omitempty"`
}

// CallLog writes one row. The phone's loop waits for it, so it gives up
// after a short while rather than hold the phone.
func (h callHistory) CallLog(r phone.CallRecord) {
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
	body, err := json.Marshal(callSummary{Outcome: r.Outcome, DurationMS: r.Duration.Milliseconds(), Security: r.Security, Reason: r.Reason})
	if err != nil {
		h.log.Warn("call not logged", "err", err)
		return
	}
	dir := store.In
	if r.Outgoing {
		dir = store.Out
	}
	_, err = h.st.AddHistory(ctx, store.HistoryEntry{AccountID: id, Contact: r.Remote, Time: r.Start, Direction: dir, Kind: store.Call, Body: body})
	if err != nil && !errors.Is(err, store.ErrHistoryOff) {
		h.log.Warn("call not logged", "err", err)
	}
}

// accountID finds the stored account of the call: the one it came in on,
// or for an outgoing call the one the SIP driver picks (the target's
// domain, else the first account).
func (h callHistory) accountID(ctx context.Context, r phone.CallRecord) (int64, bool) {
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
