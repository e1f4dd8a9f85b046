package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// OIDCClient is a service registered with `pforte clients add`: it signs
// its users in through Pforte (CONTRACT §6). SecretHash is empty for a
// public client.
type OIDCClient struct {
	ID              string
	Name            string
	SecretHash      string
	Public          bool
	RequireBusiness bool
	RedirectURIs    []string
	PostLogoutURIs  []string
	BackchannelURI  string
	LaunchURL       string
	CreatedAt       time.Time
}

// joinURIs keeps a list of URIs in one column, one per line (a URI holds
// no line break).
func joinURIs(uris []string) string { return strings.Join(uris, "\n") }

func splitURIs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// InsertOIDCClient registers c; false if a client with its ID exists.
func (tx *Tx) InsertOIDCClient(ctx context.Context, c OIDCClient) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO oidc_clients (id, name, secret_hash, public, require_business,
		redirect_uris, post_logout_uris, backchannel_uri, launch_url, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO NOTHING`, c.ID, c.Name, c.SecretHash, b2i(c.Public), b2i(c.RequireBusiness),
		joinURIs(c.RedirectURIs), joinURIs(c.PostLogoutURIs), c.BackchannelURI, c.LaunchURL, c.CreatedAt.UnixMilli())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

const clientCols = `id, name, secret_hash, public, require_business, redirect_uris, post_logout_uris,
	backchannel_uri, launch_url, created_at`

func scanClient(row interface{ Scan(...any) error }) (*OIDCClient, error) {
	var c OIDCClient
	var public, business int
	var redirects, logouts string
	var created int64
	if err := row.Scan(&c.ID, &c.Name, &c.SecretHash, &public, &business, &redirects, &logouts,
		&c.BackchannelURI, &c.LaunchURL, &created); err != nil {
		return nil, notFound(err)
	}
	c.Public, c.RequireBusiness = public == 1, business == 1
	c.RedirectURIs, c.PostLogoutURIs = splitURIs(redirects), splitURIs(logouts)
	c.CreatedAt = time.UnixMilli(created).UTC()
	return &c, nil
}

// OIDCClientByID finds a client; ErrNotFound if there is none.
func (tx *Tx) OIDCClientByID(ctx context.Context, id string) (*OIDCClient, error) {
	return scanClient(tx.q.QueryRowContext(ctx, `SELECT `+clientCols+` FROM oidc_clients WHERE id = $1`, id))
}

// OIDCClients lists every client by ID.
func (tx *Tx) OIDCClients(ctx context.Context) ([]OIDCClient, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT `+clientCols+` FROM oidc_clients ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OIDCClient
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// launchableFrom is the FROM and WHERE of the services with a launch URL.
const launchableFrom = `FROM oidc_clients WHERE launch_url <> ''`

// LaunchableClients lists the services with a launch URL, by ID.
func (tx *Tx) LaunchableClients(ctx context.Context) ([]LaunchableClient, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT name, launch_url, require_business `+launchableFrom+` ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LaunchableClient
	for rows.Next() {
		var c LaunchableClient
		var business int64
		if err := rows.Scan(&c.Name, &c.LaunchURL, &business); err != nil {
			return nil, err
		}
		c.RequireBusiness = business != 0
		out = append(out, c)
	}
	return out, rows.Err()
}

// DeleteOIDCClient removes a client; its codes and tokens go with it (ON
// DELETE CASCADE), so they stop working at once. False if there was none.
func (tx *Tx) DeleteOIDCClient(ctx context.Context, id string) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM oidc_clients WHERE id = $1`, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SetOIDCClientSecret replaces a confidential client's secret hash; false
// if there is no such confidential client.
func (tx *Tx) SetOIDCClientSecret(ctx context.Context, id, hash string) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `UPDATE oidc_clients SET secret_hash = $1 WHERE id = $2 AND public = 0`, hash, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// OIDCSubject returns the account's sub claim, creating it (fresh is a
// random value offered for a new one) on first use.
func (tx *Tx) OIDCSubject(ctx context.Context, accountID int64, fresh string) (string, error) {
	var sub string
	err := tx.q.QueryRowContext(ctx, `SELECT sub FROM oidc_subjects WHERE account_id = $1`, accountID).Scan(&sub)
	if !errors.Is(err, sql.ErrNoRows) {
		return sub, err
	}
	// First use: write it once (a read is all later uses cost).
	if _, err := tx.q.ExecContext(ctx, `INSERT INTO oidc_subjects (account_id, sub) VALUES ($1, $2)
		ON CONFLICT (account_id) DO NOTHING`, accountID, fresh); err != nil {
		return "", err
	}
	err = tx.q.QueryRowContext(ctx, `SELECT sub FROM oidc_subjects WHERE account_id = $1`, accountID).Scan(&sub)
	return sub, notFound(err)
}

// AccountIDBySubject finds the account of a sub claim.
func (tx *Tx) AccountIDBySubject(ctx context.Context, sub string) (int64, error) {
	var id int64
	err := tx.q.QueryRowContext(ctx, `SELECT account_id FROM oidc_subjects WHERE sub = $1`, sub).Scan(&id)
	return id, notFound(err)
}

// OIDCKey is a signing key: the private key sealed with the operator's
// key, the public half as JWK. Active is the one that signs now.
type OIDCKey struct {
	KID        string
	PrivateKey string
	PublicJWK  string
	Active     bool
	CreatedAt  time.Time
	RetiredAt  time.Time
}

// InsertOIDCKey stores k. As active key it is stored only if no other key
// is active (two instances starting together make one key): false then.
func (tx *Tx) InsertOIDCKey(ctx context.Context, k OIDCKey) (bool, error) {
	var active sql.NullInt64
	if k.Active {
		active = sql.NullInt64{Int64: 1, Valid: true}
	}
	res, err := tx.q.ExecContext(ctx, `INSERT INTO oidc_keys (kid, private_key, public_jwk, active, created_at, retired_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, k.KID, k.PrivateKey, k.PublicJWK, active,
		k.CreatedAt.UnixMilli(), ms(k.RetiredAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RetireOIDCKey takes the active key out of signing at now; it stays in
// the key set (see OIDCKeys).
func (tx *Tx) RetireOIDCKey(ctx context.Context, now time.Time) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE oidc_keys SET active = NULL, retired_at = $1 WHERE active = 1`, now.UnixMilli())
	return err
}

// OIDCKeys lists the active key first, then the keys retired after
// retiredAfter, newest first; older keys are no longer published.
func (tx *Tx) OIDCKeys(ctx context.Context, retiredAfter time.Time) ([]OIDCKey, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT kid, private_key, public_jwk, coalesce(active, 0), created_at, retired_at
		FROM oidc_keys WHERE active = 1 OR retired_at > $1 ORDER BY coalesce(active, 0) DESC, created_at DESC`, retiredAfter.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OIDCKey
	for rows.Next() {
		var k OIDCKey
		var active, created int64
		var retired sql.NullInt64
		if err := rows.Scan(&k.KID, &k.PrivateKey, &k.PublicJWK, &active, &created, &retired); err != nil {
			return nil, err
		}
		k.Active, k.CreatedAt, k.RetiredAt = active == 1, time.UnixMilli(created).UTC(), fromMS(retired)
		out = append(out, k)
	}
	return out, rows.Err()
}
