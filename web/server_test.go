package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"pforte/config"
	"pforte/locale"
)

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/konto": "/konto", "/betrieb/123/": "/betrieb/123/", "/konto?x=1": "/konto?x=1",
		"": "", "konto": "", "//evil.example": "", "/\\evil.example": "", "https://evil.example/": "",
		"javascript:alert(1)": "", "/" + strings.Repeat("a", 600): "",
		"/x/../\\evil.example": "", "/./\\evil.example": "", "/x/..//evil.example": "/evil.example", "/%2F%2Fevil.example": "/evil.example",
		"/a/./b/../c": "/a/c", "/konto\nSet-Cookie:x": "",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormRefusesBadInput(t *testing.T) {
	for name, body := range map[string]string{
		"invalid UTF-8 value": "email=%ff",
		"invalid UTF-8 key":   "%ff=1",
		"overlong field":      "email=" + strings.Repeat("a", maxField+1),
		"bad escape":          "email=%zz",
	} {
		r := httptest.NewRequest("POST", "/anmelden", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if _, err := form(r); err != badRequest {
			t.Errorf("%s: %v", name, err)
		}
	}
	r := httptest.NewRequest("POST", "/anmelden", strings.NewReader("email=j%C3%B6rg%40example.de&password=a+b"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	f, err := form(r)
	if err != nil || f.Get("email") != "jörg@example.de" || f.Get("password") != "a b" || !has(f, "password") || has(f, "password_repeat") {
		t.Fatalf("good form: %v %v", f, err)
	}
}

func TestPagesParse(t *testing.T) {
	p, err := loadPages(testCatalog(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"start", "registrieren", "anmelden", "konto", "hilfe", "fehler", "passwort-neu", "passwort-abgelaufen",
		"rechtliches", "anleitung", "betrieb-trennen"} {
		if p.byLang[locale.German][name] == nil || p.byLang[locale.English][name] == nil {
			t.Errorf("page %s missing", name)
		}
	}
}

// testServer is a Server with cfg and the pages, without a database.
func testServer(t *testing.T, cfg config.Config) *Server {
	t.Helper()
	cat := testCatalog(t)
	scripts, err := scriptTextsOf(cat)
	if err != nil {
		t.Fatal(err)
	}
	constants := pageConstantsOf(cfg, scripts)
	p, err := loadPages(cat, constants)
	if err != nil {
		t.Fatal(err)
	}
	return &Server{cfg: cfg, pages: p, catalog: cat, constants: constants, log: slog.New(slog.DiscardHandler)}
}

func TestClientBehindTrustedProxies(t *testing.T) {
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"PFORTE_TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/8"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{cfg: cfg}
	cases := []struct{ remote, xff, want string }{
		{"203.0.113.5:4000", "198.51.100.1", "203.0.113.5"},                   // untrusted peer: header ignored
		{"127.0.0.1:4000", "198.51.100.1", "198.51.100.1"},                    // proxy names the client
		{"127.0.0.1:4000", "6.6.6.6, 198.51.100.1, 10.1.2.3", "198.51.100.1"}, // spoofed first hop ignored
		{"127.0.0.1:4000", "", "127.0.0.1"},
		{"127.0.0.1:4000", "garbage", "127.0.0.1"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := s.client(r); got != c.want {
			t.Errorf("client(%s, %q) = %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}

func TestOperatorPagesRefuseProxiedAndRemoteRequests(t *testing.T) {
	cfg, _ := config.Load(func(string) string { return "" })
	s := testServer(t, cfg)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	for _, c := range []struct {
		remote, header string
		want           int
	}{{"127.0.0.1:1", "", 200}, {"127.0.0.1:1", "X-Forwarded-For", 404}, {"127.0.0.1:1", "Forwarded", 404}, {"192.0.2.1:1", "", 404}} {
		for name, h := range map[string]http.Handler{"outbox": s.loopbackOnly(ok), "metrics": s.metricsAccess(ok)} {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			r.Host = "localhost:8080"
			if c.header != "" {
				r.Header.Set(c.header, "for=198.51.100.1")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.want {
				t.Errorf("%s from %s with %q: %d, want %d", name, c.remote, c.header, w.Code, c.want)
			}
		}
	}
	s.cfg.MetricsToken = "geheim"
	r := httptest.NewRequest("GET", "/metrics", nil)
	r.RemoteAddr = "192.0.2.1:1"
	r.Header.Set("Authorization", "Bearer geheim")
	w := httptest.NewRecorder()
	s.metricsAccess(ok).ServeHTTP(w, r)
	if w.Code != 200 {
		t.Errorf("metrics with token: %d", w.Code)
	}
}

func TestDevOutboxOnlyInDevelopmentMode(t *testing.T) {
	cfg, _ := config.Load(func(k string) string {
		return map[string]string{"PFORTE_SMTP_URL": "smtp://mail.example:587"}[k]
	})
	s := testServer(t, cfg)
	r := httptest.NewRequest("GET", "/entwicklung/post", nil)
	r.RemoteAddr = "127.0.0.1:1"
	w := httptest.NewRecorder()
	s.loopbackOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })).ServeHTTP(w, r)
	if w.Code != 404 {
		t.Fatalf("outbox page with real SMTP: %d, want 404", w.Code)
	}
}

// The development outbox holds reset links: a page elsewhere that makes
// its name resolve to 127.0.0.1 (DNS rebinding) reaches the port from the
// developer's browser, but names itself in Host, and gets nothing.
func TestDevOutboxOnlyUnderThisPortalsName(t *testing.T) {
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"PFORTE_BASE_URL": "http://portal.test:8080"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	s := testServer(t, cfg)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	for host, want := range map[string]int{
		"portal.test:8080": 200, "PORTAL.TEST": 200, "localhost:8080": 200, "127.0.0.1:9999": 200, "[::1]:8080": 200,
		"app.localhost:8080": 200, "127.5.6.7": 200,
		"rebind.example:8080": 404, "evil.example": 404, "portal.test.evil.example:8080": 404, "": 404,
		"localhost.evil.example": 404, "10.0.0.1:8080": 404,
	} {
		for _, path := range []string{"/entwicklung/post", "/metrics"} {
			r := httptest.NewRequest("GET", path, nil)
			r.RemoteAddr = "127.0.0.1:1"
			r.Host = host
			w := httptest.NewRecorder()
			h := s.loopbackOnly(ok)
			if path == "/metrics" {
				h = s.metricsAccess(ok)
			}
			h.ServeHTTP(w, r)
			if w.Code != want {
				t.Errorf("%s with Host %q: %d, want %d", path, host, w.Code, want)
			}
		}
	}
}

// A page that cannot be rendered ends in the internal-error text, in
// the page's language, never a half page.
func TestInternalErrorInTheLanguage(t *testing.T) {
	cfg, _ := config.Load(func(string) string { return "" })
	s := testServer(t, cfg)
	for l, want := range map[locale.Lang]string{locale.German: "Interner Fehler", locale.English: "Internal error"} {
		r := httptest.NewRequest("GET", "/", nil)
		r = r.WithContext(locale.WithLang(r.Context(), l))
		w := httptest.NewRecorder()
		s.render(w, r, http.StatusOK, "gibt-es-nicht", view{})
		if w.Code != 500 || strings.TrimSpace(w.Body.String()) != want || w.Header().Get("Content-Language") != string(l) {
			t.Errorf("%s: %d %q %q", l, w.Code, w.Body.String(), w.Header().Get("Content-Language"))
		}
	}
}
