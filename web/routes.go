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
	mux.Handle("GET /konto", s.requireSession(s.handleAccount()))
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

	// Services: Pforte as OpenID Provider (package oidc).
	if s.oidc != nil {
		proto := s.withClientAddr(s.oidc.Handler())
		mux.Handle("GET "+oidc.PathDiscovery, s.oidc.Discovery())
		mux.Handle("GET "+oidc.PathKeys, proto)
		mux.Handle("GET "+oidc.PathAuthorize, s.handleAuthorize())
		mux.Handle("GET "+oidc.PathLogin, s.handleServiceLogin())
		mux.Handle("POST "+oidc.PathToken, s.withClientAddr(s.oidc.Token()))
		mux.Handle("GET "+oidc.PathUserinfo, s.oidc.Userinfo())
		mux.Handle("POST "+oidc.PathUserinfo, s.oidc.Userinfo())
		mux.Handle("POST "+oidc.PathRevoke, proto)
		mux.Handle("POST "+oidc.PathIntrospect, s.withClientAddr(s.oidc.Introspection()))
		// CORS preflights of browser-based services (op answers them).
		for _, path := range []string{oidc.PathToken, oidc.PathUserinfo, oidc.PathRevoke, oidc.PathKeys} {
			mux.Handle("OPTIONS "+path, proto)
		}
		mux.Handle("GET "+oidc.PathEndSession, s.handleEndSession())
		mux.Handle("POST "+oidc.PathEndSession, s.handleEndSessionConfirm())
	}

	// Operations.
	mux.Handle("GET /healthz", s.handleHealth())
	mux.Handle("GET /metrics", s.metricsAccess(s.metrics.Handler()))
	mux.Handle("GET /entwicklung/post", s.loopbackOnly(s.handleDevMail()))
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles(static)))

	mux.Handle("/", s.handleNotFound())

	return s.recoverPanics(s.securityHeaders(s.observe(s.crossOrigin(s.limitBody(mux)))))
}
