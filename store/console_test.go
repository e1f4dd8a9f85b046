package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"pforte"
	"pforte/store"
	"pforte/store/storetest"
)

// seedChamber fills db with a chamber's size: n accounts (every third
// linked to a business) and m businesses.
func seedChamber(t testing.TB, db *store.DB, n, m int) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	accts := make([]pforte.Account, n)
	for i := range accts {
		accts[i] = pforte.Account{Email: fmt.Sprintf("inhaber.%06d@betrieb-%05d.example", i, i%m), CreatedAt: now, ConfirmedAt: now}
	}
	if _, err := db.ImportAccounts(ctx, accts, now); err != nil {
		t.Fatal(err)
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for i := range m {
			b := pforte.Business{Number: fmt.Sprintf("%05d-%d", i, i%7), Name: fmt.Sprintf("Schreinerei Müller %d GmbH", i),
				Street: "Hauptstraße 1", Postcode: "97070", City: "Würzburg"}
			if _, err := tx.SaveBusiness(ctx, b, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		for i := 0; i < n; i += 3 {
			a, err := tx.AccountByEmail(ctx, accts[i].Email)
			if err != nil {
				return err
			}
			if _, err := tx.Link(ctx, a.ID, fmt.Sprintf("%05d-%d", i%m, (i%m)%7), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestConsoleSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db := storetest.Open(t, url)
		ctx := context.Background()
		seedChamber(t, db, 300, 100)
		q := db.Q()
		hits, err := q.SearchAccounts(ctx, "000042@", "", 10)
		if err != nil || len(hits) != 1 || hits[0].Email != "inhaber.000042@betrieb-00042.example" {
			t.Fatalf("by part: %+v %v", hits, err)
		}
		// A LIKE wildcard typed by staff is a plain character.
		if hits, err := q.SearchAccounts(ctx, "inhaber_0", "", 10); err != nil || len(hits) != 0 {
			t.Fatalf("underscore matched as a wildcard: %d %v", len(hits), err)
		}
		if hits, err := q.SearchAccounts(ctx, "%", "", 10); err != nil || len(hits) != 0 {
			t.Fatalf("percent matched as a wildcard: %d %v", len(hits), err)
		}
		// By business number: the accounts linked to it (0, 100 and 200
		// link 00000-0; 300 is not there).
		hits, err = q.SearchAccounts(ctx, "00000-0", "00000-0", 10)
		if err != nil || len(hits) != 1 || hits[0].Email != "inhaber.000000@betrieb-00000.example" {
			t.Fatalf("by number: %+v %v", hits, err)
		}
		hits, err = q.SearchAccounts(ctx, "betrieb-00042", "", 2)
		if err != nil || len(hits) != 2 {
			t.Fatalf("limit: %d %v", len(hits), err)
		}
		bs, err := q.SearchBusinesses(ctx, "0004", "müller 7", 100) // 0004x; 7, 7x
		if err != nil || len(bs) != 10+11 || bs[0].Number != "00007-0" {
			t.Fatalf("businesses: %d %v", len(bs), err)
		}
		if bs, err := q.SearchBusinesses(ctx, "", "schreinerei", 5); err != nil || len(bs) != 5 {
			t.Fatalf("by name: %d %v", len(bs), err)
		}
	})
}

// BenchmarkConsoleSearch: the console's searches over a chamber's size,
// 100,000 accounts and 30,000 businesses. The issue wants well under
// 100 ms per search on both databases.
func BenchmarkConsoleSearch(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		url := storetest.SQLiteURL(b)
		if dialect == "postgres" {
			url = storetest.PostgresURL(b)
		}
		db := storetest.Open(b, url)
		seedChamber(b, db, 100_000, 30_000)
		if dialect == "postgres" {
			rawExec(b, url, `ANALYZE`)
		}
		ctx := context.Background()
		q := db.Q()
		for _, c := range []struct {
			name       string
			run        func() (int, error)
			atLeastOne bool
		}{
			{"account-part", func() (int, error) { h, err := q.SearchAccounts(ctx, "054321@", "", 51); return len(h), err }, true},
			{"account-miss", func() (int, error) { h, err := q.SearchAccounts(ctx, "niemand", "", 51); return len(h), err }, false},
			{"account-common", func() (int, error) { h, err := q.SearchAccounts(ctx, "inhaber", "", 51); return len(h), err }, true},
			{"account-by-number", func() (int, error) { h, err := q.SearchAccounts(ctx, "12345-4", "12345-4", 51); return len(h), err }, true},
			{"business-number", func() (int, error) { h, err := q.SearchBusinesses(ctx, "12345", "12345", 51); return len(h), err }, true},
			{"business-name", func() (int, error) { h, err := q.SearchBusinesses(ctx, "", "müller 2999", 51); return len(h), err }, true},
			{"business-miss", func() (int, error) { h, err := q.SearchBusinesses(ctx, "", "bäckerei", 51); return len(h), err }, false},
		} {
			b.Run(dialect+"/"+c.name, func(b *testing.B) {
				for b.Loop() {
					n, err := c.run()
					if err != nil || (n > 0) != c.atLeastOne {
						b.Fatalf("%d hits, %v", n, err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/search")
			})
		}
	}
}

// DeleteAccount goes the purge's way: the account with what hangs on it,
// its throttle counters, and one audit entry that keeps its number.
func TestDeleteAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db := storetest.Open(t, url)
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		a := &pforte.Account{Email: "weg@example.de", CreatedAt: now}
		if err := db.Q().CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := db.Q().CreateSession(ctx, store.StoredSession{Hash: "h", AccountID: a.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Q().Hit(ctx, "login:weg@example.de", now, time.Hour); err != nil {
			t.Fatal(err)
		}
		err := db.Tx(ctx, func(tx *store.Tx) error {
			return tx.DeleteAccount(ctx, a.ID, pforte.AuditEntry{At: now, Event: pforte.EventStaffDeleted, ActorID: 77, Client: "c", Detail: "Wunsch"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Q().AccountByID(ctx, a.ID); err != store.ErrNotFound {
			t.Fatalf("account still there: %v", err)
		}
		if n, _ := db.Q().CountSessions(ctx, a.ID); n != 0 {
			t.Fatalf("%d sessions left", n)
		}
		if c, _ := db.Q().Peek(ctx, "login:weg@example.de", now, time.Hour); c.Count != 0 {
			t.Fatal("throttle counter left")
		}
		log, err := db.Q().AuditLog(ctx, store.AuditFilter{AccountID: a.ID})
		if err != nil || len(log) != 1 || log[0].Event != pforte.EventStaffDeleted || log[0].ActorID != 77 || log[0].Detail != "Wunsch" || log[0].Email != "" {
			t.Fatalf("audit: %+v %v", log, err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteAccount(ctx, a.ID, pforte.AuditEntry{}) }); err != store.ErrNotFound {
			t.Fatalf("delete twice: %v", err)
		}
	})
}
