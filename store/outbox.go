package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"pforte/mail"
)

// Enqueue writes a mail into the outbox, normally in the transaction of the
// action that causes it, so that the mail exists exactly when the action
// happened. accountID (0 for none) lets the mail go with its account.
func (tx *Tx) Enqueue(ctx context.Context, accountID int64, m mail.Message, now time.Time) (int64, error) {
	var acct sql.NullInt64
	if accountID != 0 {
		acct = sql.NullInt64{Int64: accountID, Valid: true}
	}
	var id int64
	lang := m.Language
	if lang == "" {
		lang = "de"
	}
	err := tx.q.QueryRowContext(ctx, `INSERT INTO outbox (account_id, recipient, subject, text_body, html_body, created_at, next_attempt_at, language)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id`, acct, m.To, m.Subject, m.Text, m.HTML, now.UnixMilli(), lang).Scan(&id)
	return id, err
}

// queued is a mail for the outbox and the account it concerns.
type queued struct {
	accountID int64
	m         mail.Message
}

// Outbox is the durable mail queue of a DB; it implements mail.Queue.
// Keep, when true, keeps the bodies of sent mails (development mail, where
// the operator reads them); otherwise a sent mail's bodies are cleared,
// since they hold single-use links (a shared body, which holds none, is
// no longer pointed to).
type Outbox struct {
	DB   *DB
	Keep bool
}

// Claim leases the oldest due mail. The UPDATE … WHERE lease_until < now
// makes the claim atomic on both databases, across processes.
func (o Outbox) Claim(ctx context.Context, now time.Time, lease time.Duration) (mail.Message, bool, error) {
	var m mail.Message
	for range 5 {
		var id int64
		err := o.DB.sql.QueryRowContext(ctx, `SELECT id FROM outbox
			WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 AND lease_until <= $1
			ORDER BY next_attempt_at, id LIMIT 1`, now.UnixMilli()).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return m, false, nil
		}
		if err != nil {
			return m, false, err
		}
		var body sql.NullInt64
		err = o.DB.sql.QueryRowContext(ctx, `UPDATE outbox SET lease_until = $1, attempts = attempts + 1
			WHERE id = $2 AND sent_at IS NULL AND failed_at IS NULL AND lease_until <= $3
			RETURNING id, recipient, subject, text_body, html_body, attempts, language, body_id`,
			now.Add(lease).UnixMilli(), id, now.UnixMilli()).Scan(&m.ID, &m.To, &m.Subject, &m.Text, &m.HTML, &m.Attempts, &m.Language, &body)
		if errors.Is(err, sql.ErrNoRows) {
			continue // another worker was faster
		}
		if err == nil && body.Valid {
			err = o.DB.sql.QueryRowContext(ctx, `SELECT text_body, html_body FROM mail_bodies WHERE id = $1`, body.Int64).Scan(&m.Text, &m.HTML)
		}
		return m, err == nil, err
	}
	return m, false, nil
}

// MarkSent records the delivery.
func (o Outbox) MarkSent(ctx context.Context, id int64, now time.Time) error {
	q := `UPDATE outbox SET sent_at = $1, lease_until = 0, last_error = '', text_body = '', html_body = '', body_id = NULL WHERE id = $2`
	if o.Keep {
		q = `UPDATE outbox SET sent_at = $1, lease_until = 0, last_error = '' WHERE id = $2`
	}
	_, err := o.DB.sql.ExecContext(ctx, q, now.UnixMilli(), id)
	return err
}

// MarkFailed records a failed attempt; next is when to try again, or the
// zero time to give up on the mail for good.
func (o Outbox) MarkFailed(ctx context.Context, id int64, next time.Time, reason string) error {
	if len(reason) > 500 {
		// Cut at a character boundary: PostgreSQL refuses broken UTF-8.
		reason = strings.ToValidUTF8(reason[:500], "")
	}
	if next.IsZero() {
		_, err := o.DB.sql.ExecContext(ctx, `UPDATE outbox SET failed_at = $1, lease_until = 0, last_error = $2 WHERE id = $3`,
			time.Now().UnixMilli(), reason, id)
		return err
	}
	_, err := o.DB.sql.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = $1, lease_until = 0, last_error = $2 WHERE id = $3`,
		next.UnixMilli(), reason, id)
	return err
}

// Depth counts the mails still to be delivered.
func (o Outbox) Depth(ctx context.Context) (int, error) {
	var n int
	err := o.DB.sql.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL`).Scan(&n)
	return n, err
}

// StoredMail is an outbox row as the operator sees it.
type StoredMail struct {
	mail.Message
	CreatedAt time.Time
	SentAt    time.Time
	FailedAt  time.Time
	LastError string
}

// RecentMails lists the newest limit mails of the outbox, newest first.
func (o Outbox) RecentMails(ctx context.Context, limit int) ([]StoredMail, error) {
	rows, err := o.DB.sql.QueryContext(ctx, `SELECT o.id, o.recipient, o.subject, coalesce(b.text_body, o.text_body),
		coalesce(b.html_body, o.html_body), o.attempts, o.created_at, o.sent_at, o.failed_at, o.last_error
		FROM outbox o LEFT JOIN mail_bodies b ON b.id = o.body_id ORDER BY o.id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredMail
	for rows.Next() {
		var m StoredMail
		var created, sent, failed sql.NullInt64
		if err := rows.Scan(&m.ID, &m.To, &m.Subject, &m.Text, &m.HTML, &m.Attempts, &created, &sent, &failed, &m.LastError); err != nil {
			return nil, err
		}
		m.CreatedAt, m.SentAt, m.FailedAt = fromMS(created), fromMS(sent), fromMS(failed)
		out = append(out, m)
	}
	return out, rows.Err()
}
