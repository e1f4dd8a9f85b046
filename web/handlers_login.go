package web

import (
	"net/http"
	"net/url"
	"strings"

	"pforte/oidc"
)

// loginView is the view of the login page for the safe next: a service's
// sign-in waiting for the login names the service in the title
// ("Anmelden bei „…“"), so that the member knows where the login leads.
func (s *Server) loginView(r *http.Request, email, next string) view {
	v := view{Title: "login.title", Form: map[string]string{"email": email, "next": next}}
	if name := s.waitingService(r, next); name != "" {
		v.Title = s.catalog.Must(langOf(r), "login.title.service", "Service", name)
		v.Data = loginPage{Service: name}
	}
	return v
}

// loginPage is the data of the login page.
type loginPage struct {
	// Service is the display name of the service waiting for the login
	// (oidc.Pending.ClientName); "" for a login of the portal itself.
	Service string
}

// waitingService is the display name of the service whose authorization
// request next resumes (oidc.PathLogin?id=…), or "" when next is no such
// request or the request is gone.
func (s *Server) waitingService(r *http.Request, next string) string {
	if s.oidc == nil || !strings.HasPrefix(next, oidc.PathLogin+"?") {
		return ""
	}
	q, err := url.ParseQuery(strings.TrimPrefix(next, oidc.PathLogin+"?"))
	if err != nil {
		return ""
	}
	pd, err := s.oidc.Pending(r.Context(), q.Get("id"))
	if err != nil {
		return ""
	}
	return pd.ClientName
}

// ServiceName is the service the login page signs in to, "" for the portal.
func (v view) ServiceName() string {
	if lp, ok := v.Data.(loginPage); ok {
		return lp.Service
	}
	return ""
}
