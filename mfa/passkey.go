package mfa

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"pforte"
	"pforte/mail"
	"pforte/store"
	"pforte/throttle"
)

// NewWebAuthn configures passkeys for the portal at base: the relying
// party is base's host, the only allowed origin base's origin. WebAuthn
// allows no IP address there: for such a base it returns nil (passkeys
// unavailable) and no error.
func NewWebAuthn(base *url.URL, name string) (*webauthn.WebAuthn, error) {
	host := base.Hostname()
	if net.ParseIP(host) != nil {
		return nil, nil
	}
	return webauthn.New(&webauthn.Config{RPID: host, RPDisplayName: name,
		RPOrigins: []string{base.Scheme + "://" + base.Host}})
}

// The answers of the passkey ceremonies. Malformed input is bad-request;
// a well-formed credential that does not verify (another origin or relying
// party, an unknown or removed passkey, a used challenge) is mfa-invalid.
var (
	passkeyMalformed = &pforte.Error{Code: pforte.BadRequest,
		Message: "Die Antwort des Passkeys war fehlerhaft. Bitte laden Sie die Seite neu und versuchen Sie es erneut."}
	passkeyInvalid = &pforte.Error{Code: pforte.MFAInvalid,
		Message: "Der Passkey wurde nicht anerkannt. Ist er vielleicht aus Ihrem Konto entfernt worden? Melden Sie sich mit Passwort an und prüfen Sie unter „Sicherheit“ Ihre Passkeys."}
	passkeysOff = &pforte.Error{Code: pforte.NotFound,
		Message: "Passkeys sind mit der Adresse dieses Portals nicht verfügbar."}
)

// Ceremonies wait this long for the authenticator.
const ceremonyTTL = 5 * time.Minute

const (
	kindPasskeyRegister = "passkey-register"
	kindPasskeyLogin    = "passkey-login"
)

// member is an account as the WebAuthn library sees it. The user handle
// is the account id: stable, and no personal data on the authenticator.
type member struct {
	a     *pforte.Account
	creds []webauthn.Credential
}

func (m member) WebAuthnID() []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(m.a.ID))
}
func (m member) WebAuthnName() string                       { return m.a.Email }
func (m member) WebAuthnDisplayName() string                { return m.a.Email }
func (m member) WebAuthnCredentials() []webauthn.Credential { return m.creds }

// memberOf loads the account's passkeys for the library.
func (s *Service) memberOf(ctx context.Context, a *pforte.Account) (member, []store.Passkey, error) {
	keys, err := s.DB.Q().PasskeysOf(ctx, a.ID)
	if err != nil {
		return member{}, nil, err
	}
	m := member{a: a}
	for _, k := range keys {
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(k.Credential), &c); err != nil {
			return member{}, nil, err
		}
		m.creds = append(m.creds, c)
	}
	return m, keys, nil
}

// beginCeremony keeps the library's session data of a ceremony for
// ceremonyTTL behind a fresh secret for the cookie.
func (s *Service) beginCeremony(ctx context.Context, kind string, accountID int64, next string, sd *webauthn.SessionData) (string, error) {
	data, err := json.Marshal(sd)
	if err != nil {
		return "", err
	}
	raw, hash := pforte.NewSecret()
	now := s.now()
	err = s.DB.Q().InsertPending(ctx, store.Pending{Hash: hash, Kind: kind, AccountID: accountID, Next: next,
		Data: string(data), CreatedAt: now, ExpiresAt: now.Add(ceremonyTTL)})
	return raw, err
}

// takeCeremony ends a ceremony and returns it: each challenge is used once.
func (s *Service) takeCeremony(ctx context.Context, kind, raw string) (*store.Pending, webauthn.SessionData, error) {
	var sd webauthn.SessionData
	if raw == "" || len(raw) > 100 {
		return nil, sd, passkeyInvalid
	}
	hash := pforte.HashSecret(raw)
	p, err := s.DB.Q().PendingByHash(ctx, kind, hash, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, sd, passkeyInvalid
	} else if err != nil {
		return nil, sd, err
	}
	if err := s.DB.Q().DeletePending(ctx, hash); errors.Is(err, store.ErrNotFound) {
		return nil, sd, passkeyInvalid
	} else if err != nil {
		return nil, sd, err
	}
	if err := json.Unmarshal([]byte(p.Data), &sd); err != nil {
		return nil, sd, err
	}
	return p, sd, nil
}

// BeginPasskey starts adding a passkey to the signed-in account: the
// creation options for the browser (a discoverable credential, user
// verification preferred, the account's passkeys excluded) and the secret
// for the ceremony's cookie.
func (s *Service) BeginPasskey(ctx context.Context, a *pforte.Account) (*protocol.CredentialCreation, string, error) {
	if s.WebAuthn == nil {
		return nil, "", passkeysOff
	}
	m, _, err := s.memberOf(ctx, a)
	if err != nil {
		return nil, "", err
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range m.creds {
		exclude = append(exclude, c.Descriptor())
	}
	opts, sd, err := s.WebAuthn.BeginRegistration(m,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationPreferred}),
		webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, "", err
	}
	raw, err := s.beginCeremony(ctx, kindPasskeyRegister, a.ID, "", sd)
	return opts, raw, err
}

// passkeySessionGone answers a new passkey whose session ended before it
// was stored (a reset or a logout in between): nothing is stored.
var passkeySessionGone = &pforte.Error{Code: pforte.SessionExpired,
	Message: "Ihre Sitzung wurde beendet, bevor der Passkey gespeichert war. Bitte melden Sie sich erneut an."}

// FinishPasskey verifies the new credential body (the browser's JSON) of
// the ceremony raw and stores it, whole, under name, if the session with
// the hash sessionHash that asked for it is still alive then: a reset
// that ends it first leaves no new passkey behind.
func (s *Service) FinishPasskey(ctx context.Context, a *pforte.Account, sessionHash, raw string, body []byte, name, client string) error {
	if s.WebAuthn == nil {
		return passkeysOff
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return passkeyMalformed
	}
	p, sd, err := s.takeCeremony(ctx, kindPasskeyRegister, raw)
	if err != nil {
		return err
	}
	if p.AccountID != a.ID {
		return passkeyInvalid
	}
	m, _, err := s.memberOf(ctx, a)
	if err != nil {
		return err
	}
	cred, err := s.WebAuthn.CreateCredential(m, sd, parsed)
	if err != nil {
		s.audit(ctx, pforte.EventSecondFactorFailed, a.ID, client, "passkey registration refused")
		return passkeyInvalid
	}
	data, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.HoldSession(ctx, a.ID, sessionHash); errors.Is(err, store.ErrNotFound) {
			return passkeySessionGone
		} else if err != nil {
			return err
		}
		k := &store.Passkey{AccountID: a.ID, CredentialID: base64.RawURLEncoding.EncodeToString(cred.ID),
			Credential: string(data), Name: name, CreatedAt: now}
		if err := tx.InsertPasskey(ctx, k); errors.Is(err, store.ErrExists) {
			return passkeyInvalid
		} else if err != nil {
			return err
		}
		return notify(ctx, tx, s.Mail, a, mail.NoticePasskeyAdded, pforte.EventPasskeyAdded, client, name, now)
	})
	if err == nil {
		s.wake()
	}
	return err
}

// ClientPasskeyLogins bounds the passkey logins one client address may
// begin (each keeps a challenge for a few minutes); generous, as an
// office behind one NAT address shares it.
var ClientPasskeyLogins = throttle.Limit{Max: 300, Window: 15 * time.Minute}

// BeginPasskeyLogin starts a login with a passkey, without an address
// (discoverable: no allowCredentials); next is where the login goes on to.
func (s *Service) BeginPasskeyLogin(ctx context.Context, next, client string) (*protocol.CredentialAssertion, string, error) {
	if s.WebAuthn == nil {
		return nil, "", passkeysOff
	}
	if err := s.Limits.Client(ctx, "passkey", client, ClientPasskeyLogins); err != nil {
		return nil, "", err
	}
	opts, sd, err := s.WebAuthn.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, "", err
	}
	raw, err := s.beginCeremony(ctx, kindPasskeyLogin, 0, next, sd)
	return opts, raw, err
}

// PasskeyRefused is err for the member: a passkey sign-in whose passkey
// went (a reset removed it) before its session opened
// (store.ErrCredentialChanged) is answered as an unknown passkey.
func PasskeyRefused(err error) error {
	if errors.Is(err, store.ErrCredentialChanged) {
		return passkeyInvalid
	}
	return err
}

// FinishPasskeyLogin verifies the assertion body of the ceremony raw and
// returns the account it signs in, next and the passkey (for the
// session: session.Login.Passkey). The stored credential takes
// the new sign count and flags; a sign count that did not grow means the
// passkey may have been copied: the login is refused and audited.
func (s *Service) FinishPasskeyLogin(ctx context.Context, raw string, body []byte, client string) (*pforte.Account, string, int64, error) {
	if s.WebAuthn == nil {
		return nil, "", 0, passkeysOff
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return nil, "", 0, passkeyMalformed
	}
	p, sd, err := s.takeCeremony(ctx, kindPasskeyLogin, raw)
	if err != nil {
		return nil, "", 0, err
	}
	var found *store.Passkey
	var owner *pforte.Account
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		k, err := s.DB.Q().PasskeyByCredentialID(ctx, base64.RawURLEncoding.EncodeToString(rawID))
		if err != nil {
			return nil, err
		}
		a, err := s.DB.Q().AccountByID(ctx, k.AccountID)
		if err != nil {
			return nil, err
		}
		m, _, err := s.memberOf(ctx, a)
		if err != nil {
			return nil, err
		}
		found, owner = k, a
		return m, nil
	}
	_, cred, err := s.WebAuthn.ValidatePasskeyLogin(handler, sd, parsed)
	if err != nil {
		var id int64
		if owner != nil {
			id = owner.ID
		}
		s.audit(ctx, pforte.EventSecondFactorFailed, id, client, "passkey")
		return nil, "", 0, passkeyInvalid
	}
	if cred.Authenticator.CloneWarning {
		s.audit(ctx, pforte.EventPasskeyCloneWarn, owner.ID, client, found.Name)
		if s.Log != nil {
			s.Log.Warn("passkey sign count did not grow: copied authenticator?", "account", owner.ID, "passkey", found.ID)
		}
		return nil, "", 0, passkeyInvalid
	}
	data, err := json.Marshal(cred)
	if err != nil {
		return nil, "", 0, err
	}
	now := s.now()
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		// The account's row before the passkey's, as a reset takes them.
		if err := tx.RecordLogin(ctx, owner.ID, now); err != nil {
			return err
		}
		if err := tx.UsePasskey(ctx, found.ID, string(data), now); err != nil {
			return err
		}
		return tx.Audit(ctx, pforte.AuditEntry{At: now, Event: pforte.EventPasskeyLogin, AccountID: owner.ID, Client: client})
	})
	if err != nil {
		return nil, "", 0, err
	}
	return owner, p.Next, found.ID, nil
}

// RemovePasskey removes one passkey of the account.
func (s *Service) RemovePasskey(ctx context.Context, a *pforte.Account, id int64, client string) error {
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.DeletePasskey(ctx, a.ID, id); errors.Is(err, store.ErrNotFound) {
			return pforte.Errorf(pforte.NotFound, "Diesen Passkey gibt es in Ihrem Konto nicht (mehr).")
		} else if err != nil {
			return err
		}
		return notify(ctx, tx, s.Mail, a, mail.NoticePasskeyRemoved, pforte.EventPasskeyRemoved, client, "", now)
	})
	if err == nil {
		s.wake()
	}
	return err
}

// Passkeys lists the account's passkeys.
func (s *Service) Passkeys(ctx context.Context, accountID int64) ([]store.Passkey, error) {
	return s.DB.Q().PasskeysOf(ctx, accountID)
}
