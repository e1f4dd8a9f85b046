package web

import (
	"net/http"

	"pforte/config"
	"pforte/web/legal"
)

// loadLegal renders the legal pages once at start, in every language
// (PFORTE_LEGAL_DIR or the samples filled from the chamber's settings).
func loadLegal(c config.Config, baseURL string) (legal.Pages, error) {
	ch := c.Chamber
	return legal.Load(c.LegalDir, legal.Facts{Name: ch.Name, Street: ch.Street, Postcode: ch.Postcode, City: ch.City,
		Phone: ch.Phone, Email: c.ContactEmail, Representative: ch.Representative, Supervisor: ch.Supervisor,
		DataProtectionOfficer: ch.DataProtectionOfficer, BaseURL: baseURL, SessionIdle: c.SessionIdle})
}

// legalPage is a legal page as shown: the page and the file that would
// replace the sample.
type legalPage struct {
	legal.Page
	File string
}

// handleLegal serves one of /impressum, /datenschutz, /barrierefreiheit.
func (s *Server) handleLegal(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := langOf(r)
		p := s.legal[lang][name]
		s.render(w, r, http.StatusOK, "rechtliches", view{Title: p.Title, Data: legalPage{p, legal.FileName(name, lang)}})
	})
}
