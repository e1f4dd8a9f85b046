package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// OIDCLogout is a back-channel logout to deliver to a service.
type OIDCLogout struct {
	ID        int64
	ClientID  string
	URI       string
	AccountID int64
	Sub       string
	SID       string
	Attempts  int
}

// ClaimOIDCLogout leases the oldest due logout for lease, as Outbox.Claim
// does for mail: the conditional UPDATE lets one worker of one instance
// have it.
func (tx *Tx) ClaimOIDCLogout(ctx context.Context, now time.Time, lease time.Duration) (*OIDCLogout, error) {
	for range 5 {
		var id int64
		err := tx.q.QueryRowContext(ctx, `SELECT id FROM oidc_logouts
			WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 AND lease_until <= $1
			ORDER BY next_attempt_at, id LIMIT 1`, now.UnixMilli()).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		if err != nil {
			return nil, err
		}
		var l OIDCLogout
		err = tx.q.QueryRowContext(ctx, `UPDATE oidc_logouts SET lease_until = $1, attempts = attempts + 1
			WHERE id = $2 AND sent_at IS NULL AND failed_at IS NULL AND lease_until <= $3
			RETURNING id, client_id, uri, account_id, sub, sid, attempts`, now.Add(lease).UnixMilli(), id, now.UnixMilli()).Scan(
			&l.ID, &l.ClientID, &l.URI, &l.AccountID, &l.Sub, &l.SID, &l.Attempts)
		if errors.Is(err, sql.ErrNoRows) {
			continue // another worker was faster
		}
		if err != nil {
			return nil, err
		}
		return &l, nil
	}
	return nil, ErrNotFound
}

// MarkOIDCLogoutSent records the delivery.
func (tx *Tx) MarkOIDCLogoutSent(ctx context.Context, id int64, now time.Time) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE oidc_logouts SET sent_at = $1, lease_until = 0, last_error = '' WHERE id = $2`,
		now.UnixMilli(), id)
	return err
}

// RetryOIDCLogout records a failed attempt: try again at next, or, with a
// zero next, give up.
func (tx *Tx) RetryOIDCLogout(ctx context.Context, id int64, next time.Time, reason string, now time.Time) error {
	if next.IsZero() {
		_, err := tx.q.ExecContext(ctx, `UPDATE oidc_logouts SET failed_at = $1, lease_until = 0, last_error = $2 WHERE id = $3`,
			now.UnixMilli(), reason, id)
		return err
	}
	_, err := tx.q.ExecContext(ctx, `UPDATE oidc_logouts SET next_attempt_at = $1, lease_until = 0, last_error = $2 WHERE id = $3`,
		next.UnixMilli(), reason, id)
	return err
}

// OIDCLogoutCounts counts the logouts still to deliver and those given up.
func (tx *Tx) OIDCLogoutCounts(ctx context.Context) (pending, failed int, err error) {
	err = tx.q.QueryRowContext(ctx, `SELECT
		coalesce(sum(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) FROM oidc_logouts`).Scan(&pending, &failed)
	return pending, failed, err
}

// PruneOIDCLogouts deletes logouts delivered or given up before cutoff.
func (tx *Tx) PruneOIDCLogouts(ctx context.Context, cutoff time.Time) error {
	_, err := tx.q.ExecContext(ctx, `DELETE FROM oidc_logouts WHERE sent_at < $1 OR failed_at < $1`, cutoff.UnixMilli())
	return err
}
