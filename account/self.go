package account

import (
	"context"
	"errors"
	"time"

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
	if err := s.Limits.LoginWait(ctx, a.Email); err != nil {
		return nil, err
	}
	ok, _, err := s.Hasher.Verify(ctx, pw, a.PasswordHash)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := s.Limits.LoginFailed(ctx, a.Email); err != nil {
			return nil, err
		}
		s.auditAlone(ctx, pforte.EventLoginFailed, a.ID, client, "wrong current password")
		return nil, wrongCurrent
	}
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
		owner, err := tx.AccountByEmail(ctx, email)
		if err == nil {
			if _, err := tx.Enqueue(ctx, owner.ID, s.Mail.SecurityNotice(email, mail.NoticeEmailTaken, now), now); err != nil {
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
		if _, err := tx.Enqueue(ctx, a.ID, s.Mail.EmailChange(email, s.link(EmailChangePath, raw), s.ConfirmTTL), now); err != nil {
			return err
		}
		return audit(ctx, tx, now, pforte.EventEmailChangeAsked, a.ID, client, "")
	})
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
		if _, err := tx.Enqueue(ctx, 0, s.Mail.SecurityNotice(a.Email, mail.NoticeEmailChanged, now), now); err != nil {
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
		if _, err := tx.Enqueue(ctx, 0, s.Mail.SecurityNotice(a.Email, mail.NoticeAccountDeleted, now), now); err != nil {
			return err
		}
		if _, err := tx.DeleteSessionsOf(ctx, a.ID, ""); err != nil {
			return err
		}
		return tx.DeleteAccount(ctx, a.ID, pforte.EventAccountDeleted, "vom Mitglied selbst", now)
	})
	if err == nil {
		s.wake()
	}
	return err
}

// DataExport is every piece of data Pforte keeps about an account (DSGVO
// Art. 15 and 20), as the member downloads it. Secrets are not in it: no
// password hash, no app secret, no recovery code, no token.
type DataExport struct {
	ExportedAt   time.Time         `json:"exported_at"`
	Account      ExportAccount     `json:"account"`
	SecondFactor ExportFactor      `json:"second_factor"`
	Passkeys     []ExportPasskey   `json:"passkeys"`
	Sessions     []ExportSession   `json:"sessions"`
	Businesses   []ExportBusiness  `json:"businesses"`
	EmailChange  *ExportChange     `json:"pending_email_change,omitempty"`
	Mails        []ExportMail      `json:"mails"`
	Audit        []ExportAuditLine `json:"audit_log"`
}

// The parts of DataExport.
type (
	ExportAccount struct {
		ID              int64      `json:"id"`
		Email           string     `json:"email"`
		CreatedAt       time.Time  `json:"created_at"`
		ConfirmedAt     *time.Time `json:"confirmed_at"`
		LastLoginAt     *time.Time `json:"last_login_at"`
		PasswordSetAt   *time.Time `json:"password_set_at"`
		PasswordExpired bool       `json:"password_expired"`
	}
	ExportFactor struct {
		AppEnabledAt        *time.Time `json:"authenticator_app_enabled_at"`
		RecoveryCodesUnused int        `json:"recovery_codes_unused"`
		SecretsNotInExport  string     `json:"note"`
	}
	ExportPasskey struct {
		Name       string     `json:"name"`
		CreatedAt  time.Time  `json:"created_at"`
		LastUsedAt *time.Time `json:"last_used_at"`
	}
	ExportSession struct {
		StartedAt    time.Time `json:"started_at"`
		LastActiveAt time.Time `json:"last_active_at"`
		Client       string    `json:"client_address"`
		Browser      string    `json:"user_agent"`
		Methods      []string  `json:"methods"`
	}
	ExportBusiness struct {
		Number string `json:"number"`
		Name   string `json:"name"`
	}
	ExportChange struct {
		NewEmail  string    `json:"new_email"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	ExportMail struct {
		Subject   string     `json:"subject"`
		To        string     `json:"to"`
		CreatedAt time.Time  `json:"created_at"`
		SentAt    *time.Time `json:"sent_at"`
	}
	ExportAuditLine struct {
		At     time.Time `json:"at"`
		Event  string    `json:"event"`
		Client string    `json:"client_address"`
		Detail string    `json:"detail,omitempty"`
	}
)

func when(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Export gathers the data of account a, and audits that it was taken.
func (s *Service) Export(ctx context.Context, accountID int64, client Client) (*DataExport, error) {
	q := s.DB.Q()
	now := s.now()
	a, err := q.AccountByID(ctx, accountID)
	if err != nil {
		return nil, err
	}
	x := &DataExport{ExportedAt: now, Account: ExportAccount{ID: a.ID, Email: a.Email, CreatedAt: a.CreatedAt,
		ConfirmedAt: when(a.ConfirmedAt), LastLoginAt: when(a.LastLoginAt), PasswordSetAt: when(a.PasswordSetAt),
		PasswordExpired: a.PasswordExpired()},
		Passkeys: []ExportPasskey{}, Sessions: []ExportSession{}, Businesses: []ExportBusiness{}, Mails: []ExportMail{}, Audit: []ExportAuditLine{}}
	x.SecondFactor.SecretsNotInExport = "Passwort, App-Schlüssel und Wiederherstellungscodes speichern wir nur verschlüsselt oder als Hash; sie sind aus Sicherheitsgründen nicht Teil dieser Auskunft."
	if t, err := q.TOTPOf(ctx, a.ID); err == nil && t.Enabled() {
		x.SecondFactor.AppEnabledAt = when(t.EnabledAt)
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if x.SecondFactor.RecoveryCodesUnused, err = q.UnusedRecoveryCodes(ctx, a.ID); err != nil {
		return nil, err
	}
	keys, err := q.PasskeysOf(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		x.Passkeys = append(x.Passkeys, ExportPasskey{Name: k.Name, CreatedAt: k.CreatedAt, LastUsedAt: when(k.LastUsedAt)})
	}
	sessions, err := q.SessionsOf(ctx, a.ID, now)
	if err != nil {
		return nil, err
	}
	for _, st := range sessions {
		x.Sessions = append(x.Sessions, ExportSession{StartedAt: st.CreatedAt, LastActiveAt: st.LastSeenAt,
			Client: st.Client, Browser: st.UserAgent, Methods: st.AMR()})
	}
	bs, err := q.LinkedBusinesses(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		x.Businesses = append(x.Businesses, ExportBusiness{Number: b.Number, Name: b.Name})
	}
	if c, err := q.OpenEmailChange(ctx, a.ID, now); err == nil {
		x.EmailChange = &ExportChange{NewEmail: c.NewEmail, ExpiresAt: c.ExpiresAt}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	mails, err := q.MailsOf(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	for _, m := range mails {
		x.Mails = append(x.Mails, ExportMail{Subject: m.Subject, To: m.To, CreatedAt: m.CreatedAt, SentAt: when(m.SentAt)})
	}
	lines, err := q.AuditLog(ctx, store.AuditFilter{AccountID: a.ID})
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		x.Audit = append(x.Audit, ExportAuditLine{At: l.At, Event: string(l.Event), Client: l.Client, Detail: l.Detail})
	}
	s.auditAlone(ctx, pforte.EventDataExported, a.ID, client, "")
	return x, nil
}
