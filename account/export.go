package account

import (
	"context"
	"errors"
	"time"

	"pforte"
	"pforte/store"
)

// DataExport is every piece of data Pforte keeps about an account (DSGVO
// Art. 15 and 20), as the member downloads it. Secrets are not in it: no
// password hash, no app secret, no recovery code, no token.
type DataExport struct {
	ExportedAt   time.Time        `json:"exported_at"`
	Account      ExportAccount    `json:"account"`
	SecondFactor ExportFactor     `json:"second_factor"`
	Passkeys     []ExportPasskey  `json:"passkeys"`
	Sessions     []ExportSession  `json:"sessions"`
	Businesses   []ExportBusiness `json:"businesses"`
	PINRequests  []ExportPIN      `json:"pin_requests"`
	// ServicesSubject is the identifier the chamber's services know the
	// account by (OpenID Connect sub), "" if none has had it yet.
	ServicesSubject string            `json:"services_subject,omitempty"`
	Services        []ExportService   `json:"services_signed_in"`
	EmailChange     *ExportChange     `json:"pending_email_change,omitempty"`
	Mails           []ExportMail      `json:"mails"`
	Audit           []ExportAuditLine `json:"audit_log"`
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
	ExportPIN struct {
		Business    string     `json:"business_number"`
		RequestedAt time.Time  `json:"requested_at"`
		LetterSent  *time.Time `json:"letter_sent_at"`
	}
	ExportService struct {
		ID    string    `json:"id"`
		Name  string    `json:"name"`
		Since time.Time `json:"since"`
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
		At    time.Time `json:"at"`
		Event string    `json:"event"`
		// EventText is Event in words, in the member's language (filled
		// by the web layer, which knows the words).
		EventText string `json:"event_text,omitempty"`
		Client    string `json:"client_address"`
		Detail    string `json:"detail,omitempty"`
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
		Passkeys: []ExportPasskey{}, Sessions: []ExportSession{}, Businesses: []ExportBusiness{}, PINRequests: []ExportPIN{}, Services: []ExportService{}, Mails: []ExportMail{}, Audit: []ExportAuditLine{}}
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
	pins, err := q.AccountPINRequests(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	for _, p := range pins {
		x.PINRequests = append(x.PINRequests, ExportPIN{Business: p.Business.Number, RequestedAt: p.RequestedAt, LetterSent: when(p.SentAt)})
	}
	if x.ServicesSubject, err = q.OIDCSubjectOf(ctx, a.ID); err != nil {
		return nil, err
	}
	services, err := q.SignedInServices(ctx, a.ID, now)
	if err != nil {
		return nil, err
	}
	for _, sv := range services {
		x.Services = append(x.Services, ExportService{ID: sv.ClientID, Name: sv.Name, Since: sv.Since})
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
