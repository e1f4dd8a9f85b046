package main

import (
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"pforte/store/storetest"
)

// BenchmarkPortal is the load harness: the real program over HTTP on
// loopback, with parallel clients (b.RunParallel, GOMAXPROCS goroutines;
// raise with -cpu). It reports requests per second and the process's heap
// after the run. Run with
//
//	go test -run '^$' -bench Portal -benchtime 5s ./cmd/pforte
//
// PFORTE_RATE_LIMITS is off as for any load test; the argon2id parameters
// are the defaults.
func BenchmarkPortal(b *testing.B) {
	eachBenchDB(b, func(b *testing.B, dbURL string) {
		p := startPortal(b, dbURL, map[string]string{"PFORTE_ARGON2": "m=19456,t=2,p=1", "PFORTE_LOG_LEVEL": "error"})
		p.signUp("last@example.de", goodPW)
		c := p.login("last@example.de", goodPW)
		cookie := c.Jar.Cookies(mustURL(p.URL))
		transport := &http.Transport{MaxIdleConnsPerHost: 64}
		get := func(path string, withSession bool) func(*testing.B) {
			return func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					client := &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
					for pb.Next() {
						req, _ := http.NewRequest("GET", p.URL+path, nil)
						if withSession {
							for _, ck := range cookie {
								req.AddCookie(ck)
							}
						}
						res, err := client.Do(req)
						if err != nil || res.StatusCode != 200 {
							b.Fatalf("%s: %v %v", path, err, res)
						}
						io.Copy(io.Discard, res.Body) // a body read to its end keeps the connection
						res.Body.Close()
					}
				})
				report(b)
			}
		}
		b.Run("login-page", get("/anmelden", false))
		b.Run("konto-with-session", get("/konto", true))
		b.Run("login", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				client := &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				form := url.Values{"email": {"last@example.de"}, "password": {goodPW}}.Encode()
				for pb.Next() {
					res, err := client.Post(p.URL+"/anmelden", "application/x-www-form-urlencoded", strings.NewReader(form))
					if err != nil || res.StatusCode != 303 {
						b.Fatalf("login: %v %v", err, res)
					}
					res.Body.Close()
				}
			})
			report(b)
		})
	})
}

// eachBenchDB runs a benchmark on a fresh SQLite and PostgreSQL database.
func eachBenchDB(b *testing.B, fn func(b *testing.B, dbURL string)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storetest.SQLiteURL(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, storetest.PostgresURL(b)) })
}

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}

// report adds requests per second and the heap in use (server and clients
// share the process) to a benchmark's result.
func report(b *testing.B) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
}
