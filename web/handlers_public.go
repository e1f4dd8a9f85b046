package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"pforte"
	"pforte/locale"
)

func (s *Server) handleStart() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := view{Title: "start.title"}
		if r.URL.Query().Get("hinweis") == "konto-geloescht" {
			v.Notice = "start.account-deleted"
		}
		s.render(w, r, http.StatusOK, "start", v)
	})
}

func (s *Server) handleRegisterForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "registrieren", view{Title: "register.title"})
	})
}

func (s *Server) handleRegister() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		email := f.Get("email")
		err := s.accounts.Register(r.Context(), email, f.Get("password"), f.Get("password_repeat"),
			has(f, "password_repeat"), s.client(r))
		if err != nil {
			s.renderForm(w, r, "registrieren", err, view{Title: "register.title", Form: map[string]string{"email": email}})
			return
		}
		s.render(w, r, http.StatusOK, "post-pruefen", view{Title: "mailsent.title",
			Data: map[string]any{"Email": email, "TTL": s.cfg.ConfirmTokenTTL, "Kind": "registrieren"}})
	})
}

func (s *Server) handleConfirmForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		if _, err := s.accounts.PeekToken(r.Context(), pforte.ConfirmToken, token); err != nil {
			if a, ok := s.accounts.AlreadyConfirmed(r.Context(), token); ok && pforte.ErrorCode(err) == pforte.TokenInvalid {
				s.render(w, r, http.StatusOK, "bestaetigt", view{Title: "confirmed.already-title",
					Form: map[string]string{"email": a.Email}, Data: "schon"})
				return
			}
			s.renderLinkError(w, r, err, confirmLink)
			return
		}
		s.render(w, r, http.StatusOK, "bestaetigen", view{Title: "confirm.title",
			Form: map[string]string{"token": token}})
	})
}

func (s *Server) handleConfirm() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		token := linkToken(f, r)
		a, err := s.accounts.Confirm(r.Context(), token, s.client(r))
		if err != nil {
			s.renderLinkError(w, r, err, confirmLink)
			return
		}
		s.render(w, r, http.StatusOK, "bestaetigt", view{Title: "confirmed.title",
			Form: map[string]string{"email": a.Email}})
	})
}

func (s *Server) handleResendConfirmation() http.Handler {
	return s.mailRequest(s.accounts.ResendConfirmation, "anmelden", "login.title", s.cfg.ConfirmTokenTTL, "erneut")
}

// mailRequest serves the forms whose only field is the address and whose
// answer is "check your mail", the same whether or not the address has an
// account: resend the confirmation, "Passwort vergessen".
func (s *Server) mailRequest(send func(ctx context.Context, email, client string) error, page, title string, ttl time.Duration, kind string) http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		email := f.Get("email")
		if err := send(r.Context(), email, s.client(r)); err != nil {
			s.renderForm(w, r, page, err, view{Title: title, Form: map[string]string{"email": email}})
			return
		}
		s.render(w, r, http.StatusOK, "post-pruefen", view{Title: "mailsent.title",
			Data: map[string]any{"Email": email, "TTL": ttl, "Kind": kind}})
	})
}

func (s *Server) handleLoginForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		email := q.Get("email") // a service's login_hint
		if len(email) > 254 {
			email = ""
		}
		next := safeNext(q.Get("next"))
		v := s.loginView(r, email, next)
		// Signed in already: say so instead of a form, unless a service
		// waits for this login (prompt=login or a passed max_age ask for
		// a fresh one: handleServiceLogin sends such a request here).
		// A link that led here to a page of the portal goes on to it.
		if a := s.viewer(r); a != nil && v.ServiceName() == "" {
			if next != "" {
				http.Redirect(w, r, next, http.StatusSeeOther)
				return
			}
			s.render(w, r, http.StatusOK, "angemeldet", view{Title: "login.title", Account: a})
			return
		}
		switch {
		case q.Get("abgelaufen") != "":
			v.Error = &pforte.Error{Code: pforte.SessionExpired,
				Message: s.catalog.Must(langOf(r), "err.session-expired", "Idle", locale.Duration(langOf(r), s.cfg.SessionIdle))}
		case q.Get("abgemeldet") != "":
			v.Notice = "login.logged-out"
		case q.Get("passwort") != "":
			v.Notice = "login.password-saved"
		}
		s.render(w, r, http.StatusOK, "anmelden", v)
	})
}

func (s *Server) handleLogin() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		email, next := f.Get("email"), safeNext(f.Get("next"))
		a, err := s.accounts.Login(r.Context(), email, f.Get("password"), s.client(r))
		if err != nil {
			v := s.loginView(r, email, next)
			if pforte.ErrorCode(err) == pforte.PasswordExpired {
				v.Title = "expired.title"
				s.renderForm(w, r, "passwort-abgelaufen", err, v)
				return
			}
			s.renderForm(w, r, "anmelden", err, v)
			return
		}
		if s.askSecondFactor(w, r, a, next) {
			return
		}
		s.signIn(w, r, a, next, "pwd")
	})
}

func (s *Server) handleLogout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.endBrowserSession(w, r); err != nil {
			s.renderError(w, r, err)
			return
		}
		http.Redirect(w, r, "/anmelden?abgemeldet=1", http.StatusSeeOther)
	})
}

// endBrowserSession ends the browser's session on the server (audited as
// logout) and clears its cookie: the logout button and a service's logout.
func (s *Server) endBrowserSession(w http.ResponseWriter, r *http.Request) error {
	id := s.sessionID(r)
	if id != "" {
		acct, _, status, err := s.sessions.Check(r.Context(), id)
		if err == nil && status.Valid() {
			s.db.Q().Audit(r.Context(), pforte.AuditEntry{Event: pforte.EventLogout, AccountID: acct.ID, Client: s.client(r)})
		}
		if err := s.sessions.End(r.Context(), id); err != nil {
			return err
		}
	}
	s.clearSessionCookie(w)
	return nil
}

func (s *Server) handleForgotForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "passwort-vergessen", view{Title: "forgot.title",
			Form: map[string]string{"email": r.URL.Query().Get("email")}})
	})
}

func (s *Server) handleForgot() http.Handler {
	return s.mailRequest(s.accounts.RequestReset, "passwort-vergessen", "forgot.title", s.cfg.ResetTokenTTL, "passwort")
}

func (s *Server) handleResetForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		a, err := s.accounts.PeekToken(r.Context(), pforte.ResetToken, token)
		if err != nil {
			s.renderLinkError(w, r, err, resetLink)
			return
		}
		s.render(w, r, http.StatusOK, "passwort-neu", view{Title: "reset.title",
			Form: map[string]string{"token": token, "email": a.Email}})
	})
}

func (s *Server) handleReset() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		token := linkToken(f, r)
		_, err := s.accounts.Reset(r.Context(), token, f.Get("password"), f.Get("password_repeat"),
			has(f, "password_repeat"), s.client(r))
		if err != nil {
			if pforte.ErrorCode(err) == pforte.TokenInvalid {
				s.renderLinkError(w, r, err, resetLink)
				return
			}
			v := view{Title: "reset.title", Form: map[string]string{"token": token}}
			if acct, perr := s.accounts.PeekToken(r.Context(), pforte.ResetToken, token); perr == nil {
				v.Form["email"] = acct.Email
			}
			s.renderForm(w, r, "passwort-neu", err, v)
			return
		}
		// The reset ended every session, this browser's too.
		if s.sessionID(r) != "" {
			s.clearSessionCookie(w)
		}
		http.Redirect(w, r, "/anmelden?passwort=neu", http.StatusSeeOther)
	})
}

// linkToken is the token of a mailed link: from the form the link's page
// shows, or — for a client that posts straight to the link — its query.
func linkToken(f url.Values, r *http.Request) string {
	if t := f.Get("token"); t != "" {
		return t
	}
	return r.URL.Query().Get("token")
}
