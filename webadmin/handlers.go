package webadmin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/padlock-phone/padlock/hw"
	"github.com/padlock-phone/padlock/phone"
)

// maxHold bounds a simulated press, so a stuck request cannot hold a button.
const maxHold = 6 * time.Second // longer than hw.OwnerHold, for the HANGUP + SAS gesture

func (s *Server) stateJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(s.view())
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "index", page{Title: "Phone", Data: struct {
		View  view
		Names []string
	}{s.view(), buttonNames()}})
}

func buttonNames() []string {
	var n []string
	for _, b := range hw.Buttons {
		n = append(n, b.String())
	}
	return n
}

// callAction turns a form post into a phone command.
func (s *Server) callAction(w http.ResponseWriter, r *http.Request) {
	if ev, ok, err := legAction(r); ok { // one call of several, or the conference (calls.go)
		s.postCallEvent(w, r, ev, err)
		return
	}
	var ev phone.Event
	switch r.PathValue("action") {
	case "dial":
		target := strings.TrimSpace(r.FormValue("target"))
		if target == "" {
			http.Error(w, "enter a number, a SIP address or a test line (echo, ringback)", http.StatusBadRequest)
			return
		}
		if len(target) > 256 || strings.ContainsAny(target, "\r\n\x00") {
			http.Error(w, "that is not a number or address", http.StatusBadRequest)
			return
		}
		ev = phone.Dial{Target: target}
	case "dtmf":
		digits := strings.ToUpper(strings.TrimSpace(r.FormValue("digits")))
		if digits == "" || len(digits) > 32 || strings.Trim(digits, "0123456789*#ABCD") != "" {
			http.Error(w, "keypad digits are 0-9, *, # and A-D", http.StatusBadRequest)
			return
		}
		ev = phone.SendDTMF{Digits: digits}
	case "answer":
		ev = phone.Answer{}
	case "hangup":
		ev = phone.HangUp{}
	case "hold":
		ev = phone.Hold{On: true}
	case "resume":
		ev = phone.Hold{On: false}
	case "confirm":
		ev = phone.ConfirmSAS{Verified: true}
	case "unconfirm":
		ev = phone.ConfirmSAS{Verified: false}
	case "repeat-sas":
		ev = phone.RepeatSAS{}
	case "dnd-on": // do-not-disturb (issue 16): it only turns calls away, so no password again
		ev = phone.SetDoNotDisturb{On: true}
	case "dnd-off":
		ev = phone.SetDoNotDisturb{}
	default:
		http.NotFound(w, r)
		return
	}
	if err := s.cfg.Phone.Post(r.Context(), ev); err != nil {
		http.Error(w, "the phone is shutting down", http.StatusServiceUnavailable)
		return
	}
	seeOther(w, r, "/", "")
}

// press simulates a person pressing a panel button for hold_ms.
func (s *Server) press(w http.ResponseWriter, r *http.Request) {
	b, err := hw.ParseButton(r.FormValue("button"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var ms int
	if v := r.FormValue("hold_ms"); v != "" {
		if _, err := fmt.Sscanf(v, "%d", &ms); err != nil || ms < 0 {
			http.Error(w, "hold_ms must be a whole number of milliseconds", http.StatusBadRequest)
			return
		}
	}
	hold := min(time.Duration(ms)*time.Millisecond, maxHold)
	if hold < 60*time.Millisecond {
		hold = 60 * time.Millisecond // a real finger: longer than the debounce
	}
	s.cfg.Panel.Press(b, hold)
	seeOther(w, r, "/", "")
}

// events streams the view as Server-Sent Events whenever it changes, and
// once a second while a call is up (for its duration).
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	phoneCh, stopPhone := s.cfg.Phone.Watch()
	defer stopPhone()
	var panelCh <-chan struct{}
	if s.cfg.Panel != nil {
		ch, stop := s.cfg.Panel.Subscribe()
		defer stop()
		panelCh = ch
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last []byte
	for {
		b, _ := json.Marshal(s.view())
		if string(b) != string(last) {
			if _, err := fmt.Fprintf(w, "event: state\ndata: %s\n\n", b); err != nil {
				return
			}
			fl.Flush()
			last = b
		}
		select {
		case <-r.Context().Done():
			return
		case <-phoneCh:
		case <-panelCh:
		case <-tick.C:
		}
	}
}
