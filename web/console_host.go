package web

import (
	"net/http"
	"net/url"

	"pforte"
	"pforte/store"
	"pforte/web/console"
)

// consoleHost lends the staff console the portal's layout, error pages,
// session and form checks (console.Host).
type consoleHost struct{ s *Server }

func (h consoleHost) Render(w http.ResponseWriter, r *http.Request, status int, p console.Page) {
	v := view{Title: p.Title, Notice: p.Notice, Data: p.Data, Wide: true}
	if p.Err != nil {
		v.Error = h.s.userError(r, p.Err)
		if status == 0 {
			status = pforte.Info(v.Error.Code).Status
		}
	}
	if status == 0 {
		status = http.StatusOK
	}
	h.s.render(w, r, status, "verwaltung/"+p.Name, v)
}

func (h consoleHost) Error(w http.ResponseWriter, r *http.Request, err error) {
	h.s.renderError(w, r, err)
}

func (h consoleHost) Signed(r *http.Request) (*pforte.Account, *store.StoredSession) {
	a := authOf(r)
	if a == nil {
		return nil, nil
	}
	return a.Account, a.Session
}

func (h consoleHost) Client(r *http.Request) string { return h.s.client(r) }

func (h consoleHost) Form(r *http.Request) (url.Values, error) { return form(r) }

// Text is message id in the request's language (console.Host).
func (h consoleHost) Text(r *http.Request, id string, pairs ...any) string {
	return h.s.catalog.Must(langOf(r), id, pairs...)
}
