package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// BenchmarkServices measures the services' hot paths against the real
// program over loopback, with go-oidc and x/oauth2 as the service:
// exchanging a code (client authentication, PKCE, tokens stored, ID token
// signed), refreshing (rotation, session touched) and userinfo (token and
// session checked, account and businesses read). Run with
//
//	go test -run '^$' -bench Services -benchtime 3s ./cmd/pforte
func BenchmarkServices(b *testing.B) {
	eachBenchDB(b, func(b *testing.B, dbURL string) {
		p := startPortal(b, dbURL, map[string]string{"PFORTE_LOG_LEVEL": "error"})
		p.signUp("bench@example.de", goodPW)
		r := newRP(b, p, "bench")
		c := p.login("bench@example.de", goodPW)
		ctx := context.Background()

		b.Run("code-exchange", func(b *testing.B) {
			var spent time.Duration
			for range b.N {
				f := &flow{state: randomHex(), nonce: randomHex(), verifier: oauth2.GenerateVerifier()}
				r.followBench(b, c, f, r.conf.AuthCodeURL(f.state, oauth2.S256ChallengeOption(f.verifier)))
				start := time.Now()
				if _, err := r.conf.Exchange(ctx, f.Callback.Query().Get("code"), oauth2.VerifierOption(f.verifier)); err != nil {
					b.Fatal(err)
				}
				spent += time.Since(start)
			}
			b.ReportMetric(float64(b.N)/spent.Seconds(), "req/s")
		})

		f := &flow{state: randomHex(), verifier: oauth2.GenerateVerifier()}
		r.followBench(b, c, f, r.conf.AuthCodeURL(f.state, oauth2.S256ChallengeOption(f.verifier)))
		tok, err := r.conf.Exchange(ctx, f.Callback.Query().Get("code"), oauth2.VerifierOption(f.verifier))
		if err != nil {
			b.Fatal(err)
		}
		// One chain across the benchmark's runs: presenting a used
		// token again would end the session.
		refresh := tok.RefreshToken
		b.Run("refresh", func(b *testing.B) {
			for range b.N {
				next, err := r.refresh(refresh)
				if err != nil {
					b.Fatal(err)
				}
				refresh = next.RefreshToken
			}
			report(b)
		})
		next, err := r.refresh(refresh)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("userinfo", func(b *testing.B) {
			transport := &http.Transport{MaxIdleConnsPerHost: 64}
			b.RunParallel(func(pb *testing.PB) {
				client := &http.Client{Transport: transport}
				for pb.Next() {
					req, _ := http.NewRequest("GET", p.URL+"/oidc/benutzer", nil)
					req.Header.Set("Authorization", "Bearer "+next.AccessToken)
					res, err := client.Do(req)
					if err != nil || res.StatusCode != 200 {
						b.Fatalf("userinfo: %v %v", err, res)
					}
					res.Body.Close()
				}
			})
			report(b)
		})
	})
}

// followBench follows an authorization request with a live session to the
// service's callback (single sign-on, no login page).
func (r *rp) followBench(b *testing.B, c *http.Client, f *flow, loc string) {
	for range 5 {
		if len(loc) >= len(r.srv.URL) && loc[:len(r.srv.URL)] == r.srv.URL {
			f.Callback = mustURL(loc)
			return
		}
		req, _ := http.NewRequest("GET", r.p.abs(loc), nil)
		res, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		loc = res.Header.Get("Location")
	}
	b.Fatal("no code")
}
