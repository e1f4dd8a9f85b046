package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"pforte"
)

// PreviousLogin is when the account signed in before its latest login
// (the zero time if it never did): what /konto shows as "Letzte
// Anmeldung", since the latest login is the member's own, just now.
func (tx *Tx) PreviousLogin(ctx context.Context, accountID int64) (time.Time, error) {
	var at int64
	err := tx.q.QueryRowContext(ctx, `SELECT at FROM audit WHERE account_id = $1 AND event = $2
		ORDER BY at DESC, id DESC LIMIT 1 OFFSET 1`, accountID, string(pforte.EventLoginSucceeded)).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(at).UTC(), nil
}

// OwnPINRequest is a PIN request of the member for a business the account
// is not linked to (yet): the letter is being prepared or on its way.
type OwnPINRequest struct {
	Business    pforte.Business
	RequestedAt time.Time
	SentAt      time.Time // zero while the letter is still to be printed
}

// OwnPINRequests lists the account's PIN requests since since, newest
// first, for businesses it is not linked to, one per business (the newest).
func (tx *Tx) OwnPINRequests(ctx context.Context, accountID int64, since time.Time) ([]OwnPINRequest, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT `+businessColumns+`, r.requested_at, r.sent_at
		FROM pin_requests r JOIN businesses ON businesses.number = r.business_number
		WHERE r.account_id = $1 AND r.requested_at >= $2
		AND NOT EXISTS (SELECT 1 FROM business_links l WHERE l.account_id = r.account_id AND l.business_number = r.business_number)
		AND NOT EXISTS (SELECT 1 FROM pin_requests n WHERE n.account_id = r.account_id AND n.business_number = r.business_number
			AND (n.requested_at > r.requested_at OR (n.requested_at = r.requested_at AND n.id > r.id)))
		ORDER BY r.requested_at DESC, r.id DESC`, accountID, since.UnixMilli())
	return scanOwnPINRequests(rows, err)
}

// scanOwnPINRequests reads the rows of OwnPINRequests and AccountPINRequests.
func scanOwnPINRequests(rows *sql.Rows, err error) ([]OwnPINRequest, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OwnPINRequest
	for rows.Next() {
		var req OwnPINRequest
		var at int64
		var sent sql.NullInt64
		b, err := scanBusiness(rows, &at, &sent)
		if err != nil {
			return nil, err
		}
		req.Business, req.RequestedAt, req.SentAt = *b, time.UnixMilli(at).UTC(), fromMS(sent)
		out = append(out, req)
	}
	return out, rows.Err()
}
