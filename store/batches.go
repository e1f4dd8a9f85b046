package store

import (
	"context"
	"time"
)

// InBatches runs the batches of a bulk command (an import, a purge, a
// round of notices): fn for one batch after another until it reports no
// more or fails, and returns the sum of the n of the committed batches.
//
// On SQLite every batch is a transaction of its own, and after each the
// command pauses (yield) for half the time the batch took: the whole file
// has one write lock, and the portal's requests wait for it by polling
// (SQLite's busy handler, up to 100 ms apart), so a command that took the
// lock back at once would keep them waiting batch after batch until their
// busy timeout ran out (SQLITE_BUSY, a 500 for the member). With the pause
// the lock is free a third of the time: each poll finds it free with
// probability 1/3, and a request waits a few batches, not seconds.
//
// On PostgreSQL, where a transaction blocks only the rows it writes,
// whole runs all batches in one transaction (all or nothing, as an import
// wants); otherwise each batch commits on its own there too.
func (db *DB) InBatches(ctx context.Context, whole bool, fn func(tx *Tx) (n int, more bool, err error)) (int, error) {
	if whole && db.dialect == Postgres {
		total := 0
		err := db.Tx(ctx, func(tx *Tx) error {
			total = 0
			for {
				n, more, err := fn(tx)
				total += n
				if err != nil || !more {
					return err
				}
			}
		})
		if err != nil {
			return 0, err
		}
		return total, nil
	}
	total := 0
	for {
		start := time.Now()
		var n int
		var more bool
		err := db.Tx(ctx, func(tx *Tx) error {
			var err error
			n, more, err = fn(tx)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if !more {
			return total, nil
		}
		if err := db.yield(ctx, time.Since(start)); err != nil {
			return total, err
		}
	}
}

// yield is the pause of a bulk command after a batch transaction that
// took took (see InBatches): on SQLite half as long as the batch; none on
// PostgreSQL. It ends early with ctx.
func (db *DB) yield(ctx context.Context, took time.Duration) error {
	if db.dialect != SQLite {
		return nil
	}
	t := time.NewTimer(took / 2)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
