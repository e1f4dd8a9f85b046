package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"pforte"
)

// nullID is an id column: zero is NULL.
func nullID(id int64) sql.NullInt64 {
	return sql.NullInt64{Int64: id, Valid: id != 0}
}

// Audit appends one entry to the audit log.
func (tx *Tx) Audit(ctx context.Context, e pforte.AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	_, err := tx.q.ExecContext(ctx, `INSERT INTO audit (at, event, account_id, client, detail, actor_id) VALUES ($1, $2, $3, $4, $5, $6)`,
		e.At.UnixMilli(), string(e.Event), nullID(e.AccountID), e.Client, e.Detail, nullID(e.ActorID))
	return err
}

// AuditFilter selects audit entries: of one account (0: all), since a time
// (zero: all), of one event ("": all), at most Limit (0: all). With
// ActorToo, the entries of the account include what it did as staff.
type AuditFilter struct {
	AccountID int64
	ActorToo  bool
	Event     pforte.Event
	Since     time.Time
	Limit     int
}

// AuditLog lists audit entries, newest first, with the addresses of the
// account and of the acting staff account where they still exist.
func (tx *Tx) AuditLog(ctx context.Context, f AuditFilter) ([]pforte.AuditEntry, error) {
	q := `SELECT audit.id, audit.at, audit.event, coalesce(audit.account_id, 0), coalesce(accounts.email, ''), audit.client,
		audit.detail, coalesce(audit.actor_id, 0), coalesce(actors.email, '')
		FROM audit LEFT JOIN accounts ON accounts.id = audit.account_id LEFT JOIN accounts actors ON actors.id = audit.actor_id
		WHERE audit.at >= $1 AND ($2 = '' OR audit.event = $2)`
	args := []any{f.Since.UnixMilli(), string(f.Event)}
	if f.Since.IsZero() {
		args[0] = int64(0)
	}
	switch {
	case f.AccountID != 0 && f.ActorToo:
		q += ` AND (audit.account_id = $3 OR audit.actor_id = $3)`
		args = append(args, f.AccountID)
	case f.AccountID != 0:
		q += ` AND audit.account_id = $3`
		args = append(args, f.AccountID)
	}
	q += ` ORDER BY audit.at DESC, audit.id DESC`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT $%d`, len(args)+1)
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
		if err := rows.Scan(&e.ID, &at, &ev, &e.AccountID, &e.Email, &e.Client, &e.Detail, &e.ActorID, &e.Actor); err != nil {
			return nil, err
		}
		e.At, e.Event = time.UnixMilli(at).UTC(), pforte.Event(ev)
		out = append(out, e)
	}
	return out, rows.Err()
}

// CountEvents counts the audit entries of event since a time.
func (tx *Tx) CountEvents(ctx context.Context, ev pforte.Event, since time.Time) (int, error) {
	var n int
	err := tx.q.QueryRowContext(ctx, `SELECT count(*) FROM audit WHERE event = $1 AND at >= $2`, string(ev), since.UnixMilli()).Scan(&n)
	return n, err
}
