package web

import (
	"net/http"
	"net/url"

	"pforte"
)

func (s *Server) handleAccount() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		notice := ""
		switch r.URL.Query().Get("hinweis") {
		case "passwort-geaendert":
			notice = "account.password-changed"
		}
		s.renderAccount(w, r, notice)
	})
}

func (s *Server) handlePasswordForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "konto-passwort", view{Title: "password.title"})
	})
}

func (s *Server) handlePasswordChange() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		a := authOf(r)
		err := s.accounts.ChangePassword(r.Context(), a.Account.ID, a.SessionHash, f.Get("current_password"),
			f.Get("password"), f.Get("password_repeat"), has(f, "password_repeat"), s.client(r))
		if err != nil {
			s.renderForm(w, r, "konto-passwort", err, view{Title: "password.title",
				ErrorField: fieldIf(err, pforte.InvalidCredentials, "current_password")})
			return
		}
		// Post/redirect/get: the account page shows the new state, and a
		// reload does not send the form again.
		http.Redirect(w, r, "/konto?hinweis=passwort-geaendert", http.StatusSeeOther)
	})
}

// handleStaySignedIn answers the idle warning's "Angemeldet bleiben":
// the session check in front of it already counted the activity.
func (s *Server) handleStaySignedIn() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
}
