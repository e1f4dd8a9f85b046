package store

import (
	"context"
	"database/sql"
	"time"
)

// EmailChange is a requested change of an account's login address,
// waiting for the link mailed to the new address.
type EmailChange struct {
	Hash      string
	AccountID int64
	NewEmail  string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// InsertEmailChange stores a requested change; earlier open requests of
// the account are dropped (a newer link makes older ones worthless).
func (tx *Tx) InsertEmailChange(ctx context.Context, c EmailChange) error {
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM email_changes WHERE account_id = $1`, c.AccountID); err != nil {
		return err
	}
	_, err := tx.q.ExecContext(ctx, `INSERT INTO email_changes (hash, account_id, new_email, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, c.Hash, c.AccountID, c.NewEmail, c.CreatedAt.UnixMilli(), c.ExpiresAt.UnixMilli())
	return err
}

// EmailChangeByHash finds a requested change by its link's hash.
func (tx *Tx) EmailChangeByHash(ctx context.Context, hash string) (*EmailChange, error) {
	c := EmailChange{Hash: hash}
	var created, expires int64
	var used sql.NullInt64
	err := tx.q.QueryRowContext(ctx, `SELECT account_id, new_email, created_at, expires_at, used_at FROM email_changes
		WHERE hash = $1`, hash).Scan(&c.AccountID, &c.NewEmail, &created, &expires, &used)
	if err != nil {
		return nil, notFound(err)
	}
	c.CreatedAt, c.ExpiresAt, c.UsedAt = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC(), fromMS(used)
	return &c, nil
}

// OpenEmailChange is the account's requested change not yet used, if any.
func (tx *Tx) OpenEmailChange(ctx context.Context, accountID int64, now time.Time) (*EmailChange, error) {
	var hash string
	err := tx.q.QueryRowContext(ctx, `SELECT hash FROM email_changes WHERE account_id = $1 AND used_at IS NULL
		AND expires_at > $2`, accountID, now.UnixMilli()).Scan(&hash)
	if err != nil {
		return nil, notFound(err)
	}
	return tx.EmailChangeByHash(ctx, hash)
}

// DropEmailChanges voids the account's unused address changes (their
// links stop working) and says how many there were: after a new password
// or a staff action, a change asked by someone else must not go through.
func (tx *Tx) DropEmailChanges(ctx context.Context, accountID int64) (int64, error) {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM email_changes WHERE account_id = $1 AND used_at IS NULL`, accountID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// UseEmailChange marks a change used if it is unused and unexpired at
// now; ErrNotFound otherwise, so that a link works once.
func (tx *Tx) UseEmailChange(ctx context.Context, hash string, now time.Time) error {
	return one(tx.q.ExecContext(ctx, `UPDATE email_changes SET used_at = $1
		WHERE hash = $2 AND used_at IS NULL AND expires_at > $1`, now.UnixMilli(), hash))
}

// SetEmail changes an account's login address; ErrExists if another
// account has it. The counters of the old address go with it.
func (tx *Tx) SetEmail(ctx context.Context, id int64, old, email string) error {
	var taken int
	if err := tx.q.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE email = $1`, email).Scan(&taken); err != nil {
		return err
	}
	if taken > 0 {
		return ErrExists
	}
	if err := one(tx.q.ExecContext(ctx, `UPDATE accounts SET email = $1 WHERE id = $2`, email, id)); err != nil {
		return err
	}
	return tx.forgetCounters(ctx, []InactiveAccount{{ID: id, Email: old}})
}

// SessionsOf lists the live sessions of an account, the newest first.
func (tx *Tx) SessionsOf(ctx context.Context, accountID int64, now time.Time) ([]StoredSession, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT hash, account_id, created_at, last_seen_at, expires_at, client,
		sid, methods, user_agent FROM sessions WHERE account_id = $1 AND expires_at > $2
		ORDER BY last_seen_at DESC, created_at DESC`, accountID, now.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredSession
	for rows.Next() {
		var s StoredSession
		var created, seen, expires int64
		var sid sql.NullString
		if err := rows.Scan(&s.Hash, &s.AccountID, &created, &seen, &expires, &s.Client, &sid, &s.Methods, &s.UserAgent); err != nil {
			return nil, err
		}
		s.SID = sid.String
		s.CreatedAt, s.LastSeenAt, s.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(seen).UTC(), time.UnixMilli(expires).UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

// SessionOfBySID finds a session of the account by its public name.
func (tx *Tx) SessionOfBySID(ctx context.Context, accountID int64, sid string) (string, error) {
	var hash string
	err := tx.q.QueryRowContext(ctx, `SELECT hash FROM sessions WHERE account_id = $1 AND sid = $2`, accountID, sid).Scan(&hash)
	if err != nil {
		return "", notFound(err)
	}
	return hash, nil
}

// MailsOf lists the mails sent or queued to an account (subject and
// times; the bodies are not part of it), the newest first.
func (tx *Tx) MailsOf(ctx context.Context, accountID int64) ([]StoredMail, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT id, recipient, subject, created_at, sent_at, failed_at FROM outbox
		WHERE account_id = $1 ORDER BY id DESC`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredMail
	for rows.Next() {
		var m StoredMail
		var created, sent, failed sql.NullInt64
		if err := rows.Scan(&m.ID, &m.To, &m.Subject, &created, &sent, &failed); err != nil {
			return nil, err
		}
		m.CreatedAt, m.SentAt, m.FailedAt = fromMS(created), fromMS(sent), fromMS(failed)
		out = append(out, m)
	}
	return out, rows.Err()
}

// PruneMailsWithoutAccount deletes the mails that belong to no account
// (the notice after a deletion or an address change) once they were sent
// or given up before cutoff: their recipient is an address Pforte must
// not keep.
func (tx *Tx) PruneMailsWithoutAccount(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM outbox WHERE account_id IS NULL
		AND (sent_at < $1 OR failed_at < $1)`, cutoff.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
