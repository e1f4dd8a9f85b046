package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"pforte"
	"pforte/store"
)

// sessionRow is one live session on /konto/sicherheit.
type sessionRow struct {
	SID      string
	Browser  string
	Client   string
	Started  time.Time
	LastSeen time.Time
	Current  bool
	WithOTP  bool
	Passkey  bool
}

// securityPage is the data of /konto/sicherheit.
type securityPage struct {
	AppOn             bool
	Unused            int
	Passkeys          []store.Passkey
	Sessions          []sessionRow
	PasskeysAvailable bool // passkeys work with this portal's address
}

var securityNotices = map[string]string{
	"zwei-faktor-aus":     "security.notice.factor-off",
	"sitzung-beendet":     "security.notice.session-ended",
	"andere-beendet":      "security.notice.others-ended",
	"passkey-entfernt":    "security.notice.passkey-removed",
	"passkey-gespeichert": "security.notice.passkey-saved",
}

func (s *Server) handleSecurity() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		au := authOf(r)
		ctx := r.Context()
		var p securityPage
		var err error
		if p.AppOn, err = s.mfa.TOTPEnabled(ctx, au.Account.ID); err == nil {
			p.Unused, err = s.mfa.UnusedCodes(ctx, au.Account.ID)
		}
		if err == nil {
			p.Passkeys, err = s.db.Q().PasskeysOf(ctx, au.Account.ID)
		}
		var sessions []store.StoredSession
		if err == nil {
			sessions, err = s.db.Q().SessionsOf(ctx, au.Account.ID, time.Now())
		}
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		for _, st := range sessions {
			if time.Since(st.LastSeenAt) >= s.cfg.SessionIdle {
				continue // timed out, waiting to be pruned
			}
			p.Sessions = append(p.Sessions, sessionRow{SID: st.SID, Browser: s.browserInWords(langOf(r), st.UserAgent), Client: st.Client,
				Started: st.CreatedAt, LastSeen: st.LastSeenAt, Current: st.Hash == au.SessionHash,
				WithOTP: st.HasMethod("otp"), Passkey: st.HasMethod("hwk")})
		}
		p.PasskeysAvailable = s.mfa.WebAuthn != nil
		s.render(w, r, http.StatusOK, "konto-sicherheit", view{Title: "security.title", Data: p,
			Notice: securityNotices[r.URL.Query().Get("hinweis")]})
	})
}

// handleEndSession ends one session of the account, named by its sid.
func (s *Server) handleEndSession() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		au := authOf(r)
		hash, err := s.db.Q().SessionOfBySID(r.Context(), au.Account.ID, r.PathValue("sid"))
		if errors.Is(err, store.ErrNotFound) {
			// Ended already (or never this account's): nothing to do.
			http.Redirect(w, r, "/konto/sicherheit?hinweis=sitzung-beendet", http.StatusSeeOther)
			return
		}
		if err == nil {
			err = s.db.Q().DeleteSession(r.Context(), hash)
		}
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		s.db.Q().Audit(r.Context(), pforte.AuditEntry{Event: pforte.EventSessionEnded, AccountID: au.Account.ID, Client: s.client(r)})
		if hash == au.SessionHash {
			s.clearSessionCookie(w)
			http.Redirect(w, r, "/anmelden?abgemeldet=1", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/konto/sicherheit?hinweis=sitzung-beendet", http.StatusSeeOther)
	})
}

func (s *Server) handleEndOthers() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		au := authOf(r)
		n, err := s.db.Q().DeleteSessionsOf(r.Context(), au.Account.ID, au.SessionHash)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		if n > 0 {
			s.db.Q().Audit(r.Context(), pforte.AuditEntry{Event: pforte.EventSessionEnded, AccountID: au.Account.ID,
				Client: s.client(r), Detail: "alle anderen"})
		}
		http.Redirect(w, r, "/konto/sicherheit?hinweis=andere-beendet", http.StatusSeeOther)
	})
}

func (s *Server) handleEmailForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "konto-email", view{Title: "email.title"})
	})
}

func (s *Server) handleEmailChange() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		email := f.Get("email")
		v := view{Title: "email.title", Form: map[string]string{"email": email}}
		a, err := s.accounts.CheckPassword(r.Context(), authOf(r).Account.ID, f.Get("current_password"), s.client(r))
		if err == nil {
			err = s.accounts.RequestEmailChange(r.Context(), a, email, s.client(r))
		}
		if err != nil {
			s.renderForm(w, r, "konto-email", err, v)
			return
		}
		s.render(w, r, http.StatusOK, "post-pruefen", view{Title: "mailsent.new-address.title",
			Data: map[string]any{"Email": email, "TTL": s.cfg.ConfirmTokenTTL, "Kind": "email"}})
	})
}

func (s *Server) handleEmailConfirmForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		c, err := s.accounts.PeekEmailChange(r.Context(), token)
		if err != nil {
			s.renderLinkError(w, r, err, emailLink)
			return
		}
		s.render(w, r, http.StatusOK, "konto-email-bestaetigen", view{Title: "email.confirm.title",
			Form: map[string]string{"token": token, "email": c.NewEmail}})
	})
}

func (s *Server) handleEmailConfirm() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		a, err := s.accounts.ConfirmEmailChange(r.Context(), linkToken(f, r), s.client(r))
		if err != nil {
			s.renderLinkError(w, r, err, emailLink)
			return
		}
		s.render(w, r, http.StatusOK, "konto-email-bestaetigen", view{Title: "email.confirmed.title",
			Form: map[string]string{"email": a.Email}, Data: true})
	})
}

func (s *Server) handleDeleteForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "konto-loeschen", view{Title: "delete.title"})
	})
}

func (s *Server) handleDelete() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		a, err := s.accounts.CheckPassword(r.Context(), authOf(r).Account.ID, f.Get("current_password"), s.client(r))
		if err == nil {
			err = s.accounts.DeleteOwn(r.Context(), a, s.client(r))
		}
		if err != nil {
			s.renderForm(w, r, "konto-loeschen", err, view{Title: "delete.title"})
			return
		}
		s.clearSessionCookie(w)
		http.Redirect(w, r, "/?hinweis=konto-geloescht", http.StatusSeeOther)
	})
}

// handleExport answers with everything kept about the account as a JSON
// download (DSGVO Art. 15 and 20).
func (s *Server) handleExport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x, err := s.accounts.Export(r.Context(), authOf(r).Account.ID, s.client(r))
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		b, err := json.MarshalIndent(readableExport(s.catalog, langOf(r), x), "", "  ")
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="kundenportal-meine-daten.json"`)
		w.Write(append(b, '\n'))
	})
}
