package web

import (
	"net/http"

	"pforte"
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
		s.render(w, r, http.StatusOK, "entwicklung-post", view{Title: "devmail.title", Data: list})
	})
}

func (s *Server) handleNotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, &pforte.Error{Code: pforte.NotFound, Message: "Diese Seite gibt es nicht."})
	})
}
