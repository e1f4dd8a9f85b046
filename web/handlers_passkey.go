package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"pforte"
	"pforte/mfa"
)

// The passkey endpoints speak JSON (the WebAuthn JSON serialisation) with
// the script web/static/passkey.js; errors come as
// {"error": {"code": …, "message": …}} with the code's status.

// The ceremony cookie carries a passkey ceremony's challenge between the
// options and the answer.
func (s *Server) setCeremonyCookie(w http.ResponseWriter, raw string, maxAge int) {
	ceremonyCookie.set(s, w, raw, maxAge)
}

func (s *Server) ceremonyID(r *http.Request) string { return ceremonyCookie.get(s, r) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// jsonError answers err as JSON; a wrong passkey when adding one is 422
// (401 is for the login), as for the app's codes.
func (s *Server) jsonError(w http.ResponseWriter, r *http.Request, err error, adding bool) {
	e := s.userError(r, err)
	status := pforte.Info(e.Code).Status
	if adding && e.Code == pforte.MFAInvalid {
		status = http.StatusUnprocessableEntity
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": string(e.Code), "message": s.catalog.Translate(langOf(r), e.Message)}})
}

// jsonBody reads a posted JSON body within the body limit.
func jsonBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil || len(b) == 0 {
		return nil, badRequest
	}
	return b, nil
}

// proveOwner checks, before the sign-in methods change, that the member
// knows the current password and, when the app's codes are on, a code:
// a stolen session alone must not add or remove a passkey.
func (s *Server) proveOwner(r *http.Request, password, code string) (*pforte.Account, error) {
	if au := authOf(r); password == "" && code == "" && au.Session != nil && time.Since(au.Session.CreatedAt) < freshSignIn {
		// The sign-in a moment ago was the proof (CONTRACT §7 posts
		// these forms without fields).
		return au.Account, nil
	}
	a, err := s.accounts.CheckPassword(r.Context(), authOf(r).Account.ID, password, s.client(r))
	if err != nil {
		return nil, err
	}
	return a, s.mfa.ProveFactor(r.Context(), a, code, s.client(r))
}

// freshSignIn is how long after its sign-in a session may add or remove a
// passkey without giving the password (and code) again: the sign-in
// proved the owner. Later, a stolen session alone changes no passkey.
const freshSignIn = 5 * time.Minute

// ownerProof is the JSON body of POST /konto/passkeys/optionen.
type ownerProof struct {
	Password string `json:"current_password"`
	Code     string `json:"code"`
}

func (s *Server) handlePasskeyOptions() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p ownerProof
		if b, _ := io.ReadAll(r.Body); len(b) > 0 && json.Unmarshal(b, &p) != nil {
			s.jsonError(w, r, badRequest, true)
			return
		}
		a, err := s.proveOwner(r, p.Password, p.Code)
		var opts any
		var raw string
		if err == nil {
			// The ceremony's pending row exists only after the proof.
			opts, raw, err = s.mfa.BeginPasskey(r.Context(), a)
		}
		if err != nil {
			s.jsonError(w, r, err, true)
			return
		}
		s.setCeremonyCookie(w, raw, 300)
		writeJSON(w, http.StatusOK, opts)
	})
}

func (s *Server) handlePasskeyAdd() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := jsonBody(r)
		if err == nil {
			err = s.mfa.FinishPasskey(r.Context(), authOf(r).Account, authOf(r).SessionHash, s.ceremonyID(r), body, s.browserInWords(langOf(r), r.UserAgent()), s.client(r))
		}
		s.setCeremonyCookie(w, "", -1)
		if err != nil {
			s.jsonError(w, r, err, true)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"redirect": "/konto/sicherheit?hinweis=passkey-gespeichert"})
	})
}

func (s *Server) handlePasskeyRemove() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			s.renderError(w, r, pforte.Errorf(pforte.NotFound, ""))
			return
		}
		a, err := s.proveOwner(r, f.Get("current_password"), f.Get("code"))
		if err == nil {
			err = s.mfa.RemovePasskey(r.Context(), a, id, s.client(r))
		}
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		http.Redirect(w, r, "/konto/sicherheit?hinweis=passkey-entfernt", http.StatusSeeOther)
	})
}

func (s *Server) handlePasskeyLoginOptions() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opts, raw, err := s.mfa.BeginPasskeyLogin(r.Context(), safeNext(r.URL.Query().Get("next")), s.client(r))
		if err != nil {
			s.jsonError(w, r, err, false)
			return
		}
		s.setCeremonyCookie(w, raw, 300)
		writeJSON(w, http.StatusOK, opts)
	})
}

// handlePasskeyLogin signs in with a passkey: both factors at once.
func (s *Server) handlePasskeyLogin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := jsonBody(r)
		var next string
		if err == nil {
			var a *pforte.Account
			var passkey int64
			a, next, passkey, err = s.mfa.FinishPasskeyLogin(r.Context(), s.ceremonyID(r), body, s.client(r))
			if err == nil {
				s.setCeremonyCookie(w, "", -1)
				l := sessionLogin(r, s, "hwk")
				l.Passkey = passkey
				id, err := s.sessions.Start(r.Context(), a.ID, s.sessionID(r), l)
				if err != nil {
					s.jsonError(w, r, mfa.PasskeyRefused(err), false)
					return
				}
				s.setSessionCookie(w, id)
				if next == "" {
					next = "/konto"
				}
				writeJSON(w, http.StatusOK, map[string]string{"redirect": next})
				return
			}
		}
		s.setCeremonyCookie(w, "", -1)
		s.jsonError(w, r, err, false)
	})
}

// passkeysOn tells the pages whether to offer passkeys.
func (s *Server) passkeysOn() bool { return s.mfa != nil && s.mfa.WebAuthn != nil }
