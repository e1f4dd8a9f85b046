package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
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

// Rule says which attempts Take lets through: Free attempts per Window,
// then either none until the window has passed (no Waits), or one each
// time the wait after the last attempt has passed: Waits[0] after the
// Free-th attempt, Waits[1] after the next, and so on, the last repeating.
// A counter whose window has passed starts again at 1 (unless a wait
// still holds).
type Rule struct {
	Window time.Duration
	Free   int
	Waits  []time.Duration
}

// Take counts one attempt for key, if r lets it through at now, and tells
// whether it did. Counting and deciding are one statement, so that a burst
// of concurrent attempts, on one process or many, never gets more through
// than the rule allows: each attempt takes its place in the count before
// it is checked. A refused attempt changes nothing; its Counter is the
// state that refused it.
func (tx *Tx) Take(ctx context.Context, key string, now time.Time, r Rule) (Counter, bool, error) {
	return tx.take(ctx, key, now, r, true)
}

// take is Take; again says whether it may count once more when the
// counter vanished between its two statements.
func (tx *Tx) take(ctx context.Context, key string, now time.Time, r Rule, again bool) (Counter, bool, error) {
	n := now.UnixMilli()
	args := []any{key, n, n - r.Window.Milliseconds(), r.Free}
	// The condition under which a counter that exists may count again.
	cond := "throttle.window_start <= $3"
	if len(r.Waits) > 0 {
		// The cutoff for the last attempt, by the number of waits so far.
		cutoff := func(w time.Duration) string {
			args = append(args, n-w.Milliseconds())
			return "CAST($" + strconv.Itoa(len(args)) + " AS BIGINT)" // typed for PostgreSQL inside CASE
		}
		last := r.Waits[len(r.Waits)-1]
		if len(r.Waits) == 1 {
			cond = "throttle.last_at <= " + cutoff(last)
		} else {
			var b strings.Builder
			b.WriteString("throttle.last_at <= CASE throttle.count - $4")
			for i, w := range r.Waits[:len(r.Waits)-1] {
				b.WriteString(" WHEN " + strconv.Itoa(i) + " THEN " + cutoff(w))
			}
			b.WriteString(" ELSE " + cutoff(last) + " END")
			cond = b.String()
		}
	}
	var c Counter
	var start, last int64
	err := tx.q.QueryRowContext(ctx, `INSERT INTO throttle (key, count, window_start, last_at) VALUES ($1, 1, $2, $2)
		ON CONFLICT (key) DO UPDATE SET
			count = CASE WHEN throttle.window_start <= $3 THEN 1 ELSE throttle.count + 1 END,
			window_start = CASE WHEN throttle.window_start <= $3 THEN $2 ELSE throttle.window_start END,
			last_at = $2
		WHERE throttle.count < $4 OR `+cond+`
		RETURNING count, window_start, last_at`, args...).Scan(&c.Count, &start, &last)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.q.QueryRowContext(ctx, `SELECT count, window_start, last_at FROM throttle WHERE key = $1`, key).Scan(&c.Count, &start, &last)
		if errors.Is(err, sql.ErrNoRows) && again {
			// Reset in between (a right password, ResetCounter): count
			// again, against a fresh counter.
			return tx.take(ctx, key, now, r, false)
		}
		c.WindowStart, c.LastAt = time.UnixMilli(start).UTC(), time.UnixMilli(last).UTC()
		return c, false, err
	}
	if err != nil {
		return c, false, err
	}
	c.WindowStart, c.LastAt = time.UnixMilli(start).UTC(), time.UnixMilli(last).UTC()
	return c, true, nil
}

// GiveBack returns one attempt counted by Take (one that turned out
// not to be a failure).
func (tx *Tx) GiveBack(ctx context.Context, key string) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE throttle SET count = count - 1 WHERE key = $1 AND count > 0`, key)
	return err
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
