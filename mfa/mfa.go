// Package mfa is the second way to prove who you are, beside the password:
// codes of an authenticator app (TOTP, RFC 6238), one-time recovery codes
// and passkeys (WebAuthn). It holds the rules — a code works once, wrong
// codes count toward the login throttle, every change is audited and told
// to the owner by mail —; the store keeps the data, sealed where it is a
// secret, and the web package speaks HTTP.
package mfa

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"pforte"
	"pforte/keyring"
	"pforte/mail"
	"pforte/store"
	"pforte/throttle"
)

// Service runs the second factor. All fields are required but Now,
// CodeClock, Log, WakeMail and WebAuthn (nil: passkeys are unavailable).
type Service struct {
	DB     *store.DB
	Keys   *keyring.Keyring
	Mail   mail.Composer
	Limits *throttle.Limiter
	// Issuer names the portal in the authenticator app.
	Issuer   string
	WebAuthn *webauthn.WebAuthn
	WakeMail func()
	Now      func() time.Time
	// CodeClock is the time the app's codes are read at (tests step it
	// a period on); nil means Now.
	CodeClock func() time.Time
	Log       *slog.Logger
}

// keyPurpose binds sealed TOTP secrets to their column (keyring).
const keyPurpose = "totp"

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) codeTime() time.Time {
	if s.CodeClock != nil {
		return s.CodeClock()
	}
	return s.now()
}

func (s *Service) wake() {
	if s.WakeMail != nil {
		s.WakeMail()
	}
}

func (s *Service) logError(what string, err error) {
	if s.Log != nil {
		s.Log.Error(what, "err", err)
	}
}

// Enabled reports whether the account has a second factor: the app's
// codes or a passkey.
func (s *Service) Enabled(ctx context.Context, accountID int64) (bool, error) {
	return s.DB.Q().HasSecondFactor(ctx, accountID)
}

// CountEnabled counts the accounts that have a second factor.
func (s *Service) CountEnabled(ctx context.Context) (int, error) {
	return s.DB.Q().CountSecondFactor(ctx)
}

// ResetByStaff removes the account's app secret, recovery codes and
// passkeys in one transaction, for a member who lost them all: audited
// with the acting staff account and the reason, and told to the member.
func (s *Service) ResetByStaff(ctx context.Context, accountID, staffID int64, reason, client string) error {
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		a, err := tx.AccountByID(ctx, accountID)
		if err != nil {
			return err
		}
		if _, err := tx.DeleteTOTP(ctx, a.ID); err != nil {
			return err
		}
		if err := tx.DeleteRecoveryCodes(ctx, a.ID); err != nil {
			return err
		}
		if _, err := tx.DeletePasskeysOf(ctx, a.ID); err != nil {
			return err
		}
		return notify(ctx, tx, s.Mail, a, mail.NoticeSecondFactorReset, pforte.EventSecondFactorReset,
			client, fmt.Sprintf("staff %d: %s", staffID, reason), now)
	})
	if err == nil {
		s.wake()
	}
	return err
}

// notify audits ev and queues the notice n to the owner of a, in tx.
func notify(ctx context.Context, tx *store.Tx, c mail.Composer, a *pforte.Account, n mail.Notice, ev pforte.Event, client, detail string, now time.Time) error {
	if err := tx.Audit(ctx, pforte.AuditEntry{At: now, Event: ev, AccountID: a.ID, Client: client, Detail: detail}); err != nil {
		return err
	}
	_, err := tx.Enqueue(ctx, a.ID, c.SecurityNotice(a.Email, n, now), now)
	return err
}

// audit writes an entry on its own (events that change nothing else); a
// failure is logged.
func (s *Service) audit(ctx context.Context, ev pforte.Event, accountID int64, client, detail string) {
	if err := s.DB.Q().Audit(ctx, pforte.AuditEntry{At: s.now(), Event: ev, AccountID: accountID, Client: client, Detail: detail}); err != nil {
		s.logError("audit", err)
	}
}

// Reseal moves every app-code secret to the operator's current key in
// tx (after a change of PFORTE_SECRET_KEY), and returns how many moved.
func (s *Service) Reseal(ctx context.Context, tx *store.Tx) (int, error) {
	return tx.ResealTOTP(ctx, func(v string) (string, bool, error) { return s.Keys.Reseal(v, keyPurpose) })
}
