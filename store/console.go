package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"pforte"
)

// The staff console's queries: counts, searches and the lists of one
// account or business. None of them reads a hash, token or mail body.

// Overview is what the console's first page counts.
type Overview struct {
	Accounts, Confirmed, PasswordExpired int
	LinkedBusinesses, PendingLetters     int
	MailsWaiting, MailsFailed            int
	LoginsToday, FailedLoginsToday       int
}

// Overview counts accounts, links, letters and mails, and the logins since
// dayStart.
func (tx *Tx) Overview(ctx context.Context, dayStart time.Time) (Overview, error) {
	var o Overview
	err := tx.q.QueryRowContext(ctx, `SELECT count(*),
		count(confirmed_at), coalesce(sum(CASE WHEN password_expired_at IS NOT NULL OR password_hash = '' THEN 1 ELSE 0 END), 0)
		FROM accounts`).Scan(&o.Accounts, &o.Confirmed, &o.PasswordExpired)
	if err != nil {
		return o, err
	}
	err = tx.q.QueryRowContext(ctx, `SELECT
		(SELECT count(DISTINCT business_number) FROM business_links),
		(SELECT count(*) FROM pin_requests WHERE sent_at IS NULL),
		(SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL),
		(SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL)`).
		Scan(&o.LinkedBusinesses, &o.PendingLetters, &o.MailsWaiting, &o.MailsFailed)
	if err != nil {
		return o, err
	}
	if o.LoginsToday, err = tx.CountEvents(ctx, pforte.EventLoginSucceeded, dayStart); err != nil {
		return o, err
	}
	o.FailedLoginsToday, err = tx.CountEvents(ctx, pforte.EventLoginFailed, dayStart)
	return o, err
}

// likeContains is a LIKE pattern (with ESCAPE '\') for any text containing s.
func likeContains(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// AccountHit is one account found by the console's search.
type AccountHit struct {
	ID                                int64
	Email                             string
	Role                              pforte.Role
	ConfirmedAt, CreatedAt, LastLogin time.Time
}

// SearchAccounts finds up to limit accounts whose address contains part
// (lower case) or that are linked to the business number, by address. Two
// queries, each ordered and limited, so that a part every address has
// stops after limit rows: on PostgreSQL a trigram index serves a rare
// part and the address index a common one; SQLite reads the addresses'
// index through.
func (tx *Tx) SearchAccounts(ctx context.Context, part, number string, limit int) ([]AccountHit, error) {
	const cols = `SELECT accounts.id, accounts.email, accounts.role, accounts.confirmed_at, accounts.created_at, accounts.last_login_at FROM accounts`
	var out []AccountHit
	if number != "" {
		hits, err := scanHits(tx.q.QueryContext(ctx, cols+` JOIN business_links ON business_links.account_id = accounts.id
			WHERE business_links.business_number = $1 ORDER BY accounts.email LIMIT $2`, number, limit))
		if err != nil {
			return nil, err
		}
		out = hits
	}
	if part != "" {
		hits, err := scanHits(tx.q.QueryContext(ctx, cols+` WHERE email LIKE $1 ESCAPE '\' ORDER BY email LIMIT $2`, likeContains(part), limit))
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			if !slices.ContainsFunc(out, func(o AccountHit) bool { return o.ID == h.ID }) {
				out = append(out, h)
			}
		}
	}
	slices.SortFunc(out, func(a, b AccountHit) int { return strings.Compare(a.Email, b.Email) })
	return out[:min(len(out), limit)], nil
}

func scanHits(rows *sql.Rows, err error) ([]AccountHit, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AccountHit
	for rows.Next() {
		var h AccountHit
		var role string
		var confirmed, created, last sql.NullInt64
		if err := rows.Scan(&h.ID, &h.Email, &role, &confirmed, &created, &last); err != nil {
			return nil, err
		}
		h.Role, h.ConfirmedAt, h.CreatedAt, h.LastLogin = pforte.Role(role), fromMS(confirmed), fromMS(created), fromMS(last)
		out = append(out, h)
	}
	return out, rows.Err()
}

// SearchBusinesses finds up to limit businesses whose number starts with
// numberPrefix (normalised) or whose name contains namePart (lower case).
func (tx *Tx) SearchBusinesses(ctx context.Context, numberPrefix, namePart string, limit int) ([]pforte.Business, error) {
	prefix := strings.TrimSuffix(likeContains(numberPrefix), "%")[1:] + "%"
	return scanBusinesses(tx.q.QueryContext(ctx, `SELECT `+businessColumns+` FROM businesses
		WHERE ($1 <> '' AND number LIKE $2 ESCAPE '\') OR ($3 <> '' AND lower(name) LIKE $4 ESCAPE '\')
		ORDER BY number LIMIT $5`, numberPrefix, prefix, namePart, likeContains(namePart), limit))
}

// SessionsOfAccount lists the live and recently ended session rows of an
// account, newest first, without their hashes.
func (tx *Tx) SessionsOfAccount(ctx context.Context, accountID int64) ([]StoredSession, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT account_id, created_at, last_seen_at, expires_at, client, coalesce(sid, ''),
		methods, user_agent FROM sessions WHERE account_id = $1 ORDER BY created_at DESC`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredSession
	for rows.Next() {
		var s StoredSession
		var created, seen, expires sql.NullInt64
		if err := rows.Scan(&s.AccountID, &created, &seen, &expires, &s.Client, &s.SID, &s.Methods, &s.UserAgent); err != nil {
			return nil, err
		}
		s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMS(created), fromMS(seen), fromMS(expires)
		out = append(out, s)
	}
	return out, rows.Err()
}

// MailState is where a mail of the outbox stands.
type MailState string

// The states of an outbox mail.
const (
	MailWaiting  MailState = "waiting"
	MailRetrying MailState = "retrying"
	MailFailed   MailState = "failed"
	MailSent     MailState = "sent"
)

// MailInfo is an outbox row as staff see it: never its body, which holds
// single-use links.
type MailInfo struct {
	ID                                       int64
	AccountID                                int64
	To, Subject, LastError                   string
	Attempts                                 int
	CreatedAt, NextAttempt, SentAt, FailedAt time.Time
}

// State tells whether the mail waits, is being retried, was given up or sent.
func (m MailInfo) State() MailState {
	switch {
	case !m.SentAt.IsZero():
		return MailSent
	case !m.FailedAt.IsZero():
		return MailFailed
	case m.Attempts > 0:
		return MailRetrying
	}
	return MailWaiting
}

const mailInfoColumns = `id, coalesce(account_id, 0), recipient, subject, last_error, attempts, created_at, next_attempt_at, sent_at, failed_at`

func scanMailInfos(rows *sql.Rows, err error) ([]MailInfo, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MailInfo
	for rows.Next() {
		var m MailInfo
		var created, next, sent, failed sql.NullInt64
		if err := rows.Scan(&m.ID, &m.AccountID, &m.To, &m.Subject, &m.LastError, &m.Attempts, &created, &next, &sent, &failed); err != nil {
			return nil, err
		}
		m.CreatedAt, m.NextAttempt, m.SentAt, m.FailedAt = fromMS(created), fromMS(next), fromMS(sent), fromMS(failed)
		out = append(out, m)
	}
	return out, rows.Err()
}

// MailsOfAccount lists the newest limit mails of an account.
func (tx *Tx) MailsOfAccount(ctx context.Context, accountID int64, limit int) ([]MailInfo, error) {
	return scanMailInfos(tx.q.QueryContext(ctx, `SELECT `+mailInfoColumns+` FROM outbox WHERE account_id = $1
		ORDER BY id DESC LIMIT $2`, accountID, limit))
}

// UndeliveredMails lists up to limit mails not sent: waiting, retrying and
// given up, newest first.
func (tx *Tx) UndeliveredMails(ctx context.Context, limit int) ([]MailInfo, error) {
	return scanMailInfos(tx.q.QueryContext(ctx, `SELECT `+mailInfoColumns+` FROM outbox
		WHERE sent_at IS NULL ORDER BY id DESC LIMIT $1`, limit))
}

// RetryMail makes an undelivered mail due now with fresh attempts (a mail
// given up included) and returns it; ErrNotFound if it was sent, is gone,
// or a worker holds it right now (its outcome would undo the retry).
func (tx *Tx) RetryMail(ctx context.Context, id int64, now time.Time) (MailInfo, error) {
	list, err := scanMailInfos(tx.q.QueryContext(ctx, `UPDATE outbox SET failed_at = NULL, attempts = 0, next_attempt_at = $1
		WHERE id = $2 AND sent_at IS NULL AND lease_until <= $1 RETURNING `+mailInfoColumns, now.UnixMilli(), id))
	if err != nil {
		return MailInfo{}, err
	}
	if len(list) == 0 {
		return MailInfo{}, ErrNotFound
	}
	return list[0], nil
}

// StaffAccounts lists the accounts with a staff role, by address.
func (tx *Tx) StaffAccounts(ctx context.Context) ([]pforte.Account, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE role <> 'member' ORDER BY email`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pforte.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		a.PasswordHash, a.PreviousHash = "", "" // staff never see a hash
		out = append(out, *a)
	}
	return out, rows.Err()
}

// SetRole gives an account a role; ErrNotFound if there is no such account.
func (tx *Tx) SetRole(ctx context.Context, id int64, role pforte.Role) error {
	return one(tx.q.ExecContext(ctx, `UPDATE accounts SET role = $1 WHERE id = $2`, string(role), id))
}

// LinkedAccount is an account linked to a business.
type LinkedAccount struct {
	ID       int64
	Email    string
	LinkedAt time.Time
}

// LinkedAccounts lists the accounts linked to the business number.
func (tx *Tx) LinkedAccounts(ctx context.Context, number string) ([]LinkedAccount, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT accounts.id, accounts.email, business_links.created_at FROM business_links
		JOIN accounts ON accounts.id = business_links.account_id WHERE business_links.business_number = $1
		ORDER BY accounts.email`, number)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LinkedAccount
	for rows.Next() {
		var l LinkedAccount
		var at int64
		if err := rows.Scan(&l.ID, &l.Email, &at); err != nil {
			return nil, err
		}
		l.LinkedAt = time.UnixMilli(at).UTC()
		out = append(out, l)
	}
	return out, rows.Err()
}

// PINRequestInfo is a PIN request as staff see it: who asked and when, and
// when its letter went out (zero: pending).
type PINRequestInfo struct {
	ID          int64
	AccountID   int64
	Email       string
	RequestedAt time.Time
	SentAt      time.Time
}

// PINRequestsOf lists the newest limit PIN requests of a business.
func (tx *Tx) PINRequestsOf(ctx context.Context, number string, limit int) ([]PINRequestInfo, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT pin_requests.id, pin_requests.account_id, accounts.email,
		pin_requests.requested_at, pin_requests.sent_at FROM pin_requests JOIN accounts ON accounts.id = pin_requests.account_id
		WHERE pin_requests.business_number = $1 ORDER BY pin_requests.requested_at DESC, pin_requests.id DESC LIMIT $2`, number, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PINRequestInfo
	for rows.Next() {
		var r PINRequestInfo
		var at int64
		var sent sql.NullInt64
		if err := rows.Scan(&r.ID, &r.AccountID, &r.Email, &at, &sent); err != nil {
			return nil, err
		}
		r.RequestedAt, r.SentAt = time.UnixMilli(at).UTC(), fromMS(sent)
		out = append(out, r)
	}
	return out, rows.Err()
}

// PINInfo is an issued PIN as staff see it: its dates, never its hash.
type PINInfo struct {
	CreatedAt, ExpiresAt, UsedAt, VoidedAt time.Time
}

// PINsOf lists the newest limit PINs of a business.
func (tx *Tx) PINsOf(ctx context.Context, number string, limit int) ([]PINInfo, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT created_at, expires_at, used_at, voided_at FROM pins
		WHERE business_number = $1 ORDER BY created_at DESC LIMIT $2`, number, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PINInfo
	for rows.Next() {
		var p PINInfo
		var created, expires int64
		var used, voided sql.NullInt64
		if err := rows.Scan(&created, &expires, &used, &voided); err != nil {
			return nil, err
		}
		p.CreatedAt, p.ExpiresAt, p.UsedAt, p.VoidedAt = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC(), fromMS(used), fromMS(voided)
		out = append(out, p)
	}
	return out, rows.Err()
}
