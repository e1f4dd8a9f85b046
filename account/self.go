package account

import (
	"context"
	"errors"

	"pforte"
	"pforte/mail"
	"pforte/store"
)

// EmailChangePath is the page of the link mailed to a new address.
const EmailChangePath = "/konto/email/bestaetigen"

var wrongCurrent = &pforte.Error{Code: pforte.InvalidCredentials, Message: "Das aktuelle Passwort ist falsch."}

// CheckPassword confirms that the signed-in member knows the account's
// current password before a sensitive action: invalid-credentials if not,
// counted toward the login throttle as a wrong password at login is.
func (s *Service) CheckPassword(ctx context.Context, accountID int64, pw string, client Client) (*pforte.Account, error) {
	a, err := s.DB.Q().AccountByID(ctx, accountID)
	if err != nil {
		return nil, err
	}
	// Counted before the check, as at the login (throttle.LoginAttempt).
	if err := s.Limits.LoginAttempt(ctx, a.Email); err != nil {
		return nil, err
	}
	ok, _, err := s.Hasher.Verify(ctx, pw, a.PasswordHash)
	if err != nil {
		return nil, err
	}
	if !ok {
		s.auditAlone(ctx, pforte.EventLoginFailed, a.ID, client, "wrong current password")
		return nil, wrongCurrent
	}
	s.Limits.LoginSucceeded(ctx, a.Email)
	return a, nil
}

// RequestEmailChange mails a link to newEmail that makes it the login
// address of a. If newEmail has an account already, its owner is told
// instead, and the answer is the same (nil): the form does not reveal who
// has an account.
func (s *Service) RequestEmailChange(ctx context.Context, a *pforte.Account, newEmail string, client Client) error {
	email, err := pforte.NormalizeEmail(newEmail)
	if err != nil {
		return err
	}
	if email == a.Email || !s.mailAllowed(ctx, email) {
		return nil
	}
	now := s.now()
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		// The password that allowed this (CheckPassword) must still be the
		// account's: a reset that committed meanwhile voids the request.
		if err := tx.HoldPassword(ctx, a.ID, a.PasswordHash); err != nil {
			return err
		}
		owner, err := tx.AccountByEmail(ctx, email)
		if err == nil {
			if _, err := tx.Enqueue(ctx, owner.ID, tx.MailIn(ctx, s.Mail, owner.ID).SecurityNotice(email, mail.NoticeEmailTaken, now), now); err != nil {
				return err
			}
			return audit(ctx, tx, now, pforte.EventEmailChangeAsked, a.ID, client, "address taken")
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		raw, hash := pforte.NewSecret()
		if err := tx.InsertEmailChange(ctx, store.EmailChange{Hash: hash, AccountID: a.ID, NewEmail: email,
			CreatedAt: now, ExpiresAt: now.Add(s.ConfirmTTL)}); err != nil {
			return err
		}
		if _, err := tx.Enqueue(ctx, a.ID, tx.MailIn(ctx, s.Mail, a.ID).EmailChange(email, s.link(EmailChangePath, raw), s.ConfirmTTL), now); err != nil {
			return err
		}
		// The present address hears of it at once, with what to do if it
		// was not the owner: a new password voids the change.
		if _, err := tx.Enqueue(ctx, a.ID, s.Mail.SecurityNotice(a.Email, mail.NoticeEmailChangeAsked, now), now); err != nil {
			return err
		}
		return audit(ctx, tx, now, pforte.EventEmailChangeAsked, a.ID, client, "")
	})
	if errors.Is(err, store.ErrCredentialChanged) {
		return wrongCurrent
	}
	if err == nil {
		s.wake()
	}
	return err
}

// PeekEmailChange checks a link to a new address without using it.
func (s *Service) PeekEmailChange(ctx context.Context, raw string) (*store.EmailChange, error) {
	if raw == "" || len(raw) > 100 {
		return nil, tokenInvalid
	}
	c, err := s.DB.Q().EmailChangeByHash(ctx, pforte.HashSecret(raw))
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!c.UsedAt.IsZero() || !c.ExpiresAt.After(s.now()))) {
		return nil, tokenInvalid
	}
	return c, err
}

// ConfirmEmailChange uses up the link and makes its address the login
// address; the old address is told. If the new address got an account in
// the meantime, the link is void.
func (s *Service) ConfirmEmailChange(ctx context.Context, raw string, client Client) (*pforte.Account, error) {
	if raw == "" || len(raw) > 100 {
		return nil, tokenInvalid
	}
	now := s.now()
	var a *pforte.Account
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		hash := pforte.HashSecret(raw)
		c, err := tx.EmailChangeByHash(ctx, hash)
		if errors.Is(err, store.ErrNotFound) {
			return tokenInvalid
		} else if err != nil {
			return err
		}
		if err := tx.UseEmailChange(ctx, hash, now); errors.Is(err, store.ErrNotFound) {
			return tokenInvalid
		} else if err != nil {
			return err
		}
		if a, err = tx.AccountByID(ctx, c.AccountID); err != nil {
			return err
		}
		if err := tx.SetEmail(ctx, a.ID, a.Email, c.NewEmail); errors.Is(err, store.ErrExists) {
			return tokenInvalid
		} else if err != nil {
			return err
		}
		// Links mailed to the old address stop working.
		for _, kind := range []pforte.TokenKind{pforte.ResetToken, pforte.ConfirmToken} {
			if err := tx.VoidTokens(ctx, a.ID, kind, now); err != nil {
				return err
			}
		}
		// The old address learns of it; the mail goes with no account, as
		// it is no longer the account's address.
		if _, err := tx.Enqueue(ctx, 0, tx.MailIn(ctx, s.Mail, a.ID).SecurityNotice(a.Email, mail.NoticeEmailChanged, now), now); err != nil {
			return err
		}
		a.Email = c.NewEmail
		return audit(ctx, tx, now, pforte.EventEmailChanged, a.ID, client, "")
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return a, nil
}

// DeleteOwn deletes the member's own account as a purge does: its
// sessions end, and a notice goes to its address (a mail with no account,
// so that it outlives it). The audit keeps the account's id only.
func (s *Service) DeleteOwn(ctx context.Context, a *pforte.Account, client Client) error {
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		// The account's row first (as everything that touches an account
		// takes it), and the password that allowed this must still be the
		// account's: after a reset the old one deletes nothing.
		if err := tx.HoldPassword(ctx, a.ID, a.PasswordHash); err != nil {
			return err
		}
		if _, err := tx.Enqueue(ctx, 0, tx.MailIn(ctx, s.Mail, a.ID).SecurityNotice(a.Email, mail.NoticeAccountDeleted, now), now); err != nil {
			return err
		}
		if _, err := tx.DeleteSessionsOf(ctx, a.ID, ""); err != nil {
			return err
		}
		return tx.DeleteAccount(ctx, a.ID, pforte.AuditEntry{At: now, Event: pforte.EventAccountDeleted, Detail: "vom Mitglied selbst"})
	})
	if errors.Is(err, store.ErrCredentialChanged) {
		return wrongCurrent
	}
	if err == nil {
		s.wake()
	}
	return err
}
