package oidc_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pforte"
	"pforte/oidc"
	"pforte/store"
	"pforte/store/storetest"
)

// endedSessions makes n accounts with a session holding tokens of client,
// and ends each session (as logout does).
func endedSessions(t *testing.T, db *store.DB, client string, n int) {
	t.Helper()
	ctx, now := context.Background(), time.Now()
	for i := range n {
		a := &pforte.Account{Email: fmt.Sprintf("m%d-%s@example.de", i, client), CreatedAt: now}
		if err := db.Q().CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		_, hash := pforte.NewSecret()
		db.Q().CreateSession(ctx, store.StoredSession{Hash: hash, AccountID: a.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)})
		st, _ := db.Q().SessionByHash(ctx, hash)
		db.Q().OIDCSubject(ctx, a.ID, fmt.Sprintf("sub-%d-%s", i, client))
		_, th := pforte.NewSecret()
		if err := db.Q().InsertOIDCToken(ctx, store.OIDCToken{Hash: th, Kind: "access", GrantHash: "g", ClientID: client, AccountID: a.ID,
			SessionHash: hash, SID: st.SID, AuthTime: now, AMR: "pwd", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if err := db.Q().DeleteSession(ctx, hash); err != nil {
			t.Fatal(err)
		}
	}
}

func addBackchannelClient(t *testing.T, p *oidc.Provider, id, uri string) {
	t.Helper()
	if _, err := p.AddClient(context.Background(), store.OIDCClient{ID: id, Name: id,
		RedirectURIs: []string{"https://svc.example/cb"}, BackchannelURI: uri}); err != nil {
		t.Fatal(err)
	}
}

// Two workers (two instances) deliver a queue: each logout arrives once.
func TestLogoutsDeliveredOnceByTwoWorkers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		db := storetest.Open(t, dbURL)
		p := newProvider(t, db)
		var mu sync.Mutex
		seen := map[string]int{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok := r.PostFormValue("logout_token")
			mu.Lock()
			seen[tok]++
			mu.Unlock()
		}))
		defer srv.Close()
		addBackchannelClient(t, p, "bc", srv.URL)
		const n = 20
		endedSessions(t, db, "bc", n)
		var wg sync.WaitGroup
		var delivered atomic.Int32
		for range 2 {
			l := &oidc.Logouts{P: p}
			wg.Go(func() {
				for {
					done, err := l.DeliverOne(context.Background())
					if err != nil {
						t.Error(err)
						return
					}
					if !done {
						return
					}
					delivered.Add(1)
				}
			})
		}
		wg.Wait()
		if delivered.Load() != n || len(seen) != n {
			t.Fatalf("delivered %d, distinct tokens %d, want %d", delivered.Load(), len(seen), n)
		}
		if pending, failed, _ := db.Q().OIDCLogoutCounts(context.Background()); pending != 0 || failed != 0 {
			t.Fatalf("pending %d failed %d", pending, failed)
		}
	})
}

// A service that is down gets the logout again later, like mail; after
// MaxAttempts it is given up and counted.
func TestLogoutRetriedThenGivenUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		db := storetest.Open(t, dbURL)
		p := newProvider(t, db)
		var down atomic.Bool
		down.Store(true)
		var got atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			got.Add(1)
		}))
		defer srv.Close()
		addBackchannelClient(t, p, "bc", srv.URL)
		endedSessions(t, db, "bc", 2)
		now := time.Now()
		p.Now = func() time.Time { return now }
		failed := 0
		l := &oidc.Logouts{P: p, RetryBase: time.Second, MaxAttempts: 3, Failed: func() { failed++ }}
		ctx := context.Background()
		step := func(d time.Duration) int {
			now = now.Add(d)
			n := 0
			for {
				done, err := l.DeliverOne(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if !done {
					return n
				}
				n++
			}
		}
		if n := step(0); n != 2 {
			t.Fatalf("first attempts: %d", n)
		}
		if n := step(500 * time.Millisecond); n != 0 {
			t.Fatalf("retried before the pause: %d", n)
		}
		if n := step(time.Second); n != 2 || got.Load() != 0 {
			t.Fatalf("second attempts: %d", n)
		}
		down.Store(false)
		// One logout reaches the service on the third attempt ...
		now = now.Add(2 * time.Second)
		if done, _ := l.DeliverOne(ctx); !done || got.Load() != 1 {
			t.Fatalf("third attempt: %v %d", done, got.Load())
		}
		// ... the other fails its third and last and is given up.
		down.Store(true)
		if done, _ := l.DeliverOne(ctx); !done || failed != 1 {
			t.Fatalf("given up: %v %d", done, failed)
		}
		if n := step(time.Hour); n != 0 {
			t.Fatalf("given-up logout tried again: %d", n)
		}
		if pending, failedN, _ := db.Q().OIDCLogoutCounts(ctx); pending != 0 || failedN != 1 {
			t.Fatalf("pending %d failed %d", pending, failedN)
		}
	})
}
