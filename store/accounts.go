package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"pforte"
)

const accountColumns = `id, email, role, password_hash, password_set_at, password_expired_at,
	previous_hash, confirmed_at, created_at, last_login_at`

func scanAccount(row interface{ Scan(...any) error }) (*pforte.Account, error) {
	var a accountScan
	if err := row.Scan(a.dest()...); err != nil {
		return nil, notFound(err)
	}
	return a.account(), nil
}

// accountColumnsOf is accountColumns of the table named alias in a join.
func accountColumnsOf(alias string) string {
	cols := strings.Split(accountColumns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// accountScan receives accountColumns from a row.
type accountScan struct {
	a                                                pforte.Account
	role                                             string
	setAt, expiredAt, confirmedAt, createdAt, lastIn sql.NullInt64
}

func (s *accountScan) dest() []any {
	return []any{&s.a.ID, &s.a.Email, &s.role, &s.a.PasswordHash, &s.setAt, &s.expiredAt,
		&s.a.PreviousHash, &s.confirmedAt, &s.createdAt, &s.lastIn}
}

func (s *accountScan) account() *pforte.Account {
	a := s.a
	a.Role = pforte.Role(s.role)
	a.PasswordSetAt, a.PasswordExpiredAt = fromMS(s.setAt), fromMS(s.expiredAt)
	a.ConfirmedAt, a.CreatedAt, a.LastLoginAt = fromMS(s.confirmedAt), fromMS(s.createdAt), fromMS(s.lastIn)
	return &a
}

// ErrExists is returned by CreateAccount when the address has an account.
var ErrExists = errors.New("store: account exists")

// CreateAccount inserts a and sets its ID; ErrExists if the address is taken.
func (tx *Tx) CreateAccount(ctx context.Context, a *pforte.Account) error {
	if a.Role == "" {
		a.Role = pforte.RoleMember
	}
	err := tx.q.QueryRowContext(ctx, `INSERT INTO accounts
		(email, role, password_hash, password_set_at, password_expired_at, previous_hash, confirmed_at, created_at, last_login_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (email) DO NOTHING RETURNING id`,
		a.Email, string(a.Role), a.PasswordHash, ms(a.PasswordSetAt), ms(a.PasswordExpiredAt), a.PreviousHash,
		ms(a.ConfirmedAt), ms(a.CreatedAt), ms(a.LastLoginAt)).Scan(&a.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrExists
	}
	return err
}

// AccountByEmail finds the account of a normalised address.
func (tx *Tx) AccountByEmail(ctx context.Context, email string) (*pforte.Account, error) {
	return scanAccount(tx.q.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE email = $1`, email))
}

// AccountByID finds an account by its id.
func (tx *Tx) AccountByID(ctx context.Context, id int64) (*pforte.Account, error) {
	return scanAccount(tx.q.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
}

// SetPassword stores a new password hash, keeps the replaced one as the
// previous hash (to refuse its re-use) and clears any expiry. It voids
// the account's open reset links, whichever way the password is set: a
// link asked for before must not undo the new password.
func (tx *Tx) SetPassword(ctx context.Context, id int64, hash, previous string, at time.Time) error {
	if err := one(tx.q.ExecContext(ctx, `UPDATE accounts SET password_hash = $1, previous_hash = $2,
		password_set_at = $3, password_expired_at = NULL WHERE id = $4`, hash, previous, at.UnixMilli(), id)); err != nil {
		return err
	}
	return tx.VoidTokens(ctx, id, pforte.ResetToken, at)
}

// ReplaceUnconfirmedPassword gives an account that is not yet confirmed
// the password of a newer registration of its address. Only a password
// of its own registration is replaced (not an imported or expired one),
// and only while the account is unconfirmed: ErrNotFound otherwise, for
// example when the address was confirmed meanwhile.
func (tx *Tx) ReplaceUnconfirmedPassword(ctx context.Context, id int64, hash string, at time.Time) error {
	return one(tx.q.ExecContext(ctx, `UPDATE accounts SET password_hash = $1, password_set_at = $2
		WHERE id = $3 AND confirmed_at IS NULL AND password_expired_at IS NULL AND password_hash <> ''`,
		hash, at.UnixMilli(), id))
}

// RehashPassword replaces the hash of the same password (new parameters),
// if the stored hash is still old, and says whether it did; a concurrent
// change (or rehash) wins.
func (tx *Tx) RehashPassword(ctx context.Context, id int64, old, hash string) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `UPDATE accounts SET password_hash = $1 WHERE id = $2 AND password_hash = $3`, hash, id, old)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ConfirmAccount marks the address as confirmed (once).
func (tx *Tx) ConfirmAccount(ctx context.Context, id int64, at time.Time) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE accounts SET confirmed_at = $1 WHERE id = $2 AND confirmed_at IS NULL`, at.UnixMilli(), id)
	return err
}

// RecordLogin stores the time of a successful login.
func (tx *Tx) RecordLogin(ctx context.Context, id int64, at time.Time) error {
	return one(tx.q.ExecContext(ctx, `UPDATE accounts SET last_login_at = $1 WHERE id = $2`, at.UnixMilli(), id))
}

// one checks that an UPDATE or DELETE hit exactly one row.
func one(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// LegacyPrefixes lists the distinct starts ("$2b$10$") of the legacy
// hashes that imported accounts without a new password still carry.
func (tx *Tx) LegacyPrefixes(ctx context.Context) ([]string, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT DISTINCT substr(previous_hash, 1, 7) FROM accounts
		WHERE password_hash = '' AND previous_hash LIKE '$2%'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
