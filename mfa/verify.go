package mfa

import (
	"context"
	"errors"
	"strings"

	"pforte"
	"pforte/store"
	"pforte/throttle"
)

// factorKey is the account's own counter of wrong codes
// (throttle.SecondFactorKey).
func factorKey(accountID int64) string { return throttle.SecondFactorKey(accountID) }

// Verify checks a code of the account: a 6-digit code of the app (each
// accepted once) or a recovery code (used up, and the owner told). Wrong
// codes count toward the per-account login throttle; while it holds, even
// a right code answers throttled. It returns whether a recovery code was
// used.
func (s *Service) Verify(ctx context.Context, a *pforte.Account, code, client string) (recovery bool, err error) {
	// Counted on both before the check (throttle.LoginAttempt), so that a
	// burst of codes gets no more checks than the rule allows.
	keys := []string{a.Email, factorKey(a.ID)}
	for i, key := range keys {
		if err := s.Limits.LoginAttempt(ctx, key); err != nil {
			for _, counted := range keys[:i] {
				s.Limits.LoginGiveBack(ctx, counted) // no code was checked
			}
			if pforte.ErrorCode(err) == pforte.Throttled {
				s.audit(ctx, pforte.EventThrottled, a.ID, client, "second factor")
			}
			return false, err
		}
	}
	ok, recovery, err := s.check(ctx, a, code, client)
	if err != nil {
		return false, err
	}
	if !ok {
		s.audit(ctx, pforte.EventSecondFactorFailed, a.ID, client, "")
		return false, codeInvalid
	}
	// A right code is a whole login: both counters start again.
	for _, key := range []string{a.Email, factorKey(a.ID)} {
		if err := s.Limits.LoginSucceeded(ctx, key); err != nil {
			s.logError("throttle", err)
		}
	}
	return recovery, nil
}

// check tells whether code is a valid, unused code of the account.
func (s *Service) check(ctx context.Context, a *pforte.Account, code, client string) (ok, recovery bool, err error) {
	code = strings.TrimSpace(code)
	if code == "" || len(code) > 64 {
		return false, false, nil
	}
	if !isAppCode(code) {
		ok, err := s.useRecoveryCode(ctx, a, code, client)
		return ok, ok, err
	}
	t, err := s.DB.Q().TOTPOf(ctx, a.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !t.Enabled()) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	secret, err := s.Keys.Open(t.Secret, keyPurpose)
	if err != nil {
		return false, false, err
	}
	p, ok := matchPeriod(string(secret), code, s.codeTime(), t.LastPeriod)
	if !ok {
		return false, false, nil
	}
	// The update accepts the period only if it is still later than the
	// last: of two requests with one code, one wins.
	if err := s.DB.Q().UseTOTPPeriod(ctx, a.ID, p); errors.Is(err, store.ErrNotFound) {
		return false, false, nil
	} else if err != nil {
		return false, false, err
	}
	return true, false, nil
}

// ProveFactor is the second half of the proof before a change of the
// account's sign-in methods (adding or removing a passkey), after the
// current password: when the app's codes are on, a valid code as well.
// A stolen session alone so changes nothing that outlasts it.
func (s *Service) ProveFactor(ctx context.Context, a *pforte.Account, code, client string) error {
	on, err := s.TOTPEnabled(ctx, a.ID)
	if err != nil || !on {
		return err
	}
	_, err = s.Verify(ctx, a, code, client)
	return err
}
