package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// The parts of a member's data export (account.Export) that no page
// reads otherwise.

// OIDCSubjectOf is the account's sub claim, "" if no service has had it
// yet. Unlike OIDCSubject it never makes one.
func (tx *Tx) OIDCSubjectOf(ctx context.Context, accountID int64) (string, error) {
	var sub string
	err := tx.q.QueryRowContext(ctx, `SELECT sub FROM oidc_subjects WHERE account_id = $1`, accountID).Scan(&sub)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return sub, err
}

// SignedInService is a service that holds tokens of the account now.
type SignedInService struct {
	ClientID, Name string
	Since          time.Time
}

// SignedInServices lists the services holding live tokens of the account.
func (tx *Tx) SignedInServices(ctx context.Context, accountID int64, now time.Time) ([]SignedInService, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT c.id, c.name, min(t.created_at) FROM oidc_tokens t
		JOIN oidc_clients c ON c.id = t.client_id
		WHERE t.account_id = $1 AND t.expires_at > $2 AND t.used_at IS NULL
		GROUP BY c.id, c.name ORDER BY c.id`, accountID, now.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SignedInService
	for rows.Next() {
		var s SignedInService
		var since int64
		if err := rows.Scan(&s.ClientID, &s.Name, &since); err != nil {
			return nil, err
		}
		s.Since = time.UnixMilli(since).UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

// AccountPINRequests lists every PIN request of the account, newest first.
func (tx *Tx) AccountPINRequests(ctx context.Context, accountID int64) ([]OwnPINRequest, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT `+businessColumns+`, r.requested_at, r.sent_at
		FROM pin_requests r JOIN businesses ON businesses.number = r.business_number
		WHERE r.account_id = $1 ORDER BY r.requested_at DESC, r.id DESC`, accountID)
	return scanOwnPINRequests(rows, err)
}
