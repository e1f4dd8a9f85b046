package store_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"pforte"
	"pforte/store"
	"pforte/store/storetest"
)

var bakery = pforte.Business{Number: "0815-4711", Name: "Bäckerei Größl", Street: "Maßbacher Straße 12", Postcode: "97688", City: "Bad Kissingen"}

func TestSaveBusinessIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		for i, want := range []store.Upsert{store.Created, store.Unchanged} {
			got, err := db.Q().SaveBusiness(ctx, bakery, t0.Add(time.Duration(i)*time.Hour))
			if err != nil || got != want {
				t.Fatalf("save %d: %v %v, want %v", i, got, err, want)
			}
		}
		moved := bakery
		moved.Street = "Kurhausstraße 1"
		if got, err := db.Q().SaveBusiness(ctx, moved, t0.Add(2*time.Hour)); err != nil || got != store.Updated {
			t.Fatalf("moved: %v %v", got, err)
		}
		b, err := db.Q().BusinessByNumber(ctx, bakery.Number)
		if err != nil || b.Street != "Kurhausstraße 1" || b.Name != bakery.Name || !b.CreatedAt.Equal(t0) || !b.UpdatedAt.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("after update: %+v %v", b, err)
		}
		if _, err := db.Q().BusinessByNumber(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
	})
}

func TestPINsAndRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now()
		a := &pforte.Account{Email: "pin@example.de", CreatedAt: now}
		db.Q().CreateAccount(ctx, a)
		db.Q().SaveBusiness(ctx, bakery, now)
		n := bakery.Number

		// One pending request per business, however often it is asked.
		for i, want := range []bool{true, false} {
			if queued, err := db.Q().RequestPIN(ctx, n, a.ID, now); err != nil || queued != want {
				t.Fatalf("request %d: %v %v", i, queued, err)
			}
		}
		pending, err := db.Q().PendingPINRequests(ctx)
		if err != nil || len(pending) != 1 || pending[0].Business.City != "Bad Kissingen" || pending[0].AccountID != a.ID {
			t.Fatalf("pending: %+v %v", pending, err)
		}
		if err := db.Q().MarkPINRequestSent(ctx, pending[0].ID, now); err != nil {
			t.Fatal(err)
		}
		if err := db.Q().MarkPINRequestSent(ctx, pending[0].ID, now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("sent twice: %v", err)
		}
		if queued, _ := db.Q().RequestPIN(ctx, n, a.ID, now); !queued {
			t.Fatal("after sending, a new request must be possible")
		}

		// A new PIN voids the older; a PIN works once, before it expires.
		pin := func(hash string, expires time.Time) {
			t.Helper()
			if err := db.Q().InsertPIN(ctx, store.PIN{Hash: hash, BusinessNumber: n, CreatedAt: now, ExpiresAt: expires}); err != nil {
				t.Fatal(err)
			}
		}
		pin("old", now.Add(time.Hour))
		pin("new", now.Add(time.Hour))
		if err := db.Q().UsePIN(ctx, n, "old", now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("voided PIN used: %v", err)
		}
		if err := db.Q().UsePIN(ctx, "other", "new", now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("PIN used for another business: %v", err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 6 {
			wg.Go(func() {
				if db.Tx(ctx, func(tx *store.Tx) error { return tx.UsePIN(ctx, n, "new", now) }) == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("PIN used %d times", wins)
		}
		pin("expired", now.Add(-time.Millisecond))
		if err := db.Q().UsePIN(ctx, n, "expired", now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired PIN used: %v", err)
		}
	})
}

func TestLinksGoWithTheAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now()
		a := &pforte.Account{Email: "link@example.de", CreatedAt: now}
		b := &pforte.Account{Email: "other@example.de", CreatedAt: now}
		db.Q().CreateAccount(ctx, a)
		db.Q().CreateAccount(ctx, b)
		second := bakery
		second.Number, second.Name = "A-1", "Zimmerei Anders"
		db.Q().SaveBusiness(ctx, bakery, now)
		db.Q().SaveBusiness(ctx, second, now)

		for i, want := range []bool{true, false} {
			if created, err := db.Q().Link(ctx, a.ID, bakery.Number, now); err != nil || created != want {
				t.Fatalf("link %d: %v %v", i, created, err)
			}
		}
		db.Q().Link(ctx, a.ID, second.Number, now)
		db.Q().Link(ctx, b.ID, bakery.Number, now)
		list, err := db.Q().LinkedBusinesses(ctx, a.ID)
		if err != nil || len(list) != 2 || list[0].Number != bakery.Number || list[1].Name != "Zimmerei Anders" {
			t.Fatalf("linked: %+v %v", list, err)
		}
		if ok, _ := db.Q().Linked(ctx, b.ID, second.Number); ok {
			t.Fatal("b is not linked to the second business")
		}
		if err := db.Q().Unlink(ctx, a.ID, second.Number); err != nil {
			t.Fatal(err)
		}
		if err := db.Q().Unlink(ctx, a.ID, second.Number); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unlink twice: %v", err)
		}
		db.Q().RequestPIN(ctx, second.Number, a.ID, now)

		// Purging an account (whoever deletes the row) takes its links and
		// requests along; the other account's link stays.
		dialect, dsn, _ := store.ParseURL(url)
		driver := map[store.Dialect]string{store.SQLite: "sqlite", store.Postgres: "pgx"}[dialect]
		raw, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.ExecContext(ctx, `DELETE FROM accounts WHERE id = $1`, a.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := db.Q().LinkedBusinesses(ctx, a.ID); len(list) != 0 {
			t.Fatalf("links of a deleted account: %+v", list)
		}
		if p, _ := db.Q().PendingPINRequests(ctx); len(p) != 0 {
			t.Fatalf("requests of a deleted account: %+v", p)
		}
		if ok, _ := db.Q().Linked(ctx, b.ID, bakery.Number); !ok {
			t.Fatal("the other account's link is gone")
		}
	})
}
