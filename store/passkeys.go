package store

import (
	"context"
	"database/sql"
	"time"
)

// Passkey is a stored WebAuthn credential. Credential is the library's
// whole credential as JSON (public key, flags, sign count, transports);
// CredentialID (base64url) and AccountID are what the login looks up by.
type Passkey struct {
	ID           int64
	AccountID    int64
	CredentialID string
	Credential   string
	Name         string
	CreatedAt    time.Time
	LastUsedAt   time.Time
}

const passkeyColumns = `id, account_id, credential_id, credential, name, created_at, last_used_at`

func scanPasskey(row interface{ Scan(...any) error }) (*Passkey, error) {
	var p Passkey
	var created int64
	var used sql.NullInt64
	if err := row.Scan(&p.ID, &p.AccountID, &p.CredentialID, &p.Credential, &p.Name, &created, &used); err != nil {
		return nil, notFound(err)
	}
	p.CreatedAt, p.LastUsedAt = time.UnixMilli(created).UTC(), fromMS(used)
	return &p, nil
}

// InsertPasskey stores a new passkey and sets its ID; ErrExists if the
// credential is registered already.
func (tx *Tx) InsertPasskey(ctx context.Context, p *Passkey) error {
	err := tx.q.QueryRowContext(ctx, `INSERT INTO passkeys (account_id, credential_id, credential, name, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (credential_id) DO NOTHING RETURNING id`,
		p.AccountID, p.CredentialID, p.Credential, p.Name, p.CreatedAt.UnixMilli()).Scan(&p.ID)
	if err == sql.ErrNoRows {
		return ErrExists
	}
	return err
}

// PasskeysOf lists an account's passkeys, oldest first.
func (tx *Tx) PasskeysOf(ctx context.Context, accountID int64) ([]Passkey, error) {
	return scanPasskeys(tx.q.QueryContext(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE account_id = $1 ORDER BY id`, accountID))
}

// scanPasskeys reads the passkeys of a query's rows.
func scanPasskeys(rows *sql.Rows, err error) ([]Passkey, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Passkey
	for rows.Next() {
		p, err := scanPasskey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

// PasskeyByCredentialID finds a passkey by its credential id (base64url).
func (tx *Tx) PasskeyByCredentialID(ctx context.Context, credentialID string) (*Passkey, error) {
	return scanPasskey(tx.q.QueryRowContext(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE credential_id = $1`, credentialID))
}

// UsePasskey stores the credential after a login (its new sign count and
// flags) and the time of use.
func (tx *Tx) UsePasskey(ctx context.Context, id int64, credential string, now time.Time) error {
	return one(tx.q.ExecContext(ctx, `UPDATE passkeys SET credential = $1, last_used_at = $2 WHERE id = $3`,
		credential, now.UnixMilli(), id))
}

// DeletePasskey removes one passkey of an account; ErrNotFound if the
// account has no passkey with that id.
func (tx *Tx) DeletePasskey(ctx context.Context, accountID, id int64) error {
	return one(tx.q.ExecContext(ctx, `DELETE FROM passkeys WHERE account_id = $1 AND id = $2`, accountID, id))
}

// DeletePasskeysOf removes every passkey of an account and says how many.
func (tx *Tx) DeletePasskeysOf(ctx context.Context, accountID int64) (int64, error) {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM passkeys WHERE account_id = $1`, accountID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// DeletePasskeysSince removes the account's passkeys added at or after
// since and returns them (a password reset takes back what a thief may
// have added in the hours before).
func (tx *Tx) DeletePasskeysSince(ctx context.Context, accountID int64, since time.Time) ([]Passkey, error) {
	return scanPasskeys(tx.q.QueryContext(ctx, `DELETE FROM passkeys WHERE account_id = $1 AND created_at >= $2
		RETURNING `+passkeyColumns, accountID, since.UnixMilli()))
}
