package store

import (
	"context"
	"database/sql"
	"time"
)

// StoredSession is a session row: the hash of its id, never the id.
type StoredSession struct {
	Hash       string
	AccountID  int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	Client     string
}

// CreateSession stores a new session.
func (tx *Tx) CreateSession(ctx context.Context, s StoredSession) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO sessions (hash, account_id, created_at, last_seen_at, expires_at, client)
		VALUES ($1, $2, $3, $4, $5, $6)`, s.Hash, s.AccountID, s.CreatedAt.UnixMilli(), s.LastSeenAt.UnixMilli(),
		s.ExpiresAt.UnixMilli(), s.Client)
	return err
}

// SessionByHash finds a session by the hash of its id.
func (tx *Tx) SessionByHash(ctx context.Context, hash string) (*StoredSession, error) {
	var s StoredSession
	var created, seen, expires sql.NullInt64
	err := tx.q.QueryRowContext(ctx, `SELECT hash, account_id, created_at, last_seen_at, expires_at, client
		FROM sessions WHERE hash = $1`, hash).Scan(&s.Hash, &s.AccountID, &created, &seen, &expires, &s.Client)
	if err != nil {
		return nil, notFound(err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMS(created), fromMS(seen), fromMS(expires)
	return &s, nil
}

// TouchSession records activity: the idle timeout starts again from now.
func (tx *Tx) TouchSession(ctx context.Context, hash string, now time.Time) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE hash = $2 AND last_seen_at < $1`,
		now.UnixMilli(), hash)
	return err
}

// DeleteSession ends one session.
func (tx *Tx) DeleteSession(ctx context.Context, hash string) error {
	_, err := tx.q.ExecContext(ctx, `DELETE FROM sessions WHERE hash = $1`, hash)
	return err
}

// DeleteSessionsOf ends every session of an account but the one with hash
// keep ("" keeps none).
func (tx *Tx) DeleteSessionsOf(ctx context.Context, accountID int64, keep string) (int64, error) {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = $1 AND hash <> $2`, accountID, keep)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// PruneSessions deletes sessions idle since before idleCutoff or past
// their absolute end at now.
func (tx *Tx) PruneSessions(ctx context.Context, idleCutoff, now time.Time) (int64, error) {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at < $1 OR expires_at < $2`,
		idleCutoff.UnixMilli(), now.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// CountSessions counts the live rows of an account (for tests and /konto).
func (tx *Tx) CountSessions(ctx context.Context, accountID int64) (int, error) {
	var n int
	err := tx.q.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE account_id = $1`, accountID).Scan(&n)
	return n, err
}
