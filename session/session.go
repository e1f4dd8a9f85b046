// Package session keeps signed-in browsers on the server, in the database,
// so that several server processes share them. A session ends after Idle
// without a request (sliding), after Max in any case, at logout, and when
// the account's password is reset.
package session

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"pforte"
	"pforte/store"
)

// Sessions creates and checks sessions.
type Sessions struct {
	DB   *store.DB
	Idle time.Duration
	Max  time.Duration
	Now  func() time.Time

	touching sync.Map // hashes of the sessions whose activity is being written
}

func (s *Sessions) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Status is the outcome of a check.
type Status int

// The outcomes of Check. Expired is told apart from None so the login
// page can say why the member has to sign in again.
const (
	None Status = iota
	Valid
	Expired
)

// MethodNewOTP marks a session in which the app's codes were just set up
// with the password alone (no factor shown at its sign-in): it satisfies
// PFORTE_MFA=required, but the console and the services do not count it
// as a second factor until the next sign-in with a code. It is no RFC 8176
// value; the services' amr leaves it out.
const MethodNewOTP = "otp-new"

// Login describes how a session was signed in: who asks (client address,
// browser), with which methods (RFC 8176 amr values: "pwd", "otp",
// "hwk"; none means "pwd") and in which language the pages were ("de",
// "en"; kept as the language of the account's mails, which follow the
// pages; "" keeps the stored one).
//
// Password is the hash the sign-in's password was checked against (""
// when no password was part of it, as with a passkey): the session opens
// only while it is still the account's, so that a reset or change that
// commits during the check leaves no session behind. Passkey is, for a
// sign-in with a passkey, its id: the session opens only while the
// passkey is still the account's (a reset removes recent ones).
type Login struct {
	Client    string
	UserAgent string
	Methods   []string
	Language  string
	Password  string
	Passkey   int64
}

// Start opens a new session for an account and returns its id (for the
// cookie). replacing, the id of the browser's previous session if any, is
// ended: every login gets a new id (no session fixation). The sign-in's
// language is kept in the same transaction; a sign-in whose password
// changed meanwhile gets store.ErrCredentialChanged and no session.
func (s *Sessions) Start(ctx context.Context, accountID int64, replacing string, l Login) (string, error) {
	raw, hash := pforte.NewSecret()
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		// The account's row first, as a reset takes it before the
		// sessions (no deadlock between the two).
		if l.Password != "" {
			if err := tx.HoldPassword(ctx, accountID, l.Password); err != nil {
				return err
			}
		}
		if l.Passkey != 0 {
			if err := tx.HoldPasskey(ctx, accountID, l.Passkey); err != nil {
				return err
			}
		}
		if l.Language != "" {
			if err := tx.KeepLanguage(ctx, accountID, l.Language); err != nil {
				return err
			}
		}
		if replacing != "" {
			if err := tx.DeleteSession(ctx, pforte.HashSecret(replacing)); err != nil {
				return err
			}
		}
		ua := l.UserAgent
		if len(ua) > 300 {
			ua = ua[:300]
		}
		return tx.CreateSession(ctx, store.StoredSession{Hash: hash, AccountID: accountID, CreatedAt: now,
			LastSeenAt: now, ExpiresAt: now.Add(s.Max), Client: l.Client, UserAgent: strings.ToValidUTF8(ua, ""),
			Methods: strings.Join(l.Methods, " ")})
	})
	return raw, err
}

// Check looks up the session with id and, if it is alive, records the
// activity (the idle time starts again) and returns it with its account.
// A timed-out session is deleted and reported as Expired.
func (s *Sessions) Check(ctx context.Context, id string) (*pforte.Account, *store.StoredSession, Status, error) {
	return s.check(ctx, id, s.DB.Q().SessionWithAccount)
}

// CheckPage is Check for the account page: the session, its account and
// the page (PIN requests since pendingSince) come in one query, so the
// page costs one round trip to the database (two when the activity is
// recorded). The page is nil unless the session is valid.
func (s *Sessions) CheckPage(ctx context.Context, id string, pendingSince time.Time) (*pforte.Account, *store.StoredSession, *store.AccountPage, Status, error) {
	var page *store.AccountPage
	a, st, status, err := s.check(ctx, id, func(ctx context.Context, hash string) (st *store.StoredSession, a *pforte.Account, err error) {
		st, a, page, err = s.DB.Q().SessionPage(ctx, hash, pendingSince)
		return st, a, err
	})
	if !status.Valid() {
		page = nil
	}
	return a, st, page, status, err
}

// check is Check with the session read by read.
func (s *Sessions) check(ctx context.Context, id string,
	read func(ctx context.Context, hash string) (*store.StoredSession, *pforte.Account, error)) (*pforte.Account, *store.StoredSession, Status, error) {
	if id == "" || len(id) > 100 {
		return nil, nil, None, nil
	}
	hash := pforte.HashSecret(id)
	st, a, err := read(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, None, nil
	}
	if err != nil {
		return nil, nil, None, err
	}
	now := s.now()
	if !s.alive(st, now) {
		if err := s.DB.Q().DeleteSession(ctx, hash); err != nil {
			return nil, nil, None, err
		}
		s.DB.Q().Audit(ctx, pforte.AuditEntry{At: now, Event: pforte.EventSessionExpired, AccountID: st.AccountID})
		return nil, nil, Expired, nil
	}
	// Record the activity, but not more often than a tenth of the idle
	// time (at most every 5 s): the timeout stays exact to that, and a
	// page with many requests costs one write, not one per request.
	// Requests of one page that arrive together would all write, one after
	// the other on the row's lock: one write per session at a time is
	// enough, the others' activity is the same moment to the resolution.
	if now.Sub(st.LastSeenAt) >= min(s.Idle/10, 5*time.Second) {
		if _, busy := s.touching.LoadOrStore(hash, struct{}{}); !busy {
			err := s.DB.Q().TouchSession(ctx, hash, now)
			s.touching.Delete(hash)
			if err != nil {
				return nil, nil, None, err
			}
		}
		st.LastSeenAt = now
	}
	return a, st, Valid, nil
}

// Alive reports whether a stored session is alive now: active within
// Idle and before its end. Check and the services' tokens apply this one
// rule.
func (s *Sessions) Alive(st *store.StoredSession) bool { return s.alive(st, s.now()) }

func (s *Sessions) alive(st *store.StoredSession, now time.Time) bool {
	return now.Sub(st.LastSeenAt) < s.Idle && now.Before(st.ExpiresAt)
}

// End ends the session with id on the server.
func (s *Sessions) End(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	return s.DB.Q().DeleteSession(ctx, pforte.HashSecret(id))
}

// Prune deletes sessions that timed out more than a day ago. Sessions that
// timed out recently stay, so that a returning browser still learns that
// its session expired (rather than never existed).
func (s *Sessions) Prune(ctx context.Context) (int64, error) {
	now := s.now()
	return s.DB.Q().PruneSessions(ctx, now.Add(-s.Idle-24*time.Hour), now.Add(-24*time.Hour))
}

// Valid reports whether the session is alive.
func (st Status) Valid() bool { return st == Valid }
