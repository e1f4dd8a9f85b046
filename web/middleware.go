package web

import (
	"bytes"
	"context"
	"crypto/subtle"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"pforte"
	"pforte/oidc"
	"pforte/session"
	"pforte/store"
)

// maxBody bounds every request body: the forms are small.
const maxBody = 64 << 10

// csp allows nothing inline and nothing from elsewhere.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if s.cfg.SecureCookies() {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// deadline ends the request's context after PFORTE_REQUEST_TIMEOUT, so
// that no query waits without end for a database that does not answer
// (nor for a free connection of the pool): the member gets the 503 page
// unavailable instead of a page that never loads.
func (s *Server) deadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// statusWriter remembers the status for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe logs each request and measures its latency per route pattern
// (never per raw path, which would carry tokens and grow without bound).
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		s.metrics.Request(route, r.Method, sw.status, d)
		if route != "GET /healthz" && route != "GET /metrics" && !strings.HasPrefix(route, "GET /static/") {
			s.log.Info("request", "method", r.Method, "route", route, "status", sw.status,
				"ms", float64(d.Microseconds())/1000, "client", s.client(r))
		}
	})
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "route", r.Pattern, "value", v)
				s.renderError(w, r, pforte.Errorf(pforte.Internal, ""))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses cross-origin POSTs (CSRF) by the browser's
// Sec-Fetch-Site and Origin headers, with the forbidden page.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	// The public URL is this site, also when a proxy changes the Host.
	if err := cop.AddTrustedOrigin(s.cfg.BaseURL.Scheme + "://" + s.cfg.BaseURL.Host); err != nil {
		s.log.Warn("trusted origin", "err", err)
	}
	// The services' back-end calls carry no cookie: nothing to forge.
	for _, p := range []string{oidc.PathToken, oidc.PathRevoke, oidc.PathIntrospect, oidc.PathUserinfo} {
		cop.AddInsecureBypassPattern("POST " + p)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.db.Q().Audit(r.Context(), pforte.AuditEntry{At: time.Now(), Event: pforte.EventCrossOriginRefused,
			Client: s.client(r), Detail: r.Method + " " + r.URL.Path})
		s.renderError(w, r, &pforte.Error{Code: pforte.Forbidden,
			Message: "Diese Anfrage kam nicht von dieser Seite und wurde deshalb abgelehnt. Bitte laden Sie die Seite neu und versuchen Sie es erneut."})
	}))
	return cop.Handler(next)
}

func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		next.ServeHTTP(w, r)
	})
}

// auth is the signed-in account of a request behind requireSession.
type auth struct {
	Account     *pforte.Account
	SessionID   string
	SessionHash string
	// Session is the stored session (its sign-in methods, for the console).
	Session *store.StoredSession
	// Page is the account page, when read with the session (/konto).
	Page *store.AccountPage
}

func authOf(r *http.Request) *auth {
	a, _ := r.Context().Value(authKey).(*auth)
	return a
}

// requireSession is the one session check in front of every protected
// page: without a live session it answers 303 to /anmelden (with
// session-expired after an idle timeout), keeping the page as next.
func (s *Server) requireSession(next http.Handler) http.Handler {
	return s.requireSessionWith(func(r *http.Request, id string) (*pforte.Account, *store.StoredSession, *store.AccountPage, session.Status, error) {
		acct, st, status, err := s.sessions.Check(r.Context(), id)
		return acct, st, nil, status, err
	}, next)
}

// requireAccountPage is requireSession for /konto: the session check
// reads the account page with the session, in one query (auth.Page).
func (s *Server) requireAccountPage(next http.Handler) http.Handler {
	return s.requireSessionWith(func(r *http.Request, id string) (*pforte.Account, *store.StoredSession, *store.AccountPage, session.Status, error) {
		return s.sessions.CheckPage(r.Context(), id, time.Now().Add(-pendingShown))
	}, next)
}

func (s *Server) requireSessionWith(check func(r *http.Request, id string) (*pforte.Account, *store.StoredSession, *store.AccountPage, session.Status, error), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := s.sessionID(r)
		acct, st, page, status, err := check(r, id)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		if status != session.Valid {
			if id != "" {
				s.clearSessionCookie(w)
			}
			target := "/anmelden"
			q := []string{}
			if status == session.Expired {
				q = append(q, "abgelaufen=1")
			}
			if r.Method == http.MethodGet {
				q = append(q, "next="+url.QueryEscape(r.URL.RequestURI()))
			}
			if len(q) > 0 {
				target += "?" + strings.Join(q, "&")
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		if s.needsEnrolment(r, st) {
			http.Redirect(w, r, "/konto/zwei-faktor", http.StatusSeeOther)
			return
		}
		ctx := context.WithValue(r.Context(), authKey, &auth{Account: acct, SessionID: id, SessionHash: st.Hash, Session: st, Page: page})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// loopbackOnly serves next only in development mail mode and only to a
// client on this machine that came directly, not through a proxy (behind
// a local reverse proxy every visitor would look like loopback), asking
// for this portal by name (localHost); everyone else gets 404.
func (s *Server) loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.cfg.DevMail() || !s.direct(r) {
			s.renderError(w, r, pforte.Errorf(pforte.NotFound, ""))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// metricsAccess lets Prometheus in: with PFORTE_METRICS_TOKEN set, a
// request carrying it as bearer token; without, direct loopback requests.
func (s *Server) metricsAccess(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := false
		if s.cfg.MetricsToken != "" {
			got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			ok = subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.MetricsToken)) == 1
		} else {
			ok = s.direct(r)
		}
		if !ok {
			s.renderError(w, r, pforte.Errorf(pforte.NotFound, ""))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// direct tells whether r comes from this machine, directly (not through
// a proxy), and asks for this portal by name: the Host is the base URL's
// host or a loopback name. A page in the developer's browser whose own
// name resolves to 127.0.0.1 (DNS rebinding) reaches the port, but
// carries its own name in Host, and is refused.
func (s *Server) direct(r *http.Request) bool {
	return isLoopback(peerAddr(r)) && !forwarded(r) && s.localHost(r.Host)
}

// localHost tells whether the Host header host names this portal: the
// host of PFORTE_BASE_URL, localhost (or a name under .localhost, which
// browsers never ask DNS for) or a loopback address; any port.
func (s *Server) localHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" {
		return false
	}
	if host == strings.ToLower(s.cfg.BaseURL.Hostname()) || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	return isLoopback(host)
}

func forwarded(r *http.Request) bool {
	return r.Header.Get("Forwarded") != "" || r.Header.Get("X-Forwarded-For") != "" ||
		r.Header.Get("X-Forwarded-Host") != "" || r.Header.Get("X-Real-Ip") != ""
}

func isLoopback(addr string) bool {
	ip, err := netip.ParseAddr(addr)
	return err == nil && ip.IsLoopback()
}

// peerAddr is the address of the TCP peer.
func peerAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// client is the address of the person asking, for limits and the audit
// log: the peer, or — when the peer is a trusted proxy
// (PFORTE_TRUSTED_PROXIES) — the last address in X-Forwarded-For that is
// not a trusted proxy itself.
func (s *Server) client(r *http.Request) string {
	peer := peerAddr(r)
	if !s.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if _, err := netip.ParseAddr(hop); err != nil {
			break
		}
		if !s.trusted(hop) {
			return hop
		}
		peer = hop
	}
	return peer
}

func (s *Server) trusted(addr string) bool {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}

// staticFiles serves the embedded CSS and scripts with a day of caching.
func staticFiles(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") || r.URL.Path == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// protocolUnavailable turns a 500 of the services' protocol endpoints
// (token, userinfo, revocation, introspection, keys; answered by the
// OpenID library as server_error) into 503 with Retry-After when the
// database does not answer: the service's software may then simply try
// again, as a member is told on the 503 page unavailable. The answers are
// small JSON, so they are held back until it is known which to send.
func (s *Server) protocolUnavailable(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		held := &heldWriter{header: http.Header{}}
		next.ServeHTTP(held, r)
		if held.status == http.StatusInternalServerError && s.ready(context.WithoutCancel(r.Context())) != nil {
			s.log.Error("database unavailable", "route", r.Pattern)
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("Cache-Control", "no-store")
			h.Set("Retry-After", strconv.Itoa(pforte.UnavailableRetry))
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error":"temporarily_unavailable","error_description":"the database does not answer; try again shortly"}`))
			return
		}
		for k, v := range held.header {
			w.Header()[k] = v
		}
		if held.status == 0 {
			held.status = http.StatusOK
		}
		w.WriteHeader(held.status)
		w.Write(held.body.Bytes())
	})
}

// heldWriter keeps an answer instead of sending it.
type heldWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *heldWriter) Header() http.Header { return w.header }
func (w *heldWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *heldWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}
