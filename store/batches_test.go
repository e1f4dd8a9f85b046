package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"pforte"
	"pforte/store"
	"pforte/store/storetest"
)

// TestInBatchesFailingHalfWay: a bulk command whose third batch fails
// keeps the first two on SQLite (each batch its own transaction, so that
// the portal gets the lock between them) and, asked for a whole one,
// nothing on PostgreSQL; without whole, PostgreSQL keeps them too.
func TestInBatchesFailingHalfWay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		boom := errors.New("the third batch fails")
		for _, whole := range []bool{true, false} {
			event := pforte.Event("batch-test-" + map[bool]string{true: "whole", false: "each"}[whole])
			batch := 0
			n, err := db.InBatches(ctx, whole, func(tx *store.Tx) (int, bool, error) {
				if batch++; batch == 3 {
					return 0, false, boom
				}
				return 1, true, tx.Audit(ctx, pforte.AuditEntry{At: time.Now(), Event: event})
			})
			kept, lerr := db.Q().AuditLog(ctx, store.AuditFilter{Event: event})
			if lerr != nil {
				t.Fatal(lerr)
			}
			want := 2
			if whole && db.Dialect() == store.Postgres {
				want = 0
			}
			if !errors.Is(err, boom) || n != want || len(kept) != want {
				t.Errorf("whole=%v: %d committed, %d kept, err %v; want %d, %d and the batch's error", whole, n, len(kept), err, want, want)
			}
		}
	})
}
