package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	"pforte"
)

// newSID returns a fresh public session name: 128 random bits in hex.
func newSID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// StoredSession is a session row: the hash of its id, never the id.
type StoredSession struct {
	Hash       string
	AccountID  int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	Client     string
	// SID names the session to the outside (the OpenID sid claim, the
	// member's session list); random, and not derived from the cookie.
	SID string
	// Methods are how the session was signed in, as RFC 8176 amr values
	// separated by spaces ("pwd", "pwd otp", "hwk"); "" counts as "pwd".
	Methods   string
	UserAgent string
}

// AMR returns the session's sign-in methods as a list.
func (s *StoredSession) AMR() []string {
	if s.Methods == "" {
		return []string{"pwd"}
	}
	return strings.Fields(s.Methods)
}

// SecondFactor reports whether the session was signed in with more than a
// password: an app code (otp) or a passkey (hwk).
func (s *StoredSession) SecondFactor() bool { return s.HasMethod("otp") || s.HasMethod("hwk") }

// HasMethod reports whether the session was signed in with method m.
func (s *StoredSession) HasMethod(m string) bool {
	return slices.Contains(s.AMR(), m)
}

// CreateSession stores a new session.
func (tx *Tx) CreateSession(ctx context.Context, s StoredSession) error {
	if s.SID == "" {
		s.SID = newSID()
	}
	if s.Methods == "" {
		s.Methods = "pwd"
	}
	_, err := tx.q.ExecContext(ctx, `INSERT INTO sessions (hash, account_id, created_at, last_seen_at, expires_at, client,
		sid, methods, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, s.Hash, s.AccountID, s.CreatedAt.UnixMilli(),
		s.LastSeenAt.UnixMilli(), s.ExpiresAt.UnixMilli(), s.Client, s.SID, s.Methods, s.UserAgent)
	return err
}

// SessionByHash finds a session by the hash of its id.
func (tx *Tx) SessionByHash(ctx context.Context, hash string) (*StoredSession, error) {
	var s StoredSession
	var created, seen, expires sql.NullInt64
	var sid sql.NullString
	err := tx.q.QueryRowContext(ctx, `SELECT hash, account_id, created_at, last_seen_at, expires_at, client,
		sid, methods, user_agent FROM sessions WHERE hash = $1`, hash).Scan(&s.Hash, &s.AccountID, &created, &seen, &expires,
		&s.Client, &sid, &s.Methods, &s.UserAgent)
	s.SID = sid.String
	if err != nil {
		return nil, notFound(err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMS(created), fromMS(seen), fromMS(expires)
	return &s, nil
}

var (
	sessionWithAccountColumns = `SELECT s.hash, s.account_id, s.created_at, s.last_seen_at, s.expires_at, s.client,
	s.sid, s.methods, s.user_agent, ` + accountColumnsOf("a")
	sessionWithAccountFrom = `FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.hash = $1`
	sessionWithAccount     = sessionWithAccountColumns + ` ` + sessionWithAccountFrom
)

// SessionWithAccount finds a session by the hash of its id together with
// its account, in one query: the check every signed-in request makes.
func (tx *Tx) SessionWithAccount(ctx context.Context, hash string) (*StoredSession, *pforte.Account, error) {
	var s StoredSession
	var created, seen, expires sql.NullInt64
	var sid sql.NullString
	var acct accountScan
	err := tx.q.QueryRowContext(ctx, sessionWithAccount, hash).Scan(append([]any{&s.Hash,
		&s.AccountID, &created, &seen, &expires, &s.Client, &sid, &s.Methods, &s.UserAgent}, acct.dest()...)...)
	if err != nil {
		return nil, nil, notFound(err)
	}
	s.SID = sid.String
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMS(created), fromMS(seen), fromMS(expires)
	return &s, acct.account(), nil
}

// ErrCredentialChanged says that the password or passkey a sign-in proved
// is no longer the account's: a reset or change committed in between.
var ErrCredentialChanged = errors.New("store: the credential changed during the sign-in")

// HoldPassword checks within tx that the account's password hash is still
// hash and holds the account's row until tx ends, so that a reset or
// change waits for tx (and then ends what tx opened) or, committed
// first, makes this ErrCredentialChanged (lockAccount). This relies on
// READ COMMITTED, PostgreSQL's default, under which a waiting reset sees
// what this committed.
func (tx *Tx) HoldPassword(ctx context.Context, accountID int64, hash string) error {
	if hash == "" {
		return ErrCredentialChanged // no password: nothing to hold
	}
	err := tx.lockAccount(ctx, accountID, `AND password_hash = $2`, hash)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrCredentialChanged
	}
	return err
}

// HoldPasskey is HoldPassword for a sign-in with a passkey: the account's
// row held, the passkey still the account's (a reset removes those added
// in the last hours).
func (tx *Tx) HoldPasskey(ctx context.Context, accountID, passkeyID int64) error {
	err := tx.lockAccount(ctx, accountID, "")
	if err == nil {
		err = tx.exists(ctx, `SELECT 1 FROM passkeys WHERE id = $1 AND account_id = $2`, passkeyID, accountID)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrCredentialChanged
	}
	return err
}

// HoldSession is HoldPassword for a change made within a session that
// proved itself earlier (a passkey added): the account's row held, the
// session with hash still the account's; ErrNotFound once a reset or a
// logout ended it.
func (tx *Tx) HoldSession(ctx context.Context, accountID int64, hash string) error {
	err := tx.lockAccount(ctx, accountID, "")
	if err == nil {
		err = tx.exists(ctx, `SELECT 1 FROM sessions WHERE hash = $1 AND account_id = $2`, hash, accountID)
	}
	return notFound(err)
}

// lockAccount holds the row of account $1 (if it meets cond, over args
// from $2) until tx ends; sql.ErrNoRows if there is none. PostgreSQL locks
// it as an UPDATE that leaves the key alone does; SQLite's write
// transactions run one at a time already.
func (tx *Tx) lockAccount(ctx context.Context, accountID int64, cond string, args ...any) error {
	q := `SELECT 1 FROM accounts WHERE id = $1 ` + cond
	if tx.dialect == Postgres {
		q += ` FOR NO KEY UPDATE`
	}
	return tx.exists(ctx, q, append([]any{accountID}, args...)...)
}

// exists runs the query q, which selects one column; sql.ErrNoRows if it
// finds no row.
func (tx *Tx) exists(ctx context.Context, q string, args ...any) error {
	var one int
	return tx.q.QueryRowContext(ctx, q, args...).Scan(&one)
}

// TouchSession records activity: the idle timeout starts again from now.
func (tx *Tx) TouchSession(ctx context.Context, hash string, now time.Time) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE hash = $2 AND last_seen_at < $1`,
		now.UnixMilli(), hash)
	return err
}

// DeleteSession ends one session (and, for the services, its tokens:
// see endOIDC).
func (tx *Tx) DeleteSession(ctx context.Context, hash string) error {
	if _, err := tx.endOIDC(ctx, `hash = $1`, hash); err != nil {
		return err
	}
	_, err := tx.q.ExecContext(ctx, `DELETE FROM sessions WHERE hash = $1`, hash)
	return err
}

// DeleteSessionsOf ends every session of an account but the one with hash
// keep ("" keeps none), and every login of it that waits for its second
// factor (a password reset or change must leave no way in with the old
// password).
func (tx *Tx) DeleteSessionsOf(ctx context.Context, accountID int64, keep string) (int64, error) {
	if _, err := tx.endOIDC(ctx, `account_id = $1 AND hash <> $2`, accountID, keep); err != nil {
		return 0, err
	}
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM pending WHERE account_id = $1 AND kind = $2`, accountID, PendingSecondFactor); err != nil {
		return 0, err
	}
	res, err := tx.q.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = $1 AND hash <> $2`, accountID, keep)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// PruneSessions deletes sessions idle since before idleCutoff or past
// their absolute end at now.
func (tx *Tx) PruneSessions(ctx context.Context, idleCutoff, now time.Time) (int64, error) {
	if _, err := tx.endOIDC(ctx, `last_seen_at < $1 OR expires_at < $2`, idleCutoff.UnixMilli(), now.UnixMilli()); err != nil {
		return 0, err
	}
	res, err := tx.q.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at < $1 OR expires_at < $2`,
		idleCutoff.UnixMilli(), now.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// CountSessions counts the live rows of an account (for tests and /konto).
func (tx *Tx) CountSessions(ctx context.Context, accountID int64) (int, error) {
	var n int
	err := tx.q.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE account_id = $1`, accountID).Scan(&n)
	return n, err
}
