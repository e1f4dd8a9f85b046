package mfa

import (
	"context"
	"errors"
	"time"

	"pforte"
	"pforte/store"
)

// PendingTTL is how long a login waits for its second factor after the
// right password.
const PendingTTL = 5 * time.Minute

const kindSecondFactor = store.PendingSecondFactor

// loginGone is the answer when the pending login is unknown or expired:
// the member starts again with the password.
var loginGone = &pforte.Error{Code: pforte.SessionExpired,
	Message: "Die Anmeldung hat zu lange gedauert. Bitte melden Sie sich erneut mit E-Mail-Adresse und Passwort an."}

// LoginGone reports whether err means the pending login is gone.
func LoginGone(err error) bool { return err == loginGone }

// BeginLogin keeps, for PendingTTL, that the account gave the right
// password (checked against the hash passwordHash) and wants to go on to
// next; it returns the secret for the cookie. No session exists before
// the second factor. A reset or change of the password ends the pending
// login (store.DeleteSessionsOf); one that committed during the check
// makes this store.ErrCredentialChanged.
func (s *Service) BeginLogin(ctx context.Context, accountID int64, passwordHash, next string) (string, error) {
	raw, hash := pforte.NewSecret()
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.HoldPassword(ctx, accountID, passwordHash); err != nil {
			return err
		}
		return tx.InsertPending(ctx, store.Pending{Hash: hash, Kind: kindSecondFactor, AccountID: accountID,
			Next: next, CreatedAt: now, ExpiresAt: now.Add(PendingTTL)})
	})
	return raw, err
}

// PendingLogin returns the account and next of a pending login.
func (s *Service) PendingLogin(ctx context.Context, raw string) (*pforte.Account, string, error) {
	if raw == "" || len(raw) > 100 {
		return nil, "", loginGone
	}
	p, err := s.DB.Q().PendingByHash(ctx, kindSecondFactor, pforte.HashSecret(raw), s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", loginGone
	}
	if err != nil {
		return nil, "", err
	}
	a, err := s.DB.Q().AccountByID(ctx, p.AccountID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", loginGone
	}
	return a, p.Next, err
}

// CompleteLogin checks code for the pending login raw and, if it is
// right, ends the pending login (once: a second request with the same
// cookie finds it gone) and returns the account and next.
func (s *Service) CompleteLogin(ctx context.Context, raw, code, client string) (*pforte.Account, string, error) {
	a, next, err := s.PendingLogin(ctx, raw)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.Verify(ctx, a, code, client); err != nil {
		return nil, "", err
	}
	if err := s.DB.Q().DeletePending(ctx, pforte.HashSecret(raw)); errors.Is(err, store.ErrNotFound) {
		return nil, "", loginGone
	} else if err != nil {
		return nil, "", err
	}
	s.audit(ctx, pforte.EventSecondFactorPassed, a.ID, client, "")
	return a, next, nil
}
