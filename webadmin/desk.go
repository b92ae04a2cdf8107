package webadmin

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/padlock-phone/padlock/store"
)

// Desk reads and saves the desk's own settings (the headset's levels,
// do-not-disturb and its forward target) and applies them at once.
type Desk interface {
	Load(ctx context.Context) (store.Desk, error)
	Save(ctx context.Context, d store.Desk) error
}

// deskData is the desk page's form.
type deskData struct {
	store.Desk
	MinVolume, MaxLevel int
}

func (s *Server) routeDesk() {
	if s.cfg.Desk == nil {
		return
	}
	s.handle("GET /desk", s.deskPage)
	s.handle("POST /desk", s.deskSave)
}

func (s *Server) renderDesk(w http.ResponseWriter, r *http.Request, status int, d store.Desk, errMsg string) {
	s.render(w, r, status, "desk", page{Title: "Sound and do-not-disturb", Error: errMsg,
		Data: deskData{Desk: d, MinVolume: store.MinDeskVolume, MaxLevel: store.MaxDeskLevel}})
}

func (s *Server) deskPage(w http.ResponseWriter, r *http.Request) {
	d, err := s.cfg.Desk.Load(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderDesk(w, r, http.StatusOK, d, "")
}

// deskSave takes the whole form at once. Nothing here lowers the phone's
// protection (do-not-disturb only turns calls away), so no password again.
func (s *Server) deskSave(w http.ResponseWriter, r *http.Request) {
	for k := range r.PostForm {
		switch k {
		case "csrf", "volume", "mic", "dnd", "forward":
		default:
			http.Error(w, "unknown field "+strconv.Quote(k), http.StatusBadRequest)
			return
		}
	}
	d := store.Desk{DoNotDisturb: r.PostFormValue("dnd") == "on", ForwardTo: strings.TrimSpace(r.PostFormValue("forward"))}
	var bad []string
	for _, f := range []struct {
		field, what string
		into        *int
	}{{"volume", "The volume", &d.Volume}, {"mic", "The microphone level", &d.Mic}} {
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(f.field)))
		if err != nil {
			bad = append(bad, f.what+" must be a whole number of percent")
		}
		*f.into = n
	}
	if len(bad) > 0 {
		s.renderDesk(w, r, http.StatusBadRequest, d, strings.Join(bad, "; ")+". Nothing was changed.")
		return
	}
	if err := s.cfg.Desk.Save(r.Context(), d); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			s.renderDesk(w, r, http.StatusBadRequest, d, deskProblem(d)+" Nothing was changed.")
			return
		}
		s.fail(w, r, err)
		return
	}
	s.cfg.Log.Info("desk settings saved", "volume", d.Volume, "mic", d.Mic, "dnd", d.DoNotDisturb, "forward", d.ForwardTo != "")
	seeOther(w, r, "/desk", "Saved: the new levels play from the next sound on.")
}

// deskProblem says in words which of the desk's values is out of bounds.
func deskProblem(d store.Desk) string {
	switch {
	case d.Volume < store.MinDeskVolume || d.Volume > store.MaxDeskLevel:
		return "The volume goes from " + strconv.Itoa(store.MinDeskVolume) + "% (so the SAS stays audible) to " + strconv.Itoa(store.MaxDeskLevel) + "%."
	case d.Mic < 0 || d.Mic > store.MaxDeskLevel:
		return "The microphone level goes from 0% (muted) to " + strconv.Itoa(store.MaxDeskLevel) + "%."
	}
	return "The forward target must be one SIP address or number (such as carol or sip:carol@example.org), on one line, without spaces or angle brackets."
}
