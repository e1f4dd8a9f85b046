package web

import (
	"net/http"

	"pforte"
	"pforte/config"
	"pforte/web/legal"
)

// loadLegal renders the legal pages once at start (PFORTE_LEGAL_DIR or the
// samples filled from the chamber's settings).
func loadLegal(c config.Config, baseURL string) (map[string]legal.Page, error) {
	ch := c.Chamber
	return legal.Load(c.LegalDir, legal.Facts{Name: ch.Name, Street: ch.Street, Postcode: ch.Postcode, City: ch.City,
		Phone: ch.Phone, Email: c.ContactEmail, Representative: ch.Representative, Supervisor: ch.Supervisor,
		DataProtectionOfficer: ch.DataProtectionOfficer, BaseURL: baseURL, SessionIdle: pforte.GermanDuration(c.SessionIdle)})
}

// handleLegal serves one of /impressum, /datenschutz, /barrierefreiheit.
func (s *Server) handleLegal(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := s.legal[name]
		s.render(w, r, http.StatusOK, "rechtliches", view{Title: p.Title, Data: p, GermanOnly: true})
	})
}
