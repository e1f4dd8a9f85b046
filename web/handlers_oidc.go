package web

import (
	"net/http"
	"net/url"
	"time"

	"pforte"
	"pforte/oidc"
	"pforte/session"
)

// The services' sign-in (CONTRACT §6): the protocol lives in package oidc;
// these handlers give it the browser's session, Pforte's login page and
// Pforte's error pages.

// handleAuthorize serves the authorization endpoint. A request that must
// not be redirected (unknown client, unregistered redirect URI) gets the
// 400 page.
func (s *Server) handleAuthorize() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var live *oidc.Live
		acct, st, status, err := s.sessions.Check(r.Context(), s.sessionID(r))
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		if status.Valid() {
			live = &oidc.Live{Account: acct, Session: st, LacksFactor: s.lacksFactor(st)}
		}
		if err := s.oidc.Authorize(w, r, live); err != nil {
			s.renderError(w, r, err)
		}
	})
}

// handleServiceLogin resumes an authorization request: with a live session
// fresh enough for it, straight back to the service (single sign-on);
// otherwise through the login page, which returns here.
func (s *Server) handleServiceLogin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		pd, err := s.oidc.Pending(r.Context(), id)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		acct, st, status, err := s.sessions.Check(r.Context(), s.sessionID(r))
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		if status.Valid() && s.lacksFactor(st) {
			// PFORTE_MFA=required: the factor first, then on to the service.
			http.Redirect(w, r, "/konto/zwei-faktor?"+url.Values{"next": {oidc.PathLogin + "?id=" + url.QueryEscape(id)}}.Encode(), http.StatusSeeOther)
			return
		}
		if status.Valid() && pd.Fresh(st, time.Now()) {
			err := s.oidc.Complete(w, r, id, oidc.Live{Account: acct, Session: st})
			if pforte.ErrorCode(err) == pforte.Forbidden {
				s.renderForm(w, r, "betrieb-verweigert", err, view{Title: "oidc.denied.title", Account: acct})
				return
			}
			if err != nil {
				s.renderError(w, r, err)
			}
			return
		}
		q := url.Values{"next": {oidc.PathLogin + "?id=" + url.QueryEscape(id)}}
		if status == session.Expired {
			q.Set("abgelaufen", "1")
		}
		if hint := pd.LoginHint; hint != "" && len(hint) <= 254 {
			q.Set("email", hint)
		}
		http.Redirect(w, r, "/anmelden?"+q.Encode(), http.StatusSeeOther)
	})
}

// handleServiceLogout serves the end-session endpoint: with a valid
// id_token_hint issued for this browser's session the session ends at
// once; otherwise the member is asked.
func (s *Server) handleServiceLogout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			s.renderError(w, r, badRequest)
			return
		}
		acct, st, status, err := s.sessions.Check(r.Context(), s.sessionID(r))
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		var live *oidc.Live
		if status.Valid() {
			live = &oidc.Live{Account: acct, Session: st}
		}
		lr, err := s.oidc.ParseLogout(r.Context(), r.Form, live)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		// Ask only when there is a session to end and no valid hint for
		// it said who asks.
		if !lr.Hinted && status.Valid() {
			s.render(w, r, http.StatusOK, "abmelden-dienst", view{Title: "oidc.logout.title", Data: lr, Account: acct,
				Form: map[string]string{"client_id": lr.ClientID, "post_logout_redirect_uri": lr.PostLogoutURI, "state": lr.State}})
			return
		}
		s.endServiceSession(w, r, lr)
	})
}

// handleServiceLogoutConfirm is the answer "Abmelden" to the question of
// handleServiceLogout.
func (s *Server) handleServiceLogoutConfirm() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		f.Del("id_token_hint")
		lr, err := s.oidc.ParseLogout(r.Context(), f, nil)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		s.endServiceSession(w, r, lr)
	})
}

func (s *Server) endServiceSession(w http.ResponseWriter, r *http.Request, lr *oidc.LogoutRequest) {
	if err := s.endBrowserSession(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	target := lr.Redirect
	if target == "" {
		target = "/anmelden?abgemeldet=1"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// withClientAddr hands the protocol the address of the service asking,
// for the audit log.
func (s *Server) withClientAddr(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(oidc.WithClientAddr(r.Context(), s.client(r))))
	})
}
