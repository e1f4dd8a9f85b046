package store

import (
	"context"
	"database/sql"
	"time"

	"pforte"
)

// Audit appends one entry to the audit log.
func (tx *Tx) Audit(ctx context.Context, e pforte.AuditEntry) error {
	var acct sql.NullInt64
	if e.AccountID != 0 {
		acct = sql.NullInt64{Int64: e.AccountID, Valid: true}
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	_, err := tx.q.ExecContext(ctx, `INSERT INTO audit (at, event, account_id, client, detail) VALUES ($1, $2, $3, $4, $5)`,
		e.At.UnixMilli(), string(e.Event), acct, e.Client, e.Detail)
	return err
}

// AuditFilter selects audit entries: of one account (0: all), since a time
// (zero: all), at most Limit (0: all).
type AuditFilter struct {
	AccountID int64
	Since     time.Time
	Limit     int
}

// AuditLog lists audit entries, newest first, with the account's address
// where the account still exists.
func (tx *Tx) AuditLog(ctx context.Context, f AuditFilter) ([]pforte.AuditEntry, error) {
	q := `SELECT audit.id, audit.at, audit.event, coalesce(audit.account_id, 0), coalesce(accounts.email, ''), audit.client, audit.detail
		FROM audit LEFT JOIN accounts ON accounts.id = audit.account_id
		WHERE ($1 = 0 OR audit.account_id = $1) AND audit.at >= $2 ORDER BY audit.at DESC, audit.id DESC`
	args := []any{f.AccountID, f.Since.UnixMilli()}
	if f.Since.IsZero() {
		args[1] = int64(0)
	}
	if f.Limit > 0 {
		q += ` LIMIT $3`
		args = append(args, f.Limit)
	}
	rows, err := tx.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pforte.AuditEntry
	for rows.Next() {
		var e pforte.AuditEntry
		var at int64
		var ev string
		if err := rows.Scan(&e.ID, &at, &ev, &e.AccountID, &e.Email, &e.Client, &e.Detail); err != nil {
			return nil, err
		}
		e.At, e.Event = time.UnixMilli(at).UTC(), pforte.Event(ev)
		out = append(out, e)
	}
	return out, rows.Err()
}
