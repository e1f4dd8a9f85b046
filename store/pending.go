package store

import (
	"context"
	"database/sql"
	"time"
)

// Pending is a step between two requests (a login waiting for its second
// factor, a passkey ceremony), found by the hash of a cookie's secret.
type Pending struct {
	Hash      string
	Kind      string
	AccountID int64 // 0: none yet (a passkey login)
	Next      string
	Data      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// PendingSecondFactor is the kind of a login that gave the right password
// and waits for its second factor: a session to be, ended with the
// account's sessions (DeleteSessionsOf).
const PendingSecondFactor = "second-factor"

// InsertPending stores a new pending step.
func (tx *Tx) InsertPending(ctx context.Context, p Pending) error {
	var acct sql.NullInt64
	if p.AccountID != 0 {
		acct = sql.NullInt64{Int64: p.AccountID, Valid: true}
	}
	_, err := tx.q.ExecContext(ctx, `INSERT INTO pending (hash, kind, account_id, next, data, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, p.Hash, p.Kind, acct, p.Next, p.Data, p.CreatedAt.UnixMilli(), p.ExpiresAt.UnixMilli())
	return err
}

// PendingByHash finds an unexpired pending step of kind.
func (tx *Tx) PendingByHash(ctx context.Context, kind, hash string, now time.Time) (*Pending, error) {
	p := Pending{Hash: hash, Kind: kind}
	var acct sql.NullInt64
	var created, expires int64
	err := tx.q.QueryRowContext(ctx, `SELECT account_id, next, data, created_at, expires_at FROM pending
		WHERE hash = $1 AND kind = $2 AND expires_at > $3`, hash, kind, now.UnixMilli()).
		Scan(&acct, &p.Next, &p.Data, &created, &expires)
	if err != nil {
		return nil, notFound(err)
	}
	p.AccountID = acct.Int64
	p.CreatedAt, p.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
	return &p, nil
}

// DeletePending ends a pending step; ErrNotFound if it was gone already
// (another request finished it), so that each step finishes once.
func (tx *Tx) DeletePending(ctx context.Context, hash string) error {
	return one(tx.q.ExecContext(ctx, `DELETE FROM pending WHERE hash = $1`, hash))
}

// PrunePending deletes pending steps that expired before now.
func (tx *Tx) PrunePending(ctx context.Context, now time.Time) (int64, error) {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM pending WHERE expires_at <= $1`, now.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
