// Package account is what a member does with a login: register and confirm
// the address, sign in, forget and reset the password, change it. It holds
// the rules of these flows; the store keeps the data, the web package
// speaks HTTP, and mails go through the outbox in the same transaction as
// the change that causes them.
package account

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"pforte"
	"pforte/locale"
	"pforte/mail"
	"pforte/password"
	"pforte/policy"
	"pforte/store"
	"pforte/throttle"
)

// Service runs the account flows. All fields are required but Now and Log.
type Service struct {
	DB         *store.DB
	Hasher     *password.Hasher
	Policy     policy.Policy
	Mail       mail.Composer
	Limits     *throttle.Limiter
	ConfirmTTL time.Duration
	ResetTTL   time.Duration
	// WakeMail nudges the mail worker after a mail was queued.
	WakeMail func()
	// CountLogin counts login outcomes for the metrics; may be nil.
	CountLogin func(outcome string)
	Now        func() time.Time
	Log        *slog.Logger

	legacyMu        sync.Mutex
	legacyMax       int
	legacyCheckedAt time.Time
}

// Paths of the mailed links, relative to the base URL.
const (
	ConfirmPath = "/registrieren/bestaetigen"
	ResetPath   = "/passwort-neu"
	ForgotPath  = "/passwort-vergessen"
	LoginPath   = "/anmelden"
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) wake() {
	if s.WakeMail != nil {
		s.WakeMail()
	}
}

// Client is who asks: the client address, for limits and the audit log.
type Client = string

// PolicyError is the error for broken password rules.
// A typo in the repetition alone is not a policy failure and is said so.
func PolicyError(rules []string) *pforte.Error {
	msg := "Das Passwort erfüllt noch nicht alle Regeln."
	if len(rules) == 1 && rules[0] == policy.RuleRepeat {
		msg = "Die beiden Eingaben des Passworts stimmen nicht überein. Bitte geben Sie das Passwort zweimal gleich ein."
	}
	return &pforte.Error{Code: pforte.Policy, Rules: rules, Message: msg}
}

// checkNew judges a new password for the account with address email:
// the policy, the repetition (if the form has one) and, against the hashes
// of the current and the previous password, re-use.
func (s *Service) checkNew(ctx context.Context, pw, repeat string, hasRepeat bool, email string, old ...string) error {
	rules := s.Policy.Check(pw, email)
	if hasRepeat && pw != repeat {
		rules = append(rules, policy.RuleRepeat)
	}
	for _, h := range old {
		if h == "" {
			continue
		}
		ok, _, err := s.Hasher.Verify(ctx, pw, h)
		if err != nil {
			return err
		}
		if ok {
			rules = append(rules, "reused")
			break
		}
	}
	if len(rules) > 0 {
		return PolicyError(rules)
	}
	return nil
}

// audit appends an audit entry within tx (or on its own with db.Q()).
func audit(ctx context.Context, tx *store.Tx, at time.Time, ev pforte.Event, accountID int64, client, detail string) error {
	return tx.Audit(ctx, pforte.AuditEntry{At: at, Event: ev, AccountID: accountID, Client: client, Detail: detail})
}

func (s *Service) link(path, token string) string {
	return s.Mail.BaseURL + path + "?token=" + token
}

// mailAllowed tells whether another mail may go to email through the
// public forms now; silently false when its limit is reached, so that the
// answer looks the same either way.
func (s *Service) mailAllowed(ctx context.Context, email string) bool {
	err := s.Limits.Allow(ctx, "mail:"+email, throttle.AccountMail)
	if err != nil && pforte.ErrorCode(err) != pforte.Throttled {
		s.logError("mail limit", err)
	}
	return err == nil
}

func (s *Service) logError(what string, err error) {
	if s.Log != nil {
		s.Log.Error(what, "err", err)
	}
}

// Register creates an account for email with password pw and mails a
// confirmation link. An address that has an account gets the same answer
// (nil) and a mail saying so. repeat is checked when hasRepeat.
func (s *Service) Register(ctx context.Context, email, pw, repeat string, hasRepeat bool, client Client) error {
	email, err := pforte.NormalizeEmail(email)
	if err != nil {
		return err
	}
	if err := s.checkNew(ctx, pw, repeat, hasRepeat, email); err != nil {
		return err
	}
	if err := s.Limits.Client(ctx, "register", client, throttle.ClientRegister); err != nil {
		return err
	}
	// Hash before looking: a taken address costs the same time.
	hash, err := s.Hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	now := s.now()
	allowed := s.mailAllowed(ctx, email)
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		a := &pforte.Account{Email: email, PasswordHash: hash, PasswordSetAt: now, CreatedAt: now}
		err := tx.CreateAccount(ctx, a)
		if err == nil {
			// The new account's mails speak the language of its registration.
			err = tx.SetLanguage(ctx, a.ID, string(locale.From(ctx)))
		}
		if errors.Is(err, store.ErrExists) {
			existing, err := tx.AccountByEmail(ctx, email)
			if err != nil {
				return err
			}
			if !allowed {
				return audit(ctx, tx, now, pforte.EventThrottled, existing.ID, client, "register mail")
			}
			if !existing.Confirmed() {
				// Not yet confirmed: whoever confirms the new link gets the
				// password of this registration, and only this one. The
				// older links, which were sent for another password, die.
				// (Links first, then the account: the order Confirm locks
				// them in, so the two never wait for each other.)
				if err := tx.VoidTokens(ctx, existing.ID, pforte.ConfirmToken, now); err != nil {
					return err
				}
				err := tx.ReplaceUnconfirmedPassword(ctx, existing.ID, hash, now)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				if errors.Is(err, store.ErrNotFound) {
					// Confirmed meanwhile, or an imported or expired password
					// that only a reset replaces: its owner confirms with the
					// link, keeping that password.
					if existing, err = tx.AccountByID(ctx, existing.ID); err != nil {
						return err
					}
				}
			}
			if !existing.Confirmed() {
				if err := s.queueConfirmation(ctx, tx, existing, now); err != nil {
					return err
				}
			} else if _, err := tx.Enqueue(ctx, existing.ID, tx.MailIn(ctx, s.Mail, existing.ID).AlreadyRegistered(email, s.Mail.BaseURL+ForgotPath), now); err != nil {
				return err
			}
			return audit(ctx, tx, now, pforte.EventRegisterExisting, existing.ID, client, "")
		}
		if err != nil {
			return err
		}
		if err := s.queueConfirmation(ctx, tx, a, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, pforte.EventRegistered, a.ID, client, "")
	})
	if err == nil {
		s.wake()
	}
	return err
}

// queueConfirmation voids older confirmation links of a and queues a mail
// with a new one.
func (s *Service) queueConfirmation(ctx context.Context, tx *store.Tx, a *pforte.Account, now time.Time) error {
	return s.writeConfirmation(ctx, tx, a.ID, s.confirmation(tx.MailIn(ctx, s.Mail, a.ID), a.Email), now)
}

// confirmationMail is a new confirmation link for an address: the hash to
// store and the mail that carries it.
type confirmationMail struct {
	hash string
	mail mail.Message
}

func (s *Service) confirmation(c mail.Composer, email string) confirmationMail {
	raw, hash := pforte.NewSecret()
	return confirmationMail{hash: hash, mail: c.Confirmation(email, s.link(ConfirmPath, raw), s.ConfirmTTL)}
}

// writeConfirmation voids the open confirmation links of the account and
// stores and queues c.
func (s *Service) writeConfirmation(ctx context.Context, tx *store.Tx, accountID int64, c confirmationMail, now time.Time) error {
	if err := tx.VoidTokens(ctx, accountID, pforte.ConfirmToken, now); err != nil {
		return err
	}
	if err := tx.InsertToken(ctx, store.Token{Hash: c.hash, Kind: pforte.ConfirmToken, AccountID: accountID,
		CreatedAt: now, ExpiresAt: now.Add(s.ConfirmTTL)}); err != nil {
		return err
	}
	_, err := tx.Enqueue(ctx, accountID, c.mail, now)
	return err
}

// ResendConfirmation mails a new confirmation link if email has an
// unconfirmed account; the answer is the same in every case, and so is
// the work: every address counts against its mail limit, gets a link and
// a mail made, and one transaction with an audit entry, so that the time
// of the answer does not tell which addresses wait for confirmation.
func (s *Service) ResendConfirmation(ctx context.Context, email string, client Client) error {
	email, err := pforte.NormalizeEmail(email)
	if err != nil {
		return err
	}
	if err := s.Limits.Client(ctx, "register", client, throttle.ClientRegister); err != nil {
		return err
	}
	a, err := s.DB.Q().AccountByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	allowed := s.mailAllowed(ctx, email)
	// In the language of the page asking for it: the person there waits for it.
	c := s.confirmation(s.Mail.In(string(locale.From(ctx))), email)
	now := s.now()
	sent := false
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		switch {
		case a == nil:
			// Voids nothing (no account has id 0), as the statement for a
			// real account costs.
			if err := tx.VoidTokens(ctx, 0, pforte.ConfirmToken, now); err != nil {
				return err
			}
			return audit(ctx, tx, now, pforte.EventConfirmResent, 0, client, "unknown address")
		case a.Confirmed():
			if err := tx.VoidTokens(ctx, a.ID, pforte.ConfirmToken, now); err != nil {
				return err
			}
			return audit(ctx, tx, now, pforte.EventConfirmResent, a.ID, client, "already confirmed")
		case !allowed:
			return audit(ctx, tx, now, pforte.EventThrottled, a.ID, client, "confirm mail")
		}
		if err := s.writeConfirmation(ctx, tx, a.ID, c, now); err != nil {
			return err
		}
		sent = true
		return audit(ctx, tx, now, pforte.EventConfirmResent, a.ID, client, "")
	})
	if sent {
		s.wake()
	}
	return err
}

// tokenInvalid is the one answer for an unknown, expired or used link.
var tokenInvalid = &pforte.Error{Code: pforte.TokenInvalid,
	Message: "Dieser Link ist ungültig, abgelaufen oder wurde bereits verwendet."}

// PeekToken checks a link without using it up (for the GET that shows the
// form): the account it belongs to, or token-invalid.
func (s *Service) PeekToken(ctx context.Context, kind pforte.TokenKind, raw string) (*pforte.Account, error) {
	if !pforte.ValidSecret(raw) {
		return nil, tokenInvalid
	}
	t, err := s.DB.Q().TokenByHash(ctx, kind, pforte.HashSecret(raw))
	if errors.Is(err, store.ErrNotFound) {
		return nil, tokenInvalid
	}
	if err != nil {
		return nil, err
	}
	if !t.UsedAt.IsZero() || !t.ExpiresAt.After(s.now()) {
		return nil, tokenInvalid
	}
	return s.DB.Q().AccountByID(ctx, t.AccountID)
}

// useToken uses up a link in tx and returns its account.
func useToken(ctx context.Context, tx *store.Tx, kind pforte.TokenKind, raw string, now time.Time) (*pforte.Account, error) {
	if !pforte.ValidSecret(raw) {
		return nil, tokenInvalid
	}
	hash := pforte.HashSecret(raw)
	t, err := tx.TokenByHash(ctx, kind, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, tokenInvalid
	}
	if err != nil {
		return nil, err
	}
	if err := tx.UseToken(ctx, t.Hash, now); errors.Is(err, store.ErrNotFound) {
		return nil, tokenInvalid
	} else if err != nil {
		return nil, err
	}
	return tx.AccountByID(ctx, t.AccountID)
}

// Confirm uses up a confirmation link and confirms the address.
func (s *Service) Confirm(ctx context.Context, raw string, client Client) (*pforte.Account, error) {
	now := s.now()
	var a *pforte.Account
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = useToken(ctx, tx, pforte.ConfirmToken, raw, now); err != nil {
			return err
		}
		if err := tx.ConfirmAccount(ctx, a.ID, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, pforte.EventConfirmed, a.ID, client, "")
	})
	return a, err
}
