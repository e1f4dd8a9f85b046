package store

import (
	"context"
	"database/sql"
	"time"
)

// TOTP is an account's authenticator-app secret as stored: sealed values
// only (the keyring opens them), never the secret itself.
type TOTP struct {
	AccountID     int64
	Secret        string // sealed; "" while not enabled
	PendingSecret string // sealed; the secret shown during enrolment
	EnabledAt     time.Time
	LastPeriod    int64
}

// Enabled reports whether the app's codes are asked for at login.
func (t *TOTP) Enabled() bool { return t != nil && !t.EnabledAt.IsZero() }

// TOTPOf reads the TOTP row of an account (ErrNotFound if it has none).
func (tx *Tx) TOTPOf(ctx context.Context, accountID int64) (*TOTP, error) {
	t := TOTP{AccountID: accountID}
	var enabled sql.NullInt64
	err := tx.q.QueryRowContext(ctx, `SELECT secret, pending_secret, enabled_at, last_period FROM totp WHERE account_id = $1`,
		accountID).Scan(&t.Secret, &t.PendingSecret, &enabled, &t.LastPeriod)
	if err != nil {
		return nil, notFound(err)
	}
	t.EnabledAt = fromMS(enabled)
	return &t, nil
}

// SetPendingTOTP keeps a new sealed secret for the enrolment in progress;
// an enabled secret stays in force until the new one is confirmed.
func (tx *Tx) SetPendingTOTP(ctx context.Context, accountID int64, sealed string) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO totp (account_id, pending_secret) VALUES ($1, $2)
		ON CONFLICT (account_id) DO UPDATE SET pending_secret = excluded.pending_secret`, accountID, sealed)
	return err
}

// EnableTOTP makes the pending secret sealed the account's secret, with
// period as its first used period; ErrNotFound if another enrolment
// replaced the pending secret meanwhile.
func (tx *Tx) EnableTOTP(ctx context.Context, accountID int64, sealed string, period int64, now time.Time) error {
	return one(tx.q.ExecContext(ctx, `UPDATE totp SET secret = pending_secret, pending_secret = '', enabled_at = $1,
		last_period = $2 WHERE account_id = $3 AND pending_secret = $4 AND pending_secret <> ''`,
		now.UnixMilli(), period, accountID, sealed))
}

// UseTOTPPeriod records that a code of period was accepted, if period is
// later than the last one accepted: ErrNotFound otherwise (a replay), so
// that two requests can never both use one code.
func (tx *Tx) UseTOTPPeriod(ctx context.Context, accountID, period int64) error {
	return one(tx.q.ExecContext(ctx, `UPDATE totp SET last_period = $1
		WHERE account_id = $2 AND enabled_at IS NOT NULL AND last_period < $1`, period, accountID))
}

// DeleteTOTP removes the account's TOTP secret, enabled or pending; true
// if one was enabled.
func (tx *Tx) DeleteTOTP(ctx context.Context, accountID int64) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM totp WHERE account_id = $1 AND enabled_at IS NOT NULL`, accountID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	_, err = tx.q.ExecContext(ctx, `DELETE FROM totp WHERE account_id = $1`, accountID)
	return n > 0, err
}

// ReplaceRecoveryCodes stores hashes as the account's recovery codes; the
// old ones stop working.
func (tx *Tx) ReplaceRecoveryCodes(ctx context.Context, accountID int64, hashes []string, now time.Time) error {
	if err := tx.DeleteRecoveryCodes(ctx, accountID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO recovery_codes (account_id, hash, created_at) VALUES ($1, $2, $3)`,
			accountID, h, now.UnixMilli()); err != nil {
			return err
		}
	}
	return nil
}

// UseRecoveryCode uses up the unused code with hash; ErrNotFound if the
// account has no such unused code.
func (tx *Tx) UseRecoveryCode(ctx context.Context, accountID int64, hash string, now time.Time) error {
	return one(tx.q.ExecContext(ctx, `UPDATE recovery_codes SET used_at = $1
		WHERE account_id = $2 AND hash = $3 AND used_at IS NULL`, now.UnixMilli(), accountID, hash))
}

// UnusedRecoveryCodes counts the account's recovery codes still usable.
func (tx *Tx) UnusedRecoveryCodes(ctx context.Context, accountID int64) (int, error) {
	var n int
	err := tx.q.QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL`,
		accountID).Scan(&n)
	return n, err
}

// DeleteRecoveryCodes removes all recovery codes of an account.
func (tx *Tx) DeleteRecoveryCodes(ctx context.Context, accountID int64) error {
	_, err := tx.q.ExecContext(ctx, `DELETE FROM recovery_codes WHERE account_id = $1`, accountID)
	return err
}

// secondFactor is the one condition "account a has a second factor": an
// enabled TOTP secret or a passkey.
const secondFactor = `(EXISTS (SELECT 1 FROM totp t WHERE t.account_id = a.id AND t.enabled_at IS NOT NULL)
	OR EXISTS (SELECT 1 FROM passkeys p WHERE p.account_id = a.id))`

// HasSecondFactor reports whether the account has a second factor.
func (tx *Tx) HasSecondFactor(ctx context.Context, accountID int64) (bool, error) {
	var n int
	err := tx.q.QueryRowContext(ctx, `SELECT count(*) FROM accounts a WHERE a.id = $1 AND `+secondFactor, accountID).Scan(&n)
	return n > 0, err
}

// CountSecondFactor counts the accounts that have a second factor.
func (tx *Tx) CountSecondFactor(ctx context.Context) (int, error) {
	var n int
	err := tx.q.QueryRowContext(ctx, `SELECT count(*) FROM accounts a WHERE `+secondFactor).Scan(&n)
	return n, err
}
