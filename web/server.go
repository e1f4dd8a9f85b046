// Package web is Pforte's HTTP side: the routes of the contract, German
// pages from html/template, the session cookie and the security headers.
// Handlers are thin: they decode a form, call the account or session
// service and render the answer.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"pforte"
	"pforte/account"
	"pforte/business"
	"pforte/config"
	"pforte/locale"
	"pforte/metrics"
	"pforte/mfa"
	"pforte/oidc"
	"pforte/session"
	"pforte/store"
	"pforte/throttle"
	"pforte/web/console"
	"pforte/web/legal"
)

// Server holds what the handlers need. Build it with New.
type Server struct {
	cfg      config.Config
	db       *store.DB
	accounts *account.Service
	sessions *session.Sessions
	metrics  *metrics.Metrics
	log      *slog.Logger
	pages    *pages
	catalog  *locale.Catalog
	// constants are the parts of every page that depend only on the
	// language and the configuration.
	constants map[locale.Lang]pageConstants
	// codes is the one list of codes with titles and remedies per
	// language, worked out once (see codesIn).
	codes map[locale.Lang][]pforte.CodeInfo
	// rules are the password rules with their labels per language, as a
	// list and as JSON for the checklist script, worked out once.
	rules map[locale.Lang]pageRules

	businesses *business.Service
	mfa        *mfa.Service
	console    http.Handler

	legal legal.Pages

	// oidc is the OpenID Provider for the services (nil: not mounted).
	oidc *oidc.Provider

	// guides are the guide's PDF in each language.
	guides map[locale.Lang]*guidePDF
}

// Deps are the parts a Server is built from.
type Deps struct {
	Config   config.Config
	DB       *store.DB
	Accounts *account.Service
	Sessions *session.Sessions
	Metrics  *metrics.Metrics
	Log      *slog.Logger

	// Businesses serves the /betrieb pages.
	Businesses *business.Service
	// MFA serves the second factor, passkeys and /konto/sicherheit.
	MFA *mfa.Service

	// Limits and SecondFactor serve the staff console (/verwaltung).
	Limits       *throttle.Limiter
	SecondFactor console.SecondFactor
	WakeMail     func()

	// OIDC signs the chamber's services in (nil: not mounted).
	OIDC *oidc.Provider
}

// New returns the whole portal as one http.Handler: routes, middleware
// and cross-origin protection.
func New(d Deps) (http.Handler, error) {
	cat, err := locale.Load()
	if err != nil {
		return nil, err
	}
	scriptTexts, err := scriptTextsOf(cat)
	if err != nil {
		return nil, err
	}
	constants := pageConstantsOf(d.Config, scriptTexts)
	p, err := loadPages(cat, constants)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: d.Config, db: d.DB, accounts: d.Accounts, sessions: d.Sessions, metrics: d.Metrics,
		log: d.Log, pages: p, catalog: cat, constants: constants, businesses: d.Businesses, mfa: d.MFA, oidc: d.OIDC,
		guides: map[locale.Lang]*guidePDF{}}
	for _, l := range locale.Langs {
		s.guides[l] = &guidePDF{}
	}
	s.codes = map[locale.Lang][]pforte.CodeInfo{}
	s.rules = map[locale.Lang]pageRules{}
	for _, l := range locale.Langs {
		s.codes[l] = codesOf(cat, l)
		s.rules[l] = rulesOf(d.Config.Policy, cat, l)
	}
	if s.legal, err = loadLegal(d.Config, s.baseURL()); err != nil {
		return nil, err
	}
	var services console.Services
	if d.OIDC != nil {
		services = d.OIDC
	}
	if s.console, err = console.New(console.Deps{Host: consoleHost{s}, DB: d.DB, Accounts: d.Accounts, Businesses: d.Businesses,
		Limits: d.Limits, SecondFactor: d.SecondFactor, Services: services, WakeMail: d.WakeMail, Idle: d.Config.SessionIdle}); err != nil {
		return nil, err
	}
	return s.routes(), nil
}

// baseURL is the public URL without a trailing slash.
func (s *Server) baseURL() string { return s.cfg.BaseURL.String() }

// cookieName is __Host- prefixed under https, so that no subdomain can
// set or shadow it.
func (s *Server) cookieName() string {
	if s.cfg.SecureCookies() {
		return "__Host-pforte_session"
	}
	return "pforte_session"
}

func (s *Server) setSessionCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: id, Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies(), SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies(), SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

func (s *Server) sessionID(r *http.Request) string {
	c, err := r.Cookie(s.cookieName())
	if err != nil {
		return ""
	}
	return c.Value
}

// safeNext returns next if it is a local path on this site, else "". A
// backslash anywhere or a path that cleans to "//…" could lead a browser
// to another host, so both are refused.
func safeNext(next string) string {
	if next == "" || len(next) > 500 || next[0] != '/' || strings.ContainsAny(next, "\\\x00\r\n\t") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" {
		return ""
	}
	clean := path.Clean(u.Path)
	if strings.HasPrefix(clean, "//") || !strings.HasPrefix(clean, "/") {
		return ""
	}
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	out := (&url.URL{Path: clean, RawQuery: u.RawQuery}).String()
	if strings.HasPrefix(out, "//") {
		return ""
	}
	return out
}

// ctxKey keys the request context.
type ctxKey int

const authKey ctxKey = iota

// ready reports for /healthz whether the database answers.
func (s *Server) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return s.db.Ping(ctx)
}
