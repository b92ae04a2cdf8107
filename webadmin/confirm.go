package webadmin

import (
	"net/http"
	"sort"
)

// confirmation is the second step of a destructive action: a page saying
// what will be lost, with the same post behind a danger button and a way
// back. It is a page, not a JavaScript confirm(): the Content-Security-Policy
// allows no inline script, and a page works without script at all.
type confirmation struct {
	Title  string // "Purge all history?"
	What   string // what is lost, in a sentence
	Button string // the danger button's words
	Back   string // where Cancel leads
	Action string // the post's own path (one the router matched)
	Fields []confirmField
}

type confirmField struct{ Name, Value string }

// maxConfirmFields bounds what a confirmation carries over: the largest
// destructive form has three fields.
const maxConfirmFields = 8

// confirmed reports whether the post is the second step (confirmed=yes).
// When it is not, it answers with the confirmation page carrying the
// post's own fields over, and the handler must do nothing else.
func (s *Server) confirmed(w http.ResponseWriter, r *http.Request, c confirmation) bool {
	if r.PostFormValue("confirmed") == "yes" {
		return true
	}
	c.Action = r.URL.Path
	for name, vals := range r.PostForm {
		if name == "csrf" || name == "confirmed" || len(vals) == 0 {
			continue
		}
		if len(c.Fields) == maxConfirmFields {
			http.Error(w, "That form has more fields than any of this phone's; nothing was done. Reload the page and try again.", http.StatusBadRequest)
			return false
		}
		c.Fields = append(c.Fields, confirmField{name, vals[0]})
	}
	sort.Slice(c.Fields, func(i, j int) bool { return c.Fields[i].Name < c.Fields[j].Name })
	s.render(w, r, http.StatusOK, "confirm", page{Title: c.Title, Data: c})
	return false
}
