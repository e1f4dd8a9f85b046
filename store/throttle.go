package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Counter is the state of one throttle key: Count events since
// WindowStart, the last at LastAt.
type Counter struct {
	Count       int
	WindowStart time.Time
	LastAt      time.Time
}

// Hit counts one event for key in a fixed window: the count starts again
// at 1 when the window has passed. One statement on both databases, so
// that several processes share the count.
func (tx *Tx) Hit(ctx context.Context, key string, now time.Time, window time.Duration) (Counter, error) {
	var c Counter
	var start, last int64
	n := now.UnixMilli()
	err := tx.q.QueryRowContext(ctx, `INSERT INTO throttle (key, count, window_start, last_at) VALUES ($1, 1, $2, $2)
		ON CONFLICT (key) DO UPDATE SET
			count = CASE WHEN throttle.window_start <= $3 THEN 1 ELSE throttle.count + 1 END,
			window_start = CASE WHEN throttle.window_start <= $3 THEN $2 ELSE throttle.window_start END,
			last_at = $2
		RETURNING count, window_start, last_at`, key, n, n-window.Milliseconds()).Scan(&c.Count, &start, &last)
	c.WindowStart, c.LastAt = time.UnixMilli(start).UTC(), time.UnixMilli(last).UTC()
	return c, err
}

// Peek reads the counter of key without counting; a missing key or one
// whose window has passed reads as zero.
func (tx *Tx) Peek(ctx context.Context, key string, now time.Time, window time.Duration) (Counter, error) {
	var c Counter
	var start, last int64
	err := tx.q.QueryRowContext(ctx, `SELECT count, window_start, last_at FROM throttle WHERE key = $1`, key).Scan(&c.Count, &start, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return Counter{}, nil
	}
	if err != nil {
		return c, err
	}
	c.WindowStart, c.LastAt = time.UnixMilli(start).UTC(), time.UnixMilli(last).UTC()
	if !c.WindowStart.After(now.Add(-window)) {
		return Counter{}, nil
	}
	return c, nil
}

// ResetCounter forgets key (after a successful login, say).
func (tx *Tx) ResetCounter(ctx context.Context, key string) error {
	_, err := tx.q.ExecContext(ctx, `DELETE FROM throttle WHERE key = $1`, key)
	return err
}

// PruneCounters deletes counters whose last event lies before cutoff.
func (tx *Tx) PruneCounters(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM throttle WHERE last_at < $1`, cutoff.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
