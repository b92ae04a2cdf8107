package webadmin

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/phone"
)

// callView is one call of the list on the phone page.
type callView struct {
	ID          call.ID        `json:"id"`
	Leg         int            `json:"leg"` // its number: "caller two"
	Status      phone.Status   `json:"status"`
	Remote      string         `json:"remote"`
	Outgoing    bool           `json:"outgoing"`
	Security    phone.Security `json:"security"`
	SAS         string         `json:"sas"`
	KeyMismatch bool           `json:"keyMismatch"`
	Conference  bool           `json:"conference"`
	Transfer    string         `json:"transfer"` // where it is being transferred
	Reason      string         `json:"reason"`
	Seconds     int            `json:"seconds"`
	Actions     []string       `json:"actions"` // the per-call buttons that apply now
}

// callViews lists the calls, each with the actions that apply to it, and
// says whether Merge applies.
func callViews(st phone.State) ([]callView, bool) {
	var out []callView
	talking, inConf := 0, 0
	for _, c := range st.Calls {
		v := callView{ID: c.ID, Leg: c.Leg, Status: c.Status, Remote: c.Remote, Outgoing: c.Outgoing, Security: c.Security,
			SAS: c.SAS, KeyMismatch: c.KeyMismatch, Conference: c.Conference, Transfer: c.Transfer, Reason: c.Reason}
		if !c.Connected.IsZero() && (c.Status == phone.Active || c.Status == phone.Held) {
			v.Seconds = int(time.Since(c.Connected) / time.Second)
			talking++
			if c.Conference {
				inConf++
			}
		}
		v.Actions = legActions(c)
		out = append(out, v)
	}
	return out, talking >= 2 && inConf < talking
}

// legActions are the buttons of one call, following its state.
func legActions(c phone.Call) []string {
	if c.ID == "" || c.Status == phone.Ended || c.Status == phone.Idle {
		return nil
	}
	var a []string
	switch c.Status {
	case phone.Active:
		a = append(a, "hold")
	case phone.Held:
		a = append(a, "resume")
	}
	switch c.Security {
	case phone.Secured:
		a = append(a, "confirm")
	case phone.Verified:
		a = append(a, "unconfirm")
	}
	if c.Conference {
		a = append(a, "split")
	} else if (c.Status == phone.Active || c.Status == phone.Held) && c.Transfer == "" {
		a = append(a, "transfer")
	}
	return append(a, "hangup")
}

// legLabels are the words on the per-call buttons.
var legLabels = map[string]string{"hold": "Hold", "resume": "Resume", "confirm": "SAS matches: confirm", "unconfirm": "Unconfirm SAS",
	"split": "Split off", "transfer": "Transfer", "hangup": "Drop"}

// legAction reads a post about one call (a "call" field), or merge,
// split, transfer; ok is false for the phone-wide actions callAction
// handles itself.
func legAction(r *http.Request) (ev phone.Event, ok bool, err error) {
	action := r.PathValue("action")
	raw := r.FormValue("call")
	if raw == "" && action != "merge" && action != "split" && action != "transfer" {
		return nil, false, nil
	}
	// Call IDs are the drivers' own short tokens; anything else is not one.
	if len(raw) > 128 || strings.ContainsFunc(raw, func(r rune) bool { return r < '!' || r > '~' }) {
		return nil, true, errors.New("that is not a call of this phone")
	}
	id := call.ID(raw)
	need := func() error {
		if id == "" {
			return errors.New("say which call (the call field)")
		}
		return nil
	}
	switch action {
	case "merge":
		return phone.Merge{}, true, nil
	case "split":
		return phone.Split{ID: id}, true, need()
	case "transfer":
		target := strings.TrimSpace(r.FormValue("target"))
		if target == "" || len(target) > 256 || strings.ContainsAny(target, "\r\n\x00") {
			return nil, true, errors.New("enter the number or SIP address to transfer the call to")
		}
		return phone.Transfer{ID: id, Target: target}, true, need()
	case "hangup":
		return phone.HangUp{ID: id}, true, nil
	case "hold":
		return phone.Hold{ID: id, On: true}, true, nil
	case "resume":
		return phone.Hold{ID: id}, true, nil
	case "confirm":
		return phone.ConfirmSAS{ID: id, Verified: true}, true, nil
	case "unconfirm":
		return phone.ConfirmSAS{ID: id}, true, nil
	}
	return nil, true, errors.New("that cannot be done to one call")
}

// postCallEvent hands a call's event to the brain, like callAction.
func (s *Server) postCallEvent(w http.ResponseWriter, r *http.Request, ev phone.Event, bad error) {
	if bad != nil {
		http.Error(w, bad.Error(), http.StatusBadRequest)
		return
	}
	if err := s.cfg.Phone.Post(r.Context(), ev); err != nil {
		http.Error(w, "the phone is shutting down", http.StatusServiceUnavailable)
		return
	}
	seeOther(w, r, "/", "")
}

// Buttons are the call's forms on the page.
func (v callView) Buttons() []callAction {
	var b []callAction
	for _, a := range v.Actions {
		b = append(b, callAction{Path: a, Label: legLabels[a]})
	}
	return b
}
