package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"strings"
	"time"

	"pforte"
)

// The statements of the bulk commands (import, notify-inactive, purge)
// that carry a whole batch. Each database gets them in the form it runs
// fastest, so that a batch costs the same whatever has gone before:
//
//   - PostgreSQL: one fixed statement over arrays (unnest, = ANY): a few
//     parameters however large the batch, parsed and planned once per
//     connection (pgx caches it).
//   - SQLite: many rows of anonymous "?" placeholders. SQLite looks a
//     numbered "$n" up by name, at parse and again at bind, which made a
//     statement of thousands of parameters cost quadratic time: over half
//     of notify-inactive.

// anonymousRows writes n rows of k anonymous placeholders: "(?, ?), (?, ?)".
func anonymousRows(n, k int) string {
	row := "(" + strings.Repeat("?, ", k-1) + "?)"
	return strings.Repeat(row+", ", n-1) + row
}

// enqueueAll is Enqueue for many mails, one statement per Batch of them.
// Their bodies go into mail_bodies, each distinct one once (the notices
// of a batch, of a whole run, share one), the rows point to them.
func (tx *Tx) enqueueAll(ctx context.Context, mails []queued, now time.Time) error {
	bodies := map[[2]string]int64{}
	for len(mails) > 0 {
		n := min(len(mails), Batch)
		ids := make([]int64, n)
		for i, m := range mails[:n] {
			key := [2]string{m.m.Text, m.m.HTML}
			id, ok := bodies[key]
			if !ok {
				var err error
				if id, err = tx.shareBody(ctx, m.m.Text, m.m.HTML); err != nil {
					return err
				}
				bodies[key] = id
			}
			ids[i] = id
		}
		var err error
		if tx.dialect == Postgres {
			err = tx.enqueuePostgres(ctx, mails[:n], ids, now)
		} else {
			err = tx.enqueueSQLite(ctx, mails[:n], ids, now)
		}
		if err != nil {
			return err
		}
		mails = mails[n:]
	}
	return nil
}

// shareBody returns the id of the shared body with text and html,
// storing it if it is new.
func (tx *Tx) shareBody(ctx context.Context, text, html string) (int64, error) {
	sum := sha256.Sum256([]byte(text + "\x00" + html))
	var id int64
	err := tx.q.QueryRowContext(ctx, `INSERT INTO mail_bodies (hash, text_body, html_body) VALUES ($1, $2, $3)
		ON CONFLICT (hash) DO UPDATE SET hash = excluded.hash RETURNING id`, hex.EncodeToString(sum[:]), text, html).Scan(&id)
	return id, err
}

func (q queued) account() sql.NullInt64 {
	return sql.NullInt64{Int64: q.accountID, Valid: q.accountID != 0}
}

func (q queued) language() string {
	if q.m.Language == "" {
		return "de"
	}
	return q.m.Language
}

const enqueueColumns = `INSERT INTO outbox (account_id, recipient, subject, language, body_id, text_body, html_body,
		created_at, next_attempt_at) `

func (tx *Tx) enqueueSQLite(ctx context.Context, mails []queued, bodies []int64, now time.Time) error {
	args := make([]any, 0, 7*len(mails))
	for i, m := range mails {
		args = append(args, m.account(), m.m.To, m.m.Subject, m.language(), bodies[i], now.UnixMilli(), now.UnixMilli())
	}
	row := "(?, ?, ?, ?, ?, '', '', ?, ?)"
	_, err := tx.q.ExecContext(ctx, enqueueColumns+`VALUES `+strings.Repeat(row+", ", len(mails)-1)+row, args...)
	return err
}

func (tx *Tx) enqueuePostgres(ctx context.Context, mails []queued, bodies []int64, now time.Time) error {
	accounts := make([]int64, len(mails)) // 0: none
	recipients, subjects, langs := make([]string, len(mails)), make([]string, len(mails)), make([]string, len(mails))
	for i, m := range mails {
		accounts[i], recipients[i], subjects[i], langs[i] = m.accountID, m.m.To, m.m.Subject, m.language()
	}
	_, err := tx.q.ExecContext(ctx, enqueueColumns+`
		SELECT nullif(account_id, 0), recipient, subject, language, body_id, '', '', $1, $1
		FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[]) AS m(account_id, recipient, subject, language, body_id)`,
		now.UnixMilli(), accounts, recipients, subjects, langs, bodies)
	return err
}

// recordNotices is RecordNotice for many accounts in one statement; it
// returns those that had not been warned about cutoff yet.
func (tx *Tx) recordNotices(ctx context.Context, ids []int64, cutoff, deleteOn, now time.Time) (map[int64]bool, error) {
	fresh := make(map[int64]bool, len(ids))
	if len(ids) == 0 {
		return fresh, nil
	}
	const insert = `INSERT INTO inactive_notices (account_id, cutoff, delete_on, notified_at) `
	const returning = ` ON CONFLICT (account_id, cutoff) DO NOTHING RETURNING account_id`
	var rows *sql.Rows
	var err error
	if tx.dialect == Postgres {
		rows, err = tx.q.QueryContext(ctx, insert+`SELECT unnest($1::bigint[]), $2, $3, $4`+returning,
			ids, cutoff.UnixMilli(), deleteOn.UnixMilli(), now.UnixMilli())
	} else {
		args := make([]any, 0, 4*len(ids))
		for _, id := range ids {
			args = append(args, id, cutoff.UnixMilli(), deleteOn.UnixMilli(), now.UnixMilli())
		}
		rows, err = tx.q.QueryContext(ctx, insert+`VALUES `+anonymousRows(len(ids), 4)+returning, args...)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		fresh[id] = true
	}
	return fresh, rows.Err()
}

// auditEach appends one entry of event ev per account, in one statement.
func (tx *Tx) auditEach(ctx context.Context, at time.Time, ev pforte.Event, ids []int64, detail string) error {
	if len(ids) == 0 {
		return nil
	}
	const insert = `INSERT INTO audit (at, event, account_id, client, detail) `
	if tx.dialect == Postgres {
		_, err := tx.q.ExecContext(ctx, insert+`SELECT $1, $2, unnest($3::bigint[]), '', $4`, at.UnixMilli(), string(ev), ids, detail)
		return err
	}
	args := make([]any, 0, 5*len(ids))
	for _, id := range ids {
		args = append(args, at.UnixMilli(), string(ev), id, "", detail)
	}
	_, err := tx.q.ExecContext(ctx, insert+`VALUES `+anonymousRows(len(ids), 5), args...)
	return err
}

// forgetCounters deletes the throttle counters keyed by the addresses.
func (tx *Tx) forgetCounters(ctx context.Context, gone []InactiveAccount) error {
	if len(gone) == 0 {
		return nil
	}
	keys := make([]string, 0, 2*len(gone))
	for _, a := range gone {
		keys = append(keys, "login:"+a.Email, "mail:"+a.Email)
	}
	if tx.dialect == Postgres {
		_, err := tx.q.ExecContext(ctx, `DELETE FROM throttle WHERE key = ANY($1::text[])`, keys)
		return err
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	_, err := tx.q.ExecContext(ctx, `DELETE FROM throttle WHERE key IN (`+strings.Repeat("?, ", len(keys)-1)+`?)`, args...)
	return err
}
