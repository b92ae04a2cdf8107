package webadmin

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// parsePages builds one template per page, each with the shared layout.
func parsePages() (map[string]*template.Template, error) {
	layout, err := template.New("layout").Funcs(template.FuncMap{"keypad": keypad, "shown": shownText}).ParseFS(content, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(content, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(content, n)
		if err != nil {
			return nil, err
		}
		pages[strings.TrimSuffix(base, ".html")] = t
	}
	return pages, nil
}

// callAction is a button of the call panel: the path it posts to and its words.
type callAction struct {
	Path  string `json:"path"`
	Label string `json:"label"`
}

// keypad is the DTMF keys in telephone order.
func keypad() []string {
	return []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"}
}

// page is what every template gets.
type page struct {
	Title    string
	CSRF     string // empty before login
	LoggedIn bool
	Sim      bool
	Flash    string // a success message
	Error    string // what went wrong, in words for the person
	Data     any
}

// render writes a page. Pages are never cached: several show secrets'
// metadata or forms with CSRF tokens.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if ss := s.sessions.get(r); ss != nil {
		p.CSRF, p.LoggedIn = ss.csrf, true
	}
	p.Sim = s.cfg.Panel != nil
	p.Error = sentence(p.Error) // errors come up in Go's lower-case style
	if p.Flash == "" {
		p.Flash = noticeText(r.URL.Query().Get("ok"))
	}
	var buf bytes.Buffer
	t := s.pages[name]
	if t == nil {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.cfg.Log.Error("render", "page", name, "err", err)
		http.Error(w, "page failed to render", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// seeOther finishes a form post: back to a page, with an optional message
// (written by the server: see notice.go).
func seeOther(w http.ResponseWriter, r *http.Request, to, msg string) {
	if msg != "" {
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		to += sep + "ok=" + noticeParam(msg)
	}
	if r.Header.Get("X-Requested-With") == "fetch" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
