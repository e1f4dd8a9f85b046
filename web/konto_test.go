package web

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pforte"
	"pforte/account"
	"pforte/business"
	"pforte/config"
	"pforte/locale"
	"pforte/metrics"
	"pforte/mfa"
	"pforte/session"
	"pforte/store/storetest"
	"pforte/throttle"
)

var update = flag.Bool("update", false, "write the golden pages of TestAccountPageUnchanged anew")

// kontoPortal is the whole portal over db with one member who has a linked
// business, a pending PIN request and earlier logins, all at fixed times
// but the request (a PIN request is shown for 30 days from now).
func kontoPortal(t testing.TB, dbURL string) (h http.Handler, cookie string, requested time.Time) {
	t.Helper()
	db := storetest.Open(t, dbURL)
	ctx := context.Background()
	env := map[string]string{"PFORTE_DATABASE": dbURL, "PFORTE_BASE_URL": "http://127.0.0.1", "PFORTE_DATA_DIR": t.TempDir()}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	sessions := &session.Sessions{DB: db, Idle: cfg.SessionIdle, Max: cfg.SessionMax}
	limits := &throttle.Limiter{DB: db}
	h, err = New(Deps{Config: cfg, DB: db, Accounts: &account.Service{DB: db, Policy: cfg.Policy, Limits: limits}, Sessions: sessions,
		Metrics: metrics.New(func(context.Context) (int, error) { return 0, nil }),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)), Businesses: &business.Service{DB: db, Limits: limits}, Limits: limits,
		SecondFactor: &mfa.Service{DB: db, Limits: limits}})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 8, 15, 0, 0, time.UTC)
	a := &pforte.Account{Email: "jörg.o'brien+konto@example.de", CreatedAt: t0, ConfirmedAt: t0, PasswordSetAt: t0.Add(time.Hour),
		PasswordHash: "$argon2id$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaA"}
	if err := db.Q().CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		db.Q().Audit(ctx, pforte.AuditEntry{At: t0.Add(time.Duration(i) * 24 * time.Hour), Event: pforte.EventLoginSucceeded, AccountID: a.ID})
	}
	linked := pforte.Business{Number: "0815-4711", Name: "Bäckerei Größl & Söhne <GmbH>", Street: "Maßbacher Straße 12", Postcode: "97688", City: "Bad Kissingen"}
	pending := pforte.Business{Number: "A-1", Name: "Zimmerei „Anders“", Postcode: "97070", City: "Würzburg"}
	requested = time.Now().Add(-time.Hour).Truncate(time.Minute)
	for _, b := range []pforte.Business{linked, pending} {
		if _, err := db.Q().SaveBusiness(ctx, b, t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Q().Link(ctx, a.ID, linked.Number, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Q().RequestPIN(ctx, pending.Number, a.ID, requested); err != nil {
		t.Fatal(err)
	}
	id, err := sessions.Start(ctx, a.ID, "", session.Login{Client: "127.0.0.1", Methods: []string{"pwd"}})
	if err != nil {
		t.Fatal(err)
	}
	return h, id, requested
}

// TestAccountPageUnchanged: /konto, signed in, in both languages, is byte for byte the page in testdata (written from
// the templates before rendering was made faster; -update writes them
// anew after a deliberate change). The time of the PIN request, which
// must be recent, is replaced by a mark.
func TestAccountPageUnchanged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		h, cookie, requested := kontoPortal(t, dbURL)
		for _, c := range []struct{ name, query string }{{"konto.de", "?lang=de"}, {"konto.en", "?lang=en"}} {
			r := httptest.NewRequest("GET", "/konto"+c.query, nil)
			r.AddCookie(&http.Cookie{Name: "pforte_session", Value: cookie})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				t.Fatalf("%s: status %d", c.name, w.Code)
			}
			lang, _ := locale.Parse(c.name[len(c.name)-2:])
			got := strings.ReplaceAll(w.Body.String(), locale.DateTime(lang, requested), "{{REQUESTED}}")
			if !strings.Contains(got, "{{REQUESTED}}") {
				t.Errorf("%s: the PIN request's time is not on the page", c.name)
			}
			file := filepath.Join("testdata", c.name+".html")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n%s", c.name, file, firstDifference(got, string(want)))
			}
			for k, v := range map[string]string{"Content-Type": "text/html; charset=utf-8", "Content-Language": string(lang),
				"Content-Security-Policy": csp, "Cache-Control": "no-store", "X-Frame-Options": "DENY"} {
				if w.Header().Get(k) != v {
					t.Errorf("%s: %s %q, want %q", c.name, k, w.Header().Get(k), v)
				}
			}
		}
	})
}

// firstDifference shows where two texts part, with some context.
func firstDifference(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-80)
	return "got  …" + got[from:min(len(got), i+80)] + "…\nwant …" + want[from:min(len(want), i+80)] + "…"
}

// BenchmarkAccountPageRender is the handler of GET /konto, session check
// and page, without the network:
//
//	CI=true go test -run '^$' -bench AccountPageRender ./web
func BenchmarkAccountPageRender(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			url := storetest.SQLiteURL(b)
			if dialect == "postgres" {
				url = storetest.PostgresURL(b)
			}
			h, cookie, _ := kontoPortal(b, url)
			for _, lang := range locale.Langs {
				b.Run(string(lang), func(b *testing.B) {
					b.ReportAllocs()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							r := httptest.NewRequest("GET", "/konto", nil)
							r.AddCookie(&http.Cookie{Name: "pforte_session", Value: cookie})
							r.AddCookie(&http.Cookie{Name: langCookie, Value: string(lang)})
							w := httptest.NewRecorder()
							h.ServeHTTP(w, r)
							if w.Code != 200 {
								b.Fatalf("status %d", w.Code)
							}
						}
					})
				})
			}
		})
	}
}
