package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// OIDCAuthRequest is an authorization request from a service, waiting
// for the member's login (AccountID 0) or for its code to be exchanged.
// Params is the request as the oidc package encodes it; the store does
// not look inside.
type OIDCAuthRequest struct {
	Hash        string
	ClientID    string
	Params      string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	AccountID   int64
	SessionHash string
	SID         string
	AuthTime    time.Time
	AMR         string
	CodeExpires time.Time
	Exchanged   bool
}

// InsertOIDCAuthRequest stores a new request.
func (tx *Tx) InsertOIDCAuthRequest(ctx context.Context, r OIDCAuthRequest) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO oidc_auth_requests (hash, client_id, params, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, r.Hash, r.ClientID, r.Params, r.CreatedAt.UnixMilli(), r.ExpiresAt.UnixMilli())
	return err
}

const authRequestCols = `hash, client_id, params, created_at, expires_at, coalesce(account_id, 0), session_hash, sid,
	auth_time, amr, code_expires_at, exchanged_at`

func (tx *Tx) oidcAuthRequest(ctx context.Context, where string, arg any) (*OIDCAuthRequest, error) {
	var r OIDCAuthRequest
	var created, expires int64
	var authTime, codeExpires, exchanged sql.NullInt64
	err := tx.q.QueryRowContext(ctx, `SELECT `+authRequestCols+` FROM oidc_auth_requests WHERE `+where, arg).Scan(
		&r.Hash, &r.ClientID, &r.Params, &created, &expires, &r.AccountID, &r.SessionHash, &r.SID,
		&authTime, &r.AMR, &codeExpires, &exchanged)
	if err != nil {
		return nil, notFound(err)
	}
	r.CreatedAt, r.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
	r.AuthTime, r.CodeExpires, r.Exchanged = fromMS(authTime), fromMS(codeExpires), exchanged.Valid
	return &r, nil
}

// OIDCAuthRequestByHash finds a request by the hash of its id.
func (tx *Tx) OIDCAuthRequestByHash(ctx context.Context, hash string) (*OIDCAuthRequest, error) {
	return tx.oidcAuthRequest(ctx, `hash = $1`, hash)
}

// OIDCAuthRequestByCode finds a request by the hash of its code.
func (tx *Tx) OIDCAuthRequestByCode(ctx context.Context, codeHash string) (*OIDCAuthRequest, error) {
	return tx.oidcAuthRequest(ctx, `code_hash = $1`, codeHash)
}

// CompleteOIDCAuthRequest records who signed in for the request, in which
// session, when and how.
func (tx *Tx) CompleteOIDCAuthRequest(ctx context.Context, hash string, accountID int64, sessionHash, sid string, authTime time.Time, amr string) error {
	return one(tx.q.ExecContext(ctx, `UPDATE oidc_auth_requests SET account_id = $1, session_hash = $2, sid = $3,
		auth_time = $4, amr = $5 WHERE hash = $6 AND code_hash IS NULL`, accountID, sessionHash, sid, authTime.UnixMilli(), amr, hash))
}

// SaveOIDCCode gives a completed request its code (only its hash), valid
// until expires. A request gets one code only.
func (tx *Tx) SaveOIDCCode(ctx context.Context, hash, codeHash string, expires time.Time) error {
	return one(tx.q.ExecContext(ctx, `UPDATE oidc_auth_requests SET code_hash = $1, code_expires_at = $2
		WHERE hash = $3 AND code_hash IS NULL AND account_id IS NOT NULL`, codeHash, expires.UnixMilli(), hash))
}

// ExchangeOIDCCode marks the request's code as exchanged; false if it
// was already (a second use of the code).
func (tx *Tx) ExchangeOIDCCode(ctx context.Context, hash string, now time.Time) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `UPDATE oidc_auth_requests SET exchanged_at = $1 WHERE hash = $2 AND exchanged_at IS NULL`,
		now.UnixMilli(), hash)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// OIDCToken is an access or refresh token (only its hash), bound to the
// grant (the authorization request it came from) and to the session.
type OIDCToken struct {
	Hash        string
	Kind        string // "access" or "refresh"
	GrantHash   string
	ClientID    string
	AccountID   int64
	SessionHash string
	SID         string
	Scopes      []string
	AuthTime    time.Time
	AMR         string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	Used        bool
}

// InsertOIDCToken stores a token.
func (tx *Tx) InsertOIDCToken(ctx context.Context, t OIDCToken) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO oidc_tokens (hash, kind, grant_hash, client_id, account_id, session_hash, sid,
		scopes, auth_time, amr, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		t.Hash, t.Kind, t.GrantHash, t.ClientID, t.AccountID, t.SessionHash, t.SID, strings.Join(t.Scopes, " "),
		t.AuthTime.UnixMilli(), t.AMR, t.CreatedAt.UnixMilli(), t.ExpiresAt.UnixMilli())
	return err
}

// OIDCTokenByHash finds a token of kind by its hash.
func (tx *Tx) OIDCTokenByHash(ctx context.Context, kind, hash string) (*OIDCToken, error) {
	var t OIDCToken
	var scopes string
	var authTime, created, expires int64
	var used sql.NullInt64
	err := tx.q.QueryRowContext(ctx, `SELECT hash, kind, grant_hash, client_id, account_id, session_hash, sid, scopes,
		auth_time, amr, created_at, expires_at, used_at FROM oidc_tokens WHERE hash = $1 AND kind = $2`, hash, kind).Scan(
		&t.Hash, &t.Kind, &t.GrantHash, &t.ClientID, &t.AccountID, &t.SessionHash, &t.SID, &scopes,
		&authTime, &t.AMR, &created, &expires, &used)
	if err != nil {
		return nil, notFound(err)
	}
	t.Scopes = strings.Fields(scopes)
	t.AuthTime, t.CreatedAt, t.ExpiresAt = time.UnixMilli(authTime).UTC(), time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
	t.Used = used.Valid
	return &t, nil
}

// UseOIDCRefresh marks a refresh token as used (rotated); false if it
// was used already.
func (tx *Tx) UseOIDCRefresh(ctx context.Context, hash string, now time.Time) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `UPDATE oidc_tokens SET used_at = $1 WHERE hash = $2 AND kind = 'refresh' AND used_at IS NULL`,
		now.UnixMilli(), hash)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DeleteOIDCToken revokes one token.
func (tx *Tx) DeleteOIDCToken(ctx context.Context, hash string) error {
	_, err := tx.q.ExecContext(ctx, `DELETE FROM oidc_tokens WHERE hash = $1`, hash)
	return err
}

// RevokeOIDCGrant revokes every token issued from one authorization.
func (tx *Tx) RevokeOIDCGrant(ctx context.Context, grantHash string) error {
	_, err := tx.q.ExecContext(ctx, `DELETE FROM oidc_tokens WHERE grant_hash = $1`, grantHash)
	return err
}

// HasOIDCTokens reports whether the client holds tokens of the session.
func (tx *Tx) HasOIDCTokens(ctx context.Context, clientID, sessionHash string) (bool, error) {
	var n int
	err := tx.q.QueryRowContext(ctx, `SELECT count(*) FROM oidc_tokens WHERE client_id = $1 AND session_hash = $2`,
		clientID, sessionHash).Scan(&n)
	return n > 0, err
}

// endOIDC is what ending sessions means for the services: the tokens of
// the sessions that match cond (a condition on sessions with
// $1…$len(args)) are deleted, and each client with a back-channel logout
// URI that held one gets a logout queued. It runs before the sessions are
// deleted, in the same transaction where there is one. The DELETE …
// RETURNING decides who queues: of two instances ending the same session
// at once, only the one that deleted the tokens does. It returns how many
// logouts it queued.
func (tx *Tx) endOIDC(ctx context.Context, cond string, args ...any) (int64, error) {
	return tx.endOIDCTokens(ctx, `session_hash IN (SELECT hash FROM sessions WHERE `+cond+`)`, args...)
}

// endOIDCTokens deletes the tokens that match cond (a condition on
// oidc_tokens) and queues the back-channel logouts, as endOIDC.
func (tx *Tx) endOIDCTokens(ctx context.Context, cond string, args ...any) (int64, error) {
	rows, err := tx.q.QueryContext(ctx, `DELETE FROM oidc_tokens WHERE `+cond+`
		RETURNING client_id, account_id, sid`, args...)
	if err != nil {
		return 0, err
	}
	type holder struct {
		client  string
		account int64
		sid     string
	}
	seen := map[holder]bool{}
	var holders []holder
	for rows.Next() {
		var h holder
		if err := rows.Scan(&h.client, &h.account, &h.sid); err != nil {
			rows.Close()
			return 0, err
		}
		if !seen[h] {
			seen[h] = true
			holders = append(holders, h)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var queued int64
	now := time.Now().UnixMilli()
	for _, h := range holders {
		res, err := tx.q.ExecContext(ctx, `INSERT INTO oidc_logouts (client_id, uri, account_id, sub, sid, created_at, next_attempt_at)
			SELECT c.id, c.backchannel_uri, s.account_id, s.sub, CAST($3 AS TEXT), CAST($4 AS BIGINT), CAST($4 AS BIGINT)
			FROM oidc_clients c, oidc_subjects s WHERE c.id = $1 AND s.account_id = $2 AND c.backchannel_uri <> ''`,
			h.client, h.account, h.sid, now)
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		queued += n
	}
	return queued, nil
}

// EndTimedOutOIDC ends, for the services, the sessions that timed out
// (idle since idleCutoff or past their end at now) and still hold tokens:
// their logouts are queued and their tokens deleted. The session rows
// stay, so the browser still learns that its session expired. It returns
// how many logouts it queued.
func (tx *Tx) EndTimedOutOIDC(ctx context.Context, idleCutoff, now time.Time) (int64, error) {
	return tx.endOIDC(ctx, `(last_seen_at <= $1 OR expires_at <= $2) AND hash IN (SELECT session_hash FROM oidc_tokens)`,
		idleCutoff.UnixMilli(), now.UnixMilli())
}

// PruneOIDC deletes authorization requests and tokens that have run out.
func (tx *Tx) PruneOIDC(ctx context.Context, now time.Time) error {
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM oidc_auth_requests WHERE expires_at < $1`, now.UnixMilli()); err != nil {
		return err
	}
	// Tokens stay while their session does (ending it deletes them): they
	// tell which services get a logout, and a used refresh token must still
	// be recognised when replayed. Here only strays whose session is gone.
	_, err := tx.q.ExecContext(ctx, `DELETE FROM oidc_tokens WHERE expires_at < $1
		AND NOT EXISTS (SELECT 1 FROM sessions WHERE sessions.hash = oidc_tokens.session_hash)`, now.UnixMilli())
	return err
}
