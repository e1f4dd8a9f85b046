package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
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

// TestLoginMemoryBounded: 64 logins at once with 64 MiB hashes keep the
// process's peak RSS (portal and test clients) within the hashes that may
// run at once (hashSlots) and 100 MiB. The logins are to unknown
// addresses: they cost a full hash each, like any login, and no
// per-account throttle gets in the way.
func TestLoginMemoryBounded(t *testing.T) {
	const logins = 64
	params := map[string]string{"PFORTE_ARGON2": "m=65536,t=1,p=2", "PFORTE_LOG_LEVEL": "error"}
	storetest.Each(t, func(t *testing.T, dbURL string) {
		p := startPortal(t, dbURL, params)
		// The measurement starts from what the portal holds now, not from
		// what an earlier test in this process left behind.
		debug.FreeOSMemory()
		if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
			t.Fatalf("resetting the peak RSS: %v", err)
		}
		base := procStatus(t, "VmRSS:")
		var wg sync.WaitGroup
		for i := range logins {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pg := p.post(p.newClient(), "/anmelden", url.Values{"email": {fmt.Sprintf("niemand%d@example.de", i)}, "password": {goodPW}})
				if pg.Status != 401 && pg.Status != 200 {
					t.Errorf("login %d: %d %s", i, pg.Status, pg.Code())
				}
			}()
		}
		wg.Wait()
		// The test process also holds what earlier tests left (their
		// portals' heaps, returned or not): the bound is on what these
		// logins add to the resident memory they started from.
		limit := float64(hashSlots()*64) + 100
		peak := peakRSS(t) - base
		t.Logf("peak RSS %.0f MiB above the %.0f MiB before, at %d concurrent logins (limit %.0f MiB)", peak, base, logins, limit)
		if peak > limit {
			t.Fatalf("peak RSS %.0f MiB above the start, want at most %.0f MiB", peak, limit)
		}
	})
}

// peakRSS is the process's peak resident set size in MiB (VmHWM).
func peakRSS(t *testing.T) float64 { return procStatus(t, "VmHWM:") }

// procStatus reads one memory line of /proc/self/status, in MiB.
func procStatus(t *testing.T, key string) float64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			var kb float64
			fmt.Sscan(strings.TrimSpace(v), &kb)
			return kb / 1024
		}
	}
	t.Fatalf("no %s in /proc/self/status", key)
	return 0
}
