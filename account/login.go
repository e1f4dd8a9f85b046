package account

import (
	"context"
	"errors"
	"strings"
	"time"

	"pforte"
	"pforte/password"
	"pforte/store"
	"pforte/throttle"
)

// The answers of Login. One message for a wrong password and an unknown
// address: the form must not tell which addresses have accounts.
var (
	invalidCredentials = &pforte.Error{Code: pforte.InvalidCredentials,
		Message: "E-Mail-Adresse oder Passwort ist falsch."}
	notConfirmed = &pforte.Error{Code: pforte.NotConfirmed,
		Message: "Ihre E-Mail-Adresse ist noch nicht bestätigt. Bitte öffnen Sie den Link in der Bestätigungsmail."}
	passwordExpired = &pforte.Error{Code: pforte.PasswordExpired,
		Message: "Ihr bisheriges Passwort gilt nicht mehr. Bitte legen Sie über „Passwort vergessen“ ein neues Passwort nach der neuen Richtlinie an."}
)

// Login checks email and pw. It answers invalid-credentials for a wrong
// password or an unknown address alike (same time: the hash is checked
// either way), throttled when the account must wait, and — only when the
// password is right — not-confirmed or password-expired. On success it
// records the login and upgrades an outdated hash.
func (s *Service) Login(ctx context.Context, email, pw string, client Client) (*pforte.Account, error) {
	// Every attempt is counted before it is checked (a burst gets no more
	// checks than the limits allow), first against the client, so that a
	// blocked client costs no hash whatever it sends.
	if err := s.Limits.ClientAttempt(ctx, "login", client, throttle.ClientLoginFailures); err != nil {
		s.metric("throttled")
		return nil, err
	}
	email, err := pforte.NormalizeEmail(email)
	if err != nil {
		// Not an address: no account can match, but answer as for one,
		// and count it as the client's failure.
		s.Hasher.Verify(ctx, pw, "")
		s.auditAlone(ctx, pforte.EventLoginFailed, 0, client, "not an address")
		s.metric("invalid-credentials")
		return nil, invalidCredentials
	}
	now := s.now()
	if err := s.Limits.LoginAttempt(ctx, email); err != nil {
		// No password was checked: no failure of the client.
		s.Limits.ClientGiveBack(ctx, "login", client)
		if pforte.ErrorCode(err) == pforte.Throttled {
			var id int64
			if a, err := s.DB.Q().AccountByEmail(ctx, email); err == nil {
				id = a.ID
			}
			s.auditAlone(ctx, pforte.EventThrottled, id, client, "login")
			s.metric("throttled")
		}
		return nil, err
	}
	a, err := s.DB.Q().AccountByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	hash := ""
	if a != nil {
		hash = a.PasswordHash
		if hash == "" {
			// Imported account: its legacy password is recognised, only
			// to say that it expired.
			hash = a.PreviousHash
		}
	}
	ok, rehash, err := s.Hasher.Verify(ctx, pw, hash)
	if err != nil {
		return nil, err
	}
	if !ok {
		// Pay for the other kind of check too: imported accounts (bcrypt)
		// and all others (argon2id) must fail in the same time.
		if password.IsLegacy(hash) {
			s.Hasher.Verify(ctx, pw, "")
		} else if cost := s.legacyCost(ctx); cost > 0 {
			s.Hasher.SpendLegacy(ctx, pw, cost)
		}
		// Both attempts stay counted: they were failures.
		var id int64
		if a != nil {
			id = a.ID
		}
		s.auditAlone(ctx, pforte.EventLoginFailed, id, client, "")
		s.metric("invalid-credentials")
		return nil, invalidCredentials
	}
	s.Limits.ClientGiveBack(ctx, "login", client)
	switch {
	case a.PasswordExpired():
		s.Limits.LoginSucceeded(ctx, email)
		s.auditAlone(ctx, pforte.EventLoginFailed, a.ID, client, "password-expired")
		s.metric("password-expired")
		return a, passwordExpired
	case !a.Confirmed():
		s.Limits.LoginSucceeded(ctx, email)
		s.auditAlone(ctx, pforte.EventLoginFailed, a.ID, client, "not-confirmed")
		s.metric("not-confirmed")
		return a, notConfirmed
	}
	// The right password: the login recorded, the failures forgotten and
	// the login audited in one transaction (one commit on the busiest
	// path). The account's row first, then the counter's: the order in
	// which deleting an account takes them (no deadlock between the two).
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.RecordLogin(ctx, a.ID, now); err != nil {
			return err
		}
		if err := s.Limits.LoginSucceededIn(ctx, tx, email); err != nil {
			return err
		}
		return audit(ctx, tx, now, pforte.EventLoginSucceeded, a.ID, client, "")
	})
	if err != nil {
		return nil, err
	}
	a.LastLoginAt = now
	if rehash {
		s.upgradeHash(ctx, a, pw, client)
	}
	s.metric("success")
	return a, nil
}

// SignInRefused is err for the member: a sign-in whose password was
// changed (reset) while it was being checked (store.ErrCredentialChanged)
// proved a password that is no longer the account's, and is answered as
// a wrong password.
func SignInRefused(err error) error {
	if errors.Is(err, store.ErrCredentialChanged) {
		return invalidCredentials
	}
	return err
}

// upgradeHash stores pw under the current parameters. A failure here is
// logged, not shown: the login itself succeeded.
func (s *Service) upgradeHash(ctx context.Context, a *pforte.Account, pw string, client Client) {
	h, err := s.Hasher.Hash(ctx, pw)
	stored := false
	if err == nil {
		err = s.DB.Tx(ctx, func(tx *store.Tx) error {
			if stored, err = tx.RehashPassword(ctx, a.ID, a.PasswordHash, h); err != nil || !stored {
				return err
			}
			return audit(ctx, tx, s.now(), pforte.EventPasswordRehashed, a.ID, client, s.Hasher.Params.String())
		})
	}
	if err != nil {
		s.logError("rehash", err)
		return
	}
	if stored {
		a.PasswordHash = h
		return
	}
	// Another login of the account rehashed first, or the password was
	// changed: the session may hold the stored hash only if it is one of
	// this same password (else the sign-in is refused, as it must be).
	if cur, err := s.DB.Q().AccountByID(ctx, a.ID); err == nil {
		if ok, _, err := s.Hasher.Verify(ctx, pw, cur.PasswordHash); err == nil && ok {
			a.PasswordHash = cur.PasswordHash
		}
	}
}

// auditAlone writes an audit entry outside any transaction (events that
// change nothing else); a failure is logged.
func (s *Service) auditAlone(ctx context.Context, ev pforte.Event, accountID int64, client, detail string) {
	if err := audit(ctx, s.DB.Q(), s.now(), ev, accountID, client, detail); err != nil {
		s.logError("audit", err)
	}
}

func (s *Service) metric(outcome string) {
	if s.CountLogin != nil {
		s.CountLogin(outcome)
	}
}

// legacyCost is the highest bcrypt cost among the legacy hashes still in
// use, 0 when none are left; looked up at most every five minutes.
func (s *Service) legacyCost(ctx context.Context) int {
	s.legacyMu.Lock()
	defer s.legacyMu.Unlock()
	if now := time.Now(); now.After(s.legacyCheckedAt.Add(5 * time.Minute)) {
		prefixes, err := s.DB.Q().LegacyPrefixes(ctx)
		if err != nil {
			s.logError("legacy hashes", err)
			return s.legacyMax
		}
		s.legacyMax, s.legacyCheckedAt = 0, now
		for _, p := range prefixes {
			// A prefix such as "$2b$10$" is enough to read the cost.
			if c := password.LegacyCost(p + strings.Repeat(".", 53)); c > s.legacyMax {
				s.legacyMax = c
			}
		}
	}
	return s.legacyMax
}
