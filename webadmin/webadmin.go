// Package webadmin is the phone's LAN web admin: a status page, the call
// controls and, on the simulated board, a virtual panel of buttons and lamps,
// kept live over Server-Sent Events.
package webadmin

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/padlock-phone/padlock/hw"
	"github.com/padlock-phone/padlock/phone"
)

//go:embed static templates
var content embed.FS

// Phone is what the web admin needs of the brain.
type Phone interface {
	State() phone.State
	Lamps() phone.Lamps
	Watch() (<-chan struct{}, func())
	Post(ctx context.Context, ev phone.Event) error
}

// Panel is the simulated board's face: buttons to press, lamps to look at.
// It is nil on a real board, where the web admin shows no panel.
type Panel interface {
	Press(b hw.Button, hold time.Duration)
	Lamp(l hw.Lamp) hw.Pattern
	Subscribe() (<-chan struct{}, func())
}

// Config wires the web admin.
type Config struct {
	Phone Phone
	Panel Panel
	Log   *slog.Logger
}

// Server serves the web admin. Its zero value is not usable; call New.
type Server struct {
	cfg   Config
	pages *template.Template
	mux   *http.ServeMux
}

// New builds the handlers.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	pages, err := template.ParseFS(content, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, pages: pages, mux: http.NewServeMux()}
	static, _ := fs.Sub(content, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServer(http.FS(static))))
	s.mux.HandleFunc("GET /{$}", s.index)
	s.mux.HandleFunc("GET /events", s.events)
	s.mux.HandleFunc("GET /state", s.stateJSON)
	s.mux.HandleFunc("POST /call/{action}", s.callAction)
	if cfg.Panel != nil {
		s.mux.HandleFunc("POST /panel/press", s.press)
	}
	return s, nil
}

// ServeHTTP applies the headers every response carries, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// No inline script anywhere: the CSP forbids it, so an injected
	// <script> in a contact name or a message cannot run.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	data := struct {
		View  view
		Sim   bool
		Names []string
	}{s.view(), s.cfg.Panel != nil, buttonNames()}
	if err := s.pages.ExecuteTemplate(w, "index.html", data); err != nil {
		s.cfg.Log.Error("render index", "err", err)
	}
}

func buttonNames() []string {
	var n []string
	for _, b := range hw.Buttons {
		n = append(n, b.String())
	}
	return n
}
