package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"pforte"
	"pforte/mail"
	"pforte/store"
	"pforte/throttle"
)

// RequestReset mails a reset link if email has an account. The answer is
// the same whether it has one or not.
func (s *Service) RequestReset(ctx context.Context, email string, client Client) error {
	email, err := pforte.NormalizeEmail(email)
	if err != nil {
		return err
	}
	if err := s.Limits.Client(ctx, "reset", client, throttle.ClientReset); err != nil {
		return err
	}
	a, err := s.DB.Q().AccountByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		// Count and audit as for a known address: similar work, similar time.
		s.mailAllowed(ctx, email)
		s.auditAlone(ctx, pforte.EventResetRequested, 0, client, "unknown address")
		return nil
	}
	if err != nil {
		return err
	}
	if !s.mailAllowed(ctx, email) {
		s.auditAlone(ctx, pforte.EventThrottled, a.ID, client, "reset mail")
		return nil
	}
	now := s.now()
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := s.queueReset(ctx, tx, a, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, pforte.EventResetRequested, a.ID, client, "")
	})
	if err == nil {
		s.wake()
	}
	return err
}

// queueReset stores a new reset link for a, voiding the older ones (only
// the last mail counts), and queues the mail with it.
func (s *Service) queueReset(ctx context.Context, tx *store.Tx, a *pforte.Account, now time.Time) error {
	raw, hash := pforte.NewSecret()
	if err := tx.VoidTokens(ctx, a.ID, pforte.ResetToken, now); err != nil {
		return err
	}
	if err := tx.InsertToken(ctx, store.Token{Hash: hash, Kind: pforte.ResetToken, AccountID: a.ID,
		CreatedAt: now, ExpiresAt: now.Add(s.ResetTTL)}); err != nil {
		return err
	}
	_, err := tx.Enqueue(ctx, a.ID, tx.MailIn(ctx, s.Mail, a.ID).Reset(a.Email, s.link(ResetPath, raw), s.ResetTTL), now)
	return err
}

// Reset sets a new password through a reset link: the link is used up,
// every other reset link (store.SetPassword) and every session of the account end, the
// address counts as confirmed (the link proved it), and a notice goes out.
func (s *Service) Reset(ctx context.Context, raw, pw, repeat string, hasRepeat bool, client Client) (*pforte.Account, error) {
	a, err := s.PeekToken(ctx, pforte.ResetToken, raw)
	if err != nil {
		return nil, err
	}
	if err := s.checkNew(ctx, pw, repeat, hasRepeat, a.Email, a.PasswordHash, a.PreviousHash); err != nil {
		return nil, err
	}
	hash, err := s.Hasher.Hash(ctx, pw)
	if err != nil {
		return nil, err
	}
	now := s.now()
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		used, err := useToken(ctx, tx, pforte.ResetToken, raw, now)
		if err != nil {
			return err
		}
		if used.PasswordHash != a.PasswordHash {
			return tokenInvalid // changed meanwhile: ask again
		}
		previous := a.PasswordHash
		if previous == "" {
			previous = a.PreviousHash
		}
		if err := tx.SetPassword(ctx, a.ID, hash, previous, now); err != nil {
			return err
		}
		if err := tx.ConfirmAccount(ctx, a.ID, now); err != nil {
			return err
		}
		if _, err := tx.DeleteSessionsOf(ctx, a.ID, ""); err != nil {
			return err
		}
		if err := s.revokeRecent(ctx, tx, a, client, now); err != nil {
			return err
		}
		if _, err := tx.Enqueue(ctx, a.ID, tx.MailIn(ctx, s.Mail, a.ID).PasswordChanged(a.Email, now), now); err != nil {
			return err
		}
		return audit(ctx, tx, now, pforte.EventResetDone, a.ID, client, "")
	})
	if err != nil {
		return nil, err
	}
	s.Limits.LoginSucceeded(ctx, a.Email)
	s.wake()
	return a, nil
}

// ChangePassword sets a new password for a signed-in account that knows
// its current one. Every other session of the account ends; keepSession
// (the hash of the session asking) stays.
func (s *Service) ChangePassword(ctx context.Context, accountID int64, keepSession, current, pw, repeat string, hasRepeat bool, client Client) error {
	a, err := s.DB.Q().AccountByID(ctx, accountID)
	if err != nil {
		return err
	}
	// Counted before the check, as at the login: it proves the password too.
	if err := s.Limits.LoginAttempt(ctx, a.Email); err != nil {
		return err
	}
	ok, _, err := s.Hasher.Verify(ctx, current, a.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		s.auditAlone(ctx, pforte.EventLoginFailed, a.ID, client, "password change: wrong current password")
		return wrongCurrent
	}
	s.Limits.LoginSucceeded(ctx, a.Email)
	if err := s.checkNew(ctx, pw, repeat, hasRepeat, a.Email, a.PasswordHash, a.PreviousHash); err != nil {
		return err
	}
	hash, err := s.Hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		// The password checked above must still be the account's: a reset
		// that committed during the check is not undone.
		if err := tx.HoldPassword(ctx, a.ID, a.PasswordHash); err != nil {
			return err
		}
		if err := tx.SetPassword(ctx, a.ID, hash, a.PasswordHash, now); err != nil {
			return err
		}
		if _, err := tx.DeleteSessionsOf(ctx, a.ID, keepSession); err != nil {
			return err
		}
		if err := dropEmailChanges(ctx, tx, a.ID, client, now, "password changed"); err != nil {
			return err
		}
		if _, err := tx.Enqueue(ctx, a.ID, tx.MailIn(ctx, s.Mail, a.ID).PasswordChanged(a.Email, now), now); err != nil {
			return err
		}
		return audit(ctx, tx, now, pforte.EventPasswordChanged, a.ID, client, "")
	})
	if errors.Is(err, store.ErrCredentialChanged) {
		return wrongCurrent
	}
	if err == nil {
		s.wake()
	}
	return err
}

// RecentPasskeys is how far back a password reset removes new passkeys:
// one added with a stolen session or password must not outlast the reset.
const RecentPasskeys = 12 * time.Hour

// revokeRecent takes back, in tx, what someone who had the account before
// a reset may have set up to keep it: the passkeys added in the last
// RecentPasskeys (the owner is told) and the pending address changes.
func (s *Service) revokeRecent(ctx context.Context, tx *store.Tx, a *pforte.Account, client Client, now time.Time) error {
	gone, err := tx.DeletePasskeysSince(ctx, a.ID, now.Add(-RecentPasskeys))
	if err != nil {
		return err
	}
	if len(gone) > 0 {
		if err := audit(ctx, tx, now, pforte.EventPasskeyRemoved, a.ID, client, fmt.Sprintf("password reset: %d added in the last 12 h", len(gone))); err != nil {
			return err
		}
		if _, err := tx.Enqueue(ctx, a.ID, s.Mail.SecurityNotice(a.Email, mail.NoticeRecentPasskeysRemoved, now), now); err != nil {
			return err
		}
	}
	return dropEmailChanges(ctx, tx, a.ID, client, now, "password reset")
}

// dropEmailChanges voids the account's pending address changes in tx
// (audited when there was one): whoever asked may not be the owner.
func dropEmailChanges(ctx context.Context, tx *store.Tx, accountID int64, client Client, now time.Time, why string) error {
	n, err := tx.DropEmailChanges(ctx, accountID)
	if err != nil || n == 0 {
		return err
	}
	return audit(ctx, tx, now, pforte.EventEmailChangeVoided, accountID, client, why)
}
