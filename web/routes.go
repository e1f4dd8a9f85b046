package web

import (
	"io/fs"
	"net/http"

	"pforte/business"
	"pforte/oidc"
)

// routes lists every route of the portal in one place.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")

	// Public pages.
	mux.Handle("GET /{$}", s.handleStart())
	mux.Handle("GET /registrieren", s.handleRegisterForm())
	mux.Handle("POST /registrieren", s.handleRegister())
	mux.Handle("GET /registrieren/bestaetigen", s.handleConfirmForm())
	mux.Handle("POST /registrieren/bestaetigen", s.handleConfirm())
	mux.Handle("POST /registrieren/erneut-senden", s.handleResendConfirmation())
	mux.Handle("GET /anmelden", s.handleLoginForm())
	mux.Handle("POST /anmelden", s.handleLogin())
	mux.Handle("POST /abmelden", s.handleLogout())
	mux.Handle("GET /passwort-vergessen", s.handleForgotForm())
	mux.Handle("POST /passwort-vergessen", s.handleForgot())
	mux.Handle("GET /passwort-neu", s.handleResetForm())
	mux.Handle("POST /passwort-neu", s.handleReset())
	mux.Handle("GET /hilfe", s.handleHelp())
	mux.Handle("GET /hilfe/anleitung.pdf", s.handleGuide())

	// Pages that need a session.
	mux.Handle("GET /konto", s.requireAccountPage(s.handleAccount()))
	mux.Handle("GET /konto/passwort", s.requireSession(s.handlePasswordForm()))
	mux.Handle("POST /konto/passwort", s.requireSession(s.handlePasswordChange()))
	mux.Handle("POST /sitzung/verlaengern", s.requireSession(s.handleStaySignedIn()))

	// Businesses: PIN request, linking, and the business services behind
	// the one access check (requireBusiness).
	mux.Handle("GET /betrieb", s.requireSession(s.handleBusinesses()))
	mux.Handle("GET /betrieb/pin-beantragen", s.requireSession(s.handlePINRequestForm()))
	mux.Handle("POST /betrieb/pin-beantragen", s.requireSession(s.handlePINRequest()))
	mux.Handle("GET /betrieb/verknuepfen", s.requireSession(s.handleLinkForm()))
	mux.Handle("POST /betrieb/verknuepfen", s.requireSession(s.handleLink()))
	mux.Handle("POST /betrieb/{number}/trennen", s.requireSession(s.handleUnlink()))
	mux.Handle("GET /betrieb/{number}", s.handleBusinessSlash())
	mux.Handle("GET /betrieb/{number}/{$}", s.requireBusiness(business.UseServices, s.handleBusinessHome()))

	// Second factor, passkeys and the member's own account (CONTRACT §7).
	mux.Handle("GET /anmelden/zweiter-faktor", s.handleSecondFactorForm())
	mux.Handle("POST /anmelden/zweiter-faktor", s.handleSecondFactor())
	mux.Handle("GET /konto/sicherheit", s.requireSession(s.handleSecurity()))
	mux.Handle("GET /konto/zwei-faktor", s.requireSession(s.handleFactorForm()))
	mux.Handle("POST /konto/zwei-faktor", s.requireSession(s.handleFactorOn()))
	mux.Handle("POST /konto/zwei-faktor/aus", s.requireSession(s.handleFactorOff()))
	mux.Handle("POST /konto/zwei-faktor/wiederherstellungscodes", s.requireSession(s.handleNewCodes()))
	// A reload after a refused form there lands on its POST path: lead back.
	mux.Handle("GET /konto/zwei-faktor/aus", http.RedirectHandler("/konto/zwei-faktor", http.StatusSeeOther))
	mux.Handle("GET /konto/zwei-faktor/wiederherstellungscodes", http.RedirectHandler("/konto/zwei-faktor", http.StatusSeeOther))
	mux.Handle("POST /konto/sitzungen/{sid}/beenden", s.requireSession(s.handleEndSession()))
	mux.Handle("POST /konto/sitzungen/andere-beenden", s.requireSession(s.handleEndOthers()))
	mux.Handle("GET /konto/email", s.requireSession(s.handleEmailForm()))
	mux.Handle("POST /konto/email", s.requireSession(s.handleEmailChange()))
	mux.Handle("GET /konto/email/bestaetigen", s.handleEmailConfirmForm())
	mux.Handle("POST /konto/email/bestaetigen", s.handleEmailConfirm())
	mux.Handle("GET /konto/loeschen", s.requireSession(s.handleDeleteForm()))
	mux.Handle("POST /konto/loeschen", s.requireSession(s.handleDelete()))
	mux.Handle("GET /konto/daten", s.requireSession(s.handleExport()))
	mux.Handle("POST /konto/passkeys/optionen", s.requireSession(s.handlePasskeyOptions()))
	mux.Handle("POST /konto/passkeys", s.requireSession(s.handlePasskeyAdd()))
	mux.Handle("POST /konto/passkeys/{id}/entfernen", s.requireSession(s.handlePasskeyRemove()))
	mux.Handle("POST /anmelden/passkey/optionen", s.handlePasskeyLoginOptions())
	mux.Handle("POST /anmelden/passkey", s.handlePasskeyLogin())
	// The staff console (web/console, its routes in its own routes.go):
	// behind the session check; it checks the role and second factor.
	mux.Handle("/verwaltung", s.requireSession(s.console))
	mux.Handle("/verwaltung/", s.requireSession(s.console))
	// Services: Pforte as OpenID Provider (package oidc).
	if s.oidc != nil {
		proto := s.protocolUnavailable(s.withClientAddr(s.oidc.Handler()))
		mux.Handle("GET "+oidc.PathDiscovery, s.oidc.Discovery())
		mux.Handle("GET "+oidc.PathKeys, proto)
		mux.Handle("GET "+oidc.PathAuthorize, s.withClientAddr(s.handleAuthorize()))
		mux.Handle("GET "+oidc.PathLogin, s.handleServiceLogin())
		mux.Handle("POST "+oidc.PathToken, s.protocolUnavailable(s.withClientAddr(s.oidc.Token())))
		mux.Handle("GET "+oidc.PathUserinfo, s.protocolUnavailable(s.oidc.Userinfo()))
		mux.Handle("POST "+oidc.PathUserinfo, s.protocolUnavailable(s.oidc.Userinfo()))
		mux.Handle("POST "+oidc.PathRevoke, proto)
		mux.Handle("POST "+oidc.PathIntrospect, s.protocolUnavailable(s.withClientAddr(s.oidc.Introspection())))
		// CORS preflights of browser-based services (op answers them).
		for _, path := range []string{oidc.PathToken, oidc.PathUserinfo, oidc.PathRevoke, oidc.PathKeys} {
			mux.Handle("OPTIONS "+path, proto)
		}
		mux.Handle("GET "+oidc.PathEndSession, s.handleServiceLogout())
		mux.Handle("POST "+oidc.PathEndSession, s.handleServiceLogoutConfirm())
	}

	// Operations.
	mux.Handle("GET /healthz", s.handleHealth())
	mux.Handle("GET /metrics", s.metricsAccess(s.metrics.Handler()))
	mux.Handle("GET /entwicklung/post", s.loopbackOnly(s.handleDevMail()))
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles(static)))

	// The chamber's look and its legal pages (CONTRACT §9).
	mux.Handle("GET /static/kammer.css", s.handleChamberCSS())
	mux.Handle("GET /static/kammer-logo", s.handleLogo())
	mux.Handle("GET /impressum", s.handleLegal("impressum"))
	mux.Handle("GET /datenschutz", s.handleLegal("datenschutz"))
	mux.Handle("GET /barrierefreiheit", s.handleLegal("barrierefreiheit"))
	mux.Handle("GET /hilfe/anleitung", s.handleGuidePage())
	mux.Handle("GET /hilfe/anleitung/{lang}/{picture}", s.handleGuidePicture())
	mux.Handle("GET /betrieb/{number}/trennen", s.requireSession(s.handleUnlinkForm()))

	mux.Handle("/", s.handleNotFound())

	return s.recoverPanics(s.deadline(s.language(s.securityHeaders(s.observe(s.crossOrigin(s.limitBody(mux)))))))
}
