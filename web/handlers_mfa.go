package web

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"

	"pforte"
	"pforte/account"
	"pforte/mfa"
	"pforte/session"
	"pforte/store"
)

// stepCookie is a short-lived cookie carrying a step between two
// requests: a login waiting for its second factor ("login"), a passkey
// ceremony ("passkey"). Like the session cookie it is HttpOnly and, under
// https, Secure and __Host- prefixed.
type stepCookie string

func (c stepCookie) name(s *Server) string {
	if s.cfg.SecureCookies() {
		return "__Host-pforte_" + string(c)
	}
	return "pforte_" + string(c)
}

// set stores raw for maxAge seconds; a negative maxAge deletes the cookie.
func (c stepCookie) set(s *Server, w http.ResponseWriter, raw string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: c.name(s), Value: raw, Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies(), SameSite: http.SameSiteLaxMode, MaxAge: maxAge})
}

func (c stepCookie) get(s *Server, r *http.Request) string {
	ck, err := r.Cookie(c.name(s))
	if err != nil {
		return ""
	}
	return ck.Value
}

const (
	loginCookie    stepCookie = "login"
	ceremonyCookie stepCookie = "passkey"
)

func (s *Server) setPendingCookie(w http.ResponseWriter, raw string) {
	loginCookie.set(s, w, raw, int(mfa.PendingTTL.Seconds()))
}

func (s *Server) clearPendingCookie(w http.ResponseWriter) { loginCookie.set(s, w, "", -1) }

func (s *Server) pendingID(r *http.Request) string { return loginCookie.get(s, r) }

// askSecondFactor is the step after the right password: an account with
// the app's codes on gets no session yet, only a pending login and the way
// to /anmelden/zweiter-faktor. (A passkey is a login of its own, not a
// step after the password.) It reports whether it answered.
func (s *Server) askSecondFactor(w http.ResponseWriter, r *http.Request, a *pforte.Account, next string) bool {
	on, err := s.mfa.TOTPEnabled(r.Context(), a.ID)
	if err != nil {
		s.renderError(w, r, err)
		return true
	}
	if !on {
		return s.askPasskey(w, r, a, next)
	}
	raw, err := s.mfa.BeginLogin(r.Context(), a.ID, a.PasswordHash, next)
	if err != nil {
		s.renderError(w, r, account.SignInRefused(err))
		return true
	}
	s.setPendingCookie(w, raw)
	http.Redirect(w, r, "/anmelden/zweiter-faktor", http.StatusSeeOther)
	return true
}

// passkeyRequired answers the right password of a staff account that has
// a passkey and no app codes: its second factor is the passkey, so the
// password alone opens no session (it would open the console once a
// factor is set up in it).
var passkeyRequired = &pforte.Error{Code: pforte.Forbidden,
	Message: "Ihr Konto ist mit einem Passkey geschützt. Bitte melden Sie sich mit Ihrem Passkey an („Mit Passkey anmelden“)."}

// askPasskey refuses the password alone for a staff account with a
// passkey (and no app codes); it reports whether it answered.
func (s *Server) askPasskey(w http.ResponseWriter, r *http.Request, a *pforte.Account, next string) bool {
	if !a.Role.Staff() || !s.passkeysOn() {
		return false
	}
	keys, err := s.mfa.Passkeys(r.Context(), a.ID)
	if err != nil {
		s.renderError(w, r, err)
		return true
	}
	if len(keys) == 0 {
		return false
	}
	s.db.Q().Audit(r.Context(), pforte.AuditEntry{Event: pforte.EventLoginFailed, AccountID: a.ID, Client: s.client(r),
		Detail: "staff account with a passkey: password alone refused"})
	s.renderForm(w, r, "anmelden", passkeyRequired, view{Title: "login.title", Form: map[string]string{"email": a.Email, "next": next}})
	return true
}

// signIn starts a session for a with the sign-in methods and sends the
// browser on to next (or /konto).
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, a *pforte.Account, next string, methods ...string) {
	id, err := s.sessions.Start(r.Context(), a.ID, s.sessionID(r), passwordLogin(r, s, a, methods...))
	if err != nil {
		s.renderError(w, r, account.SignInRefused(err))
		return
	}
	s.setSessionCookie(w, id)
	if next == "" {
		next = "/konto"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// sessionLogin describes the sign-in of request r with methods; the
// session keeps the page's language for the mails (they follow the pages).
func sessionLogin(r *http.Request, s *Server, methods ...string) session.Login {
	return session.Login{Client: s.client(r), UserAgent: r.UserAgent(), Methods: methods, Language: string(langOf(r))}
}

// passwordLogin is sessionLogin for a sign-in that checked a's password:
// the session opens only while it is still the account's.
func passwordLogin(r *http.Request, s *Server, a *pforte.Account, methods ...string) session.Login {
	l := sessionLogin(r, s, methods...)
	l.Password = a.PasswordHash
	return l
}

func (s *Server) handleSecondFactorForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, next, err := s.mfa.PendingLogin(r.Context(), s.pendingID(r))
		if err != nil {
			s.loginAgain(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "anmelden-zweiter-faktor", view{Title: "second.title",
			Data: loginPage{Service: s.waitingService(r, next)}})
	})
}

func (s *Server) handleSecondFactor() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		raw := s.pendingID(r)
		a, next, err := s.mfa.CompleteLogin(r.Context(), raw, f.Get("code"), s.client(r))
		if err != nil {
			if mfa.LoginGone(err) {
				s.loginAgain(w, r, err)
				return
			}
			s.renderForm(w, r, "anmelden-zweiter-faktor", err, view{Title: "second.title"})
			return
		}
		s.clearPendingCookie(w)
		s.signIn(w, r, a, next, "pwd", "otp")
	})
}

// loginAgain shows the login form when a pending login is gone.
func (s *Server) loginAgain(w http.ResponseWriter, r *http.Request, err error) {
	s.clearPendingCookie(w)
	s.renderForm(w, r, "anmelden", err, view{Title: "login.title", Form: map[string]string{}})
}

// factorPage is the data of /konto/zwei-faktor.
type factorPage struct {
	On           bool
	Secret       string
	Grouped      string
	QR           template.URL
	Codes        []string
	Unused       int
	JustTurnedOn bool
	// Next is where the member goes on to once the codes are kept (a
	// service's sign-in waiting for the factor); "" is /konto/sicherheit.
	Next string
}

// renderFactor shows page name with err; a wrong code when turning the
// factor on or off is 422 there (401 is for the login step).
func (s *Server) renderFactor(w http.ResponseWriter, r *http.Request, name string, err error, v view) {
	v.Error = s.userError(r, err)
	status := pforte.Info(v.Error.Code).Status
	if v.Error.Code == pforte.MFAInvalid {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, status, name, v)
}

func (s *Server) handleFactorForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.showFactor(w, r, nil)
	})
}

// showFactor renders /konto/zwei-faktor: the state when the app's codes
// are on, else a new secret to enrol; with err, the error of a POST.
func (s *Server) showFactor(w http.ResponseWriter, r *http.Request, err error) {
	a := authOf(r).Account
	on, e := s.mfa.TOTPEnabled(r.Context(), a.ID)
	if e != nil {
		s.renderError(w, r, e)
		return
	}
	v := view{Title: "factor.title"}
	p := factorPage{On: on, Next: safeNext(r.FormValue("next"))}
	if on {
		if p.Unused, e = s.mfa.UnusedCodes(r.Context(), a.ID); e != nil {
			s.renderError(w, r, e)
			return
		}
	} else {
		if e := s.mayEnrol(r); e != nil {
			s.renderError(w, r, e)
			return
		}
		// After a mistake the same secret again: the app has it already.
		en, ok, e := s.mfa.PendingTOTP(r.Context(), a)
		if e == nil && (err == nil || !ok) {
			en, e = s.mfa.BeginTOTP(r.Context(), a)
		}
		if e != nil {
			s.renderError(w, r, e)
			return
		}
		p.Secret, p.Grouped = en.Secret, en.Grouped()
		p.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(en.QR))
	}
	v.Data = p
	if err != nil {
		s.renderFactor(w, r, "konto-zwei-faktor", err, v)
		return
	}
	s.render(w, r, http.StatusOK, "konto-zwei-faktor", v)
}

func (s *Server) handleFactorOn() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		au := authOf(r)
		if err := s.mayEnrol(r); err != nil {
			s.renderError(w, r, err)
			return
		}
		a, err := s.accounts.CheckPassword(r.Context(), au.Account.ID, f.Get("current_password"), s.client(r))
		if err == nil {
			var codes []string
			codes, err = s.mfa.EnableTOTP(r.Context(), a, f.Get("code"), au.SessionHash, s.client(r))
			if err == nil {
				// A new session (new id) says that the factor is set up; the
				// old one ends. Set up with the password alone, it counts
				// as shown only from the next sign-in with a code.
				shown := session.MethodNewOTP
				if au.Session.SecondFactor() {
					shown = "otp"
				}
				id, err := s.sessions.Start(r.Context(), a.ID, au.SessionID, passwordLogin(r, s, a, "pwd", shown))
				if err != nil {
					s.renderError(w, r, account.SignInRefused(err))
					return
				}
				s.setSessionCookie(w, id)
				s.render(w, r, http.StatusOK, "konto-codes", view{Title: "codes.title",
					Notice: "codes.factor-on",
					Data:   factorPage{On: true, Codes: codes, JustTurnedOn: true, Next: safeNext(f.Get("next"))}})
				return
			}
		}
		s.showFactor(w, r, err)
	})
}

func (s *Server) handleFactorOff() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		a, err := s.accounts.CheckPassword(r.Context(), authOf(r).Account.ID, f.Get("current_password"), s.client(r))
		if err == nil {
			err = s.mfa.DisableTOTP(r.Context(), a, f.Get("code"), s.client(r))
		}
		if err != nil {
			s.showFactor(w, r, err)
			return
		}
		// This session no longer counts as signed in with the app's code:
		// it is replaced by one without it, so that, say, the console
		// (which asks for a second factor) closes at once.
		methods := []string{"pwd"}
		if st := authOf(r).Session; st != nil && st.HasMethod("hwk") {
			methods = []string{"hwk"}
		}
		id, err := s.sessions.Start(r.Context(), a.ID, s.sessionID(r), passwordLogin(r, s, a, methods...))
		if err != nil {
			s.renderError(w, r, account.SignInRefused(err))
			return
		}
		s.setSessionCookie(w, id)
		http.Redirect(w, r, "/konto/sicherheit?hinweis=zwei-faktor-aus", http.StatusSeeOther)
	})
}

func (s *Server) handleNewCodes() http.Handler {
	return s.posted(func(w http.ResponseWriter, r *http.Request, f url.Values) {
		a, err := s.accounts.CheckPassword(r.Context(), authOf(r).Account.ID, f.Get("current_password"), s.client(r))
		var codes []string
		if err == nil {
			codes, err = s.mfa.RegenerateCodes(r.Context(), a, s.client(r))
		}
		if err != nil {
			s.showFactor(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "konto-codes", view{Title: "codes.title",
			Notice: "codes.renewed",
			Data:   factorPage{On: true, Codes: codes}})
	})
}

// enrolTaken refuses to set up the app's codes in a session that showed
// no factor, for an account that has one already (a passkey): else the
// password alone would buy a second factor.
var enrolTaken = &pforte.Error{Code: pforte.Forbidden,
	Message: "Ihr Konto ist schon mit einem Passkey geschützt. Um zusätzlich die Authenticator-App einzurichten, melden Sie sich bitte mit Ihrem Passkey an."}

// mayEnrol is nil if the signed-in member may set up the app's codes now.
func (s *Server) mayEnrol(r *http.Request) error {
	au := authOf(r)
	if au.Session.SecondFactor() {
		return nil
	}
	has, err := s.mfa.Enabled(r.Context(), au.Account.ID)
	if err == nil && has {
		return enrolTaken
	}
	return err
}

// enrolmentOnly are the pages a session without a second factor may open
// when PFORTE_MFA=required: those that set one up, and signing out.
var enrolmentOnly = map[string]bool{
	"GET /konto/zwei-faktor":        true,
	"POST /konto/zwei-faktor":       true,
	"POST /konto/passkeys/optionen": true,
	"POST /konto/passkeys":          true,
	"POST /sitzung/verlaengern":     true,
}

// lacksFactor tells whether a session must first set up a second factor
// (PFORTE_MFA=required and it shows none): the one rule for Pforte's pages
// and the services' sign-in.
func (s *Server) lacksFactor(st *store.StoredSession) bool {
	return s.cfg.MFARequired() && !st.SecondFactor() && !st.HasMethod(session.MethodNewOTP)
}

// needsEnrolment tells whether the request must first set up a second
// factor: the session lacks one and the page is not one setting it up.
func (s *Server) needsEnrolment(r *http.Request, st *store.StoredSession) bool {
	return s.lacksFactor(st) && !enrolmentOnly[r.Pattern]
}
