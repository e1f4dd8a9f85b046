package web

import (
	"net/http"
	"strconv"

	"pforte"
	"pforte/document"
	"pforte/mail"
	"pforte/store"
)

func (s *Server) handleHelp() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "hilfe", view{Title: "help.title",
			Data: map[string]any{"Idle": s.cfg.SessionIdle, "ResetTTL": s.cfg.ResetTokenTTL,
				"ConfirmTTL": s.cfg.ConfirmTokenTTL}})
	})
}

// handleGuide serves the step-by-step guide, rendered once per process
// from the configured policy, so that guide and checks never disagree.
func (s *Server) handleGuide() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.guideOnce.Do(func() {
			var rules []string
			for _, rule := range s.cfg.Policy.Rules() {
				rules = append(rules, rule.Label)
			}
			c := s.cfg.Chamber
			s.guide, s.guideErr = document.Guide(document.Sender{Name: c.Name, Street: c.Street, Postcode: c.Postcode,
				City: c.City, Email: s.cfg.ContactEmail, Phone: c.Phone, Contact: c.Contact, Web: s.baseURL()}, s.baseURL(), rules, s.cfg.SessionIdle)
		})
		if s.guideErr != nil {
			s.renderError(w, r, s.guideErr)
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `inline; filename="anleitung.pdf"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(s.guide)))
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(s.guide)
	})
}

func (s *Server) handleHealth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := s.ready(r.Context()); err != nil {
			s.log.Error("health", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("database unavailable\n"))
			return
		}
		w.Write([]byte("ok\n"))
	})
}

// handleDevMail shows the development outbox to the operator.
func (s *Server) handleDevMail() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mails, err := store.Outbox{DB: s.db}.RecentMails(r.Context(), 50)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		type shown struct {
			store.StoredMail
			Links []string
		}
		var list []shown
		for _, m := range mails {
			list = append(list, shown{m, mail.Links(m.Text)})
		}
		s.render(w, r, http.StatusOK, "entwicklung-post", view{Title: "Postausgang (Entwicklung)", Data: list})
	})
}

func (s *Server) handleNotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, &pforte.Error{Code: pforte.NotFound, Message: "Diese Seite gibt es nicht."})
	})
}
