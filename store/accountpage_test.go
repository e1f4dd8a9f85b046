package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"pforte"
	"pforte/store"
	"pforte/store/storetest"
)

func TestPreviousLoginAndOwnPINRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		a := &pforte.Account{Email: "konto@example.de", CreatedAt: t0}
		other := &pforte.Account{Email: "andere@example.de", CreatedAt: t0}
		db.Q().CreateAccount(ctx, a)
		db.Q().CreateAccount(ctx, other)

		if at, err := db.Q().PreviousLogin(ctx, a.ID); err != nil || !at.IsZero() {
			t.Fatalf("no logins: %v %v", at, err)
		}
		for i, acct := range []int64{a.ID, other.ID, a.ID} {
			db.Q().Audit(ctx, pforte.AuditEntry{At: t0.Add(time.Duration(i) * time.Hour), Event: pforte.EventLoginSucceeded, AccountID: acct})
		}
		db.Q().Audit(ctx, pforte.AuditEntry{At: t0.Add(5 * time.Hour), Event: pforte.EventLoginFailed, AccountID: a.ID})
		if at, err := db.Q().PreviousLogin(ctx, a.ID); err != nil || !at.Equal(t0) {
			t.Fatalf("previous login: %v %v, want %v", at, err, t0)
		}

		second := bakery
		second.Number, second.Name = "A-1", "Zimmerei Anders"
		db.Q().SaveBusiness(ctx, bakery, t0)
		db.Q().SaveBusiness(ctx, second, t0)
		db.Q().RequestPIN(ctx, bakery.Number, a.ID, t0)
		db.Q().RequestPIN(ctx, second.Number, a.ID, t0.Add(time.Hour))
		db.Q().RequestPIN(ctx, "A-1", other.ID, t0.Add(2*time.Hour)) // pending already: not stored
		pending, _ := db.Q().PendingPINRequests(ctx)
		for _, p := range pending {
			if p.Business.Number == bakery.Number {
				db.Q().MarkPINRequestSent(ctx, p.ID, t0.Add(30*time.Minute))
			}
		}
		list, err := db.Q().OwnPINRequests(ctx, a.ID, t0.Add(-time.Hour))
		if err != nil || len(list) != 2 || list[0].Business.Number != "A-1" || !list[0].SentAt.IsZero() ||
			list[1].Business.Number != bakery.Number || !list[1].SentAt.Equal(t0.Add(30*time.Minute)) || !list[1].RequestedAt.Equal(t0) {
			t.Fatalf("own requests: %+v %v", list, err)
		}
		// A newer request for the same business replaces the older one;
		// a linked business and an old request drop out.
		db.Q().RequestPIN(ctx, bakery.Number, a.ID, t0.Add(3*time.Hour))
		if list, _ := db.Q().OwnPINRequests(ctx, a.ID, t0.Add(-time.Hour)); len(list) != 2 || !list[0].RequestedAt.Equal(t0.Add(3*time.Hour)) {
			t.Fatalf("newest per business: %+v", list)
		}
		db.Q().Link(ctx, a.ID, "A-1", t0.Add(4*time.Hour))
		if list, _ := db.Q().OwnPINRequests(ctx, a.ID, t0.Add(2*time.Hour)); len(list) != 1 || list[0].Business.Number != bakery.Number {
			t.Fatalf("after link and cut-off: %+v", list)
		}
		if list, _ := db.Q().OwnPINRequests(ctx, other.ID, t0); len(list) != 0 {
			t.Fatalf("other account: %+v", list)
		}
	})
}

// TestSessionPageEqualsSeparateQueries: the account page read in one
// query, with the session (SessionPage) or alone (AccountPage), holds
// what the separate queries give: the linked businesses, the pending PIN
// requests, the previous login and the services with a launch URL.
func TestSessionPageEqualsSeparateQueries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		a := &pforte.Account{Email: "seite@example.de", CreatedAt: t0}
		other := &pforte.Account{Email: "andere@example.de", CreatedAt: t0}
		db.Q().CreateAccount(ctx, a)
		db.Q().CreateAccount(ctx, other)
		for _, id := range []int64{a.ID, other.ID} {
			if err := db.Q().CreateSession(ctx, store.StoredSession{Hash: fmt.Sprint("h", id), AccountID: id, CreatedAt: t0,
				LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour), Client: "192.0.2.1"}); err != nil {
				t.Fatal(err)
			}
		}
		since := t0.Add(-24 * time.Hour)
		want := func(id int64) *store.AccountPage {
			var p store.AccountPage
			var err error
			q := db.Q()
			if p.Businesses, err = q.LinkedBusinesses(ctx, id); err == nil {
				if p.Pending, err = q.OwnPINRequests(ctx, id, since); err == nil {
					if p.PreviousLogin, err = q.PreviousLogin(ctx, id); err == nil {
						p.Services, err = q.LaunchableClients(ctx)
					}
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			return &p
		}
		check := func(stage string) {
			t.Helper()
			for _, acct := range []*pforte.Account{a, other} {
				st, got, page, err := db.Q().SessionPage(ctx, fmt.Sprint("h", acct.ID), since)
				if err != nil || st.AccountID != acct.ID || got.Email != acct.Email {
					t.Fatalf("%s: session %+v account %+v: %v", stage, st, got, err)
				}
				if w := want(acct.ID); !reflect.DeepEqual(page, w) {
					t.Errorf("%s, %s: one query\n%+v\nseparate\n%+v", stage, acct.Email, page, w)
				}
				alone, err := db.Q().AccountPage(ctx, acct.ID, since)
				if err != nil || !reflect.DeepEqual(alone, page) {
					t.Errorf("%s: AccountPage %+v %v, SessionPage %+v", stage, alone, err, page)
				}
			}
		}
		check("empty")

		second, third := bakery, bakery
		second.Number, second.Name = "A-1", "Zimmerei „Anders“ & Söhne"
		third.Number, third.Name, third.Street = "Z-9", "Maler Zeh", ""
		for _, b := range []pforte.Business{bakery, second, third} {
			db.Q().SaveBusiness(ctx, b, t0)
		}
		db.Q().Link(ctx, a.ID, third.Number, t0)
		db.Q().Link(ctx, a.ID, bakery.Number, t0)
		db.Q().Link(ctx, other.ID, bakery.Number, t0)
		db.Q().RequestPIN(ctx, second.Number, a.ID, t0.Add(-48*time.Hour)) // before since
		pending, _ := db.Q().PendingPINRequests(ctx)
		for _, p := range pending {
			db.Q().MarkPINRequestSent(ctx, p.ID, t0.Add(-47*time.Hour))
		}
		db.Q().RequestPIN(ctx, second.Number, a.ID, t0.Add(-time.Hour))
		db.Q().RequestPIN(ctx, third.Number, a.ID, t0) // linked: not shown
		for i, id := range []int64{a.ID, other.ID, a.ID, a.ID} {
			db.Q().Audit(ctx, pforte.AuditEntry{At: t0.Add(time.Duration(i) * time.Minute), Event: pforte.EventLoginSucceeded, AccountID: id})
		}
		for _, c := range []store.OIDCClient{
			{ID: "b-dienst", Name: "Betriebsdienst", RequireBusiness: true, LaunchURL: "https://b.example.de/?a=1&b=2"},
			{ID: "a-dienst", Name: "Lehrlingsrolle", LaunchURL: "https://a.example.de/"},
			{ID: "c-ohne", Name: "Ohne Startseite"},
		} {
			c.RedirectURIs, c.CreatedAt = []string{"https://x.example.de/cb"}, t0
			if _, err := db.Q().InsertOIDCClient(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		check("filled")
		if _, _, page, _ := db.Q().SessionPage(ctx, fmt.Sprint("h", a.ID), since); len(page.Businesses) != 2 ||
			len(page.Pending) != 1 || !page.Pending[0].SentAt.IsZero() || page.PreviousLogin.IsZero() ||
			len(page.Services) != 2 || !page.Services[1].RequireBusiness {
			t.Errorf("the filled page lacks something: %+v", page)
		}
		if _, _, _, err := db.Q().SessionPage(ctx, "unknown", since); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown session: %v", err)
		}
	})
}

// BenchmarkAccountPage compares the account page's one query with the
// five separate queries it replaced (session with account, businesses,
// PIN requests, previous login, services):
//
//	CI=true go test -run '^$' -bench AccountPage ./store
func BenchmarkAccountPage(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			url := storetest.SQLiteURL(b)
			if dialect == "postgres" {
				url = storetest.PostgresURL(b)
			}
			db, ctx, now := storetest.Open(b, url), context.Background(), time.Now()
			a := &pforte.Account{Email: "seite@example.de", CreatedAt: now}
			db.Q().CreateAccount(ctx, a)
			db.Q().CreateSession(ctx, store.StoredSession{Hash: "h", AccountID: a.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)})
			since := now.Add(-time.Hour)
			b.Run("one-query", func(b *testing.B) {
				for b.Loop() {
					if _, _, _, err := db.Q().SessionPage(ctx, "h", since); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("five-queries", func(b *testing.B) {
				for b.Loop() {
					q := db.Q()
					q.SessionWithAccount(ctx, "h")
					q.LinkedBusinesses(ctx, a.ID)
					q.OwnPINRequests(ctx, a.ID, since)
					q.PreviousLogin(ctx, a.ID)
					q.LaunchableClients(ctx)
				}
			})
		})
	}
}
