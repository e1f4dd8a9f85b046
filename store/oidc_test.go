package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"pforte"
	"pforte/store"
	"pforte/store/storetest"
)

// accountWithSession makes an account with a session of an hour.
func accountWithSession(t *testing.T, db *store.DB, email string, now time.Time) (*pforte.Account, *store.StoredSession) {
	t.Helper()
	ctx := context.Background()
	a := &pforte.Account{Email: email, CreatedAt: now}
	if err := db.Q().CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	_, hash := pforte.NewSecret()
	if err := db.Q().CreateSession(ctx, store.StoredSession{Hash: hash, AccountID: a.ID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	st, err := db.Q().SessionByHash(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	return a, st
}

// oidcFixture: an account with a session, a service with a back-channel
// URI and one without, and tokens of the session for both.
func oidcFixture(t *testing.T, db *store.DB, email string, now time.Time) (accountID int64, sessionHash string) {
	t.Helper()
	ctx := context.Background()
	a, st := accountWithSession(t, db, email, now)
	hash := st.Hash
	for _, c := range []store.OIDCClient{{ID: "mit", Name: "Mit", RedirectURIs: []string{"https://a/cb"}, BackchannelURI: "https://a/bc"},
		{ID: "ohne", Name: "Ohne", RedirectURIs: []string{"https://b/cb"}}} {
		if _, err := db.Q().InsertOIDCClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		for _, kind := range []string{"access", "refresh"} {
			_, th := pforte.NewSecret()
			if err := db.Q().InsertOIDCToken(ctx, store.OIDCToken{Hash: th, Kind: kind, GrantHash: "g-" + c.ID, ClientID: c.ID,
				AccountID: a.ID, SessionHash: hash, SID: st.SID, Scopes: []string{"openid"}, AuthTime: now, AMR: "pwd",
				CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := db.Q().OIDCSubject(ctx, a.ID, "sub-"+email); err != nil {
		t.Fatal(err)
	}
	return a.ID, hash
}

func TestEndingSessionsQueuesLogouts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		ends := map[string]func(acct int64, hash string) error{
			"DeleteSession":    func(_ int64, h string) error { return db.Q().DeleteSession(ctx, h) },
			"DeleteSessionsOf": func(a int64, _ string) error { _, err := db.Q().DeleteSessionsOf(ctx, a, ""); return err },
			"PruneSessions": func(int64, string) error {
				_, err := db.Q().PruneSessions(ctx, now.Add(time.Minute), now)
				return err
			},
			"PurgeBatch": func(int64, string) error {
				return db.Tx(ctx, func(tx *store.Tx) error { _, err := tx.PurgeBatch(ctx, now.Add(time.Minute), 0, 10, now); return err })
			},
		}
		for name, end := range ends {
			acct, hash := oidcFixture(t, db, name+"@example.de", now)
			if err := end(acct, hash); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			// Exactly one logout: for the service with a back-channel URI.
			l, err := db.Q().ClaimOIDCLogout(ctx, time.Now(), time.Minute)
			if err != nil || l.ClientID != "mit" || l.URI != "https://a/bc" || l.Sub != "sub-"+name+"@example.de" || l.SID == "" || l.AccountID != acct {
				t.Fatalf("%s: logout %+v %v", name, l, err)
			}
			if _, err := db.Q().ClaimOIDCLogout(ctx, time.Now(), time.Minute); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("%s: second logout or claimed twice: %v", name, err)
			}
			if err := db.Q().MarkOIDCLogoutSent(ctx, l.ID, time.Now()); err != nil {
				t.Fatal(err)
			}
			if has, _ := db.Q().HasOIDCTokens(ctx, "mit", hash); has {
				t.Fatalf("%s: tokens of the ended session remain", name)
			}
		}
		if p, f, err := db.Q().OIDCLogoutCounts(ctx); p != 0 || f != 0 || err != nil {
			t.Fatalf("counts: %d %d %v", p, f, err)
		}
	})
}

func TestSweepEndsTimedOutSessionsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		_, hash := oidcFixture(t, db, "idle@example.de", now)
		if n, err := db.Q().EndTimedOutOIDC(ctx, now.Add(-time.Second), now); n != 0 || err != nil {
			t.Fatalf("live session swept: %d %v", n, err)
		}
		for i, want := range []int64{1, 0} {
			if n, err := db.Q().EndTimedOutOIDC(ctx, now.Add(time.Second), now); n != want || err != nil {
				t.Fatalf("sweep %d: %d %v, want %d", i, n, err, want)
			}
		}
		// The session row stays (the browser learns it expired); ending it
		// later queues nothing more.
		if _, err := db.Q().SessionByHash(ctx, hash); err != nil {
			t.Fatal(err)
		}
		db.Q().DeleteSession(ctx, hash)
		if p, _, _ := db.Q().OIDCLogoutCounts(ctx); p != 1 {
			t.Fatalf("pending %d, want 1", p)
		}
	})
}

// Two instances ending the same session at once queue one logout.
func TestConcurrentEndsQueueOneLogout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		for i := range 5 {
			_, hash := oidcFixture(t, db, fmt.Sprintf("twice%d@example.de", i), now)
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					if err := db.Q().DeleteSession(ctx, hash); err != nil {
						t.Error(err)
					}
				})
				wg.Go(func() {
					if _, err := db.Q().EndTimedOutOIDC(ctx, now.Add(time.Second), now); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		}
		if p, _, _ := db.Q().OIDCLogoutCounts(ctx); p != 5 {
			t.Fatalf("pending %d, want 5 (one per session)", p)
		}
	})
}
