package store

import (
	"context"
	"database/sql"
	"time"

	"pforte"
)

// Token is a mailed link as stored: only the hash of its secret.
type Token struct {
	Hash      string
	Kind      pforte.TokenKind
	AccountID int64
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// InsertToken stores a new link token.
func (tx *Tx) InsertToken(ctx context.Context, t Token) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO tokens (hash, kind, account_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, t.Hash, string(t.Kind), t.AccountID, t.CreatedAt.UnixMilli(), t.ExpiresAt.UnixMilli())
	return err
}

// TokenByHash finds a token of kind by the hash of its secret.
func (tx *Tx) TokenByHash(ctx context.Context, kind pforte.TokenKind, hash string) (*Token, error) {
	var t Token
	var kindS string
	var created, expires, used sql.NullInt64
	err := tx.q.QueryRowContext(ctx, `SELECT hash, kind, account_id, created_at, expires_at, used_at
		FROM tokens WHERE hash = $1 AND kind = $2`, hash, string(kind)).
		Scan(&t.Hash, &kindS, &t.AccountID, &created, &expires, &used)
	if err != nil {
		return nil, notFound(err)
	}
	t.Kind = pforte.TokenKind(kindS)
	t.CreatedAt, t.ExpiresAt, t.UsedAt = fromMS(created), fromMS(expires), fromMS(used)
	return &t, nil
}

// UseToken marks a token used if it is still unused and unexpired at now;
// ErrNotFound otherwise, so two requests can never both use one token.
func (tx *Tx) UseToken(ctx context.Context, hash string, now time.Time) error {
	return one(tx.q.ExecContext(ctx, `UPDATE tokens SET used_at = $1
		WHERE hash = $2 AND used_at IS NULL AND expires_at > $1`, now.UnixMilli(), hash))
}

// VoidTokens uses up every open token of kind of an account (a newer link
// or a done reset makes older links worthless).
func (tx *Tx) VoidTokens(ctx context.Context, accountID int64, kind pforte.TokenKind, now time.Time) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE tokens SET used_at = $1
		WHERE account_id = $2 AND kind = $3 AND used_at IS NULL`, now.UnixMilli(), accountID, string(kind))
	return err
}

// PruneTokens deletes tokens that expired before cutoff.
func (tx *Tx) PruneTokens(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM tokens WHERE expires_at < $1`, cutoff.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
