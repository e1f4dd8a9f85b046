package mfa

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"pforte"
	"pforte/mail"
	"pforte/store"
)

// The app's codes: RFC 6238 with SHA-1, 6 digits, 30 seconds, as every
// authenticator app reads them; one period of clock skew either way.
const (
	period = 30
	skew   = 1
)

var codeOpts = totp.ValidateOpts{Period: period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// The answers for a wrong code. Status 401 at the login step, 422 when the
// factor is turned on or off (the web package sets the status).
var (
	codeInvalid = &pforte.Error{Code: pforte.MFAInvalid,
		Message: "Der Code ist falsch oder wurde schon verwendet. Bitte geben Sie den Code ein, den Ihre App gerade anzeigt, oder einen Wiederherstellungscode."}
	// setupCodeInvalid is the answer while setting the app up: there are
	// no recovery codes yet, so it names none.
	setupCodeInvalid = &pforte.Error{Code: pforte.MFAInvalid,
		Message: "Der Code passt nicht. Bitte geben Sie den sechsstelligen Code ein, den die App gerade für dieses Konto anzeigt; stimmt er trotzdem nicht, stellen Sie die Uhr Ihres Telefons auf automatisch."}
	enrolmentGone = &pforte.Error{Code: pforte.MFAInvalid,
		Message: "Die Einrichtung ist nicht mehr gültig. Bitte laden Sie die Seite neu und scannen Sie den neuen QR-Code."}
)

// Enrolment is a new secret as the member sees it while setting up the app.
type Enrolment struct {
	Secret string // base32, as the app takes it typed in
	URL    string // otpauth:// URL, the QR code's content
	QR     []byte // the QR code as PNG
}

// Grouped is the secret in groups of four, easier to type.
func (e Enrolment) Grouped() string {
	var b strings.Builder
	for i, r := range e.Secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// BeginTOTP makes a new secret for the account and keeps it, sealed,
// until a code from the app confirms it (EnableTOTP). An enabled secret
// stays in force until then.
func (s *Service) BeginTOTP(ctx context.Context, a *pforte.Account) (Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.Issuer, AccountName: a.Email, SecretSize: 20})
	if err != nil {
		return Enrolment{}, err
	}
	sealed, err := s.Keys.Seal([]byte(key.Secret()), keyPurpose)
	if err != nil {
		return Enrolment{}, err
	}
	if err := s.DB.Q().SetPendingTOTP(ctx, a.ID, sealed); err != nil {
		return Enrolment{}, err
	}
	return enrolment(key)
}

// PendingTOTP is the enrolment in progress (the secret the app has
// scanned already), for showing the form again after a mistake; ok is
// false when there is none.
func (s *Service) PendingTOTP(ctx context.Context, a *pforte.Account) (e Enrolment, ok bool, err error) {
	t, err := s.DB.Q().TOTPOf(ctx, a.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.PendingSecret == "") {
		return Enrolment{}, false, nil
	}
	if err != nil {
		return Enrolment{}, false, err
	}
	secret, err := s.Keys.Open(t.PendingSecret, keyPurpose)
	if err != nil {
		return Enrolment{}, false, err
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(string(secret))
	if err != nil {
		return Enrolment{}, false, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.Issuer, AccountName: a.Email, Secret: raw})
	if err != nil {
		return Enrolment{}, false, err
	}
	e, err = enrolment(key)
	return e, err == nil, err
}

// enrolment shows key: its secret, URL and QR code.
func enrolment(key *otp.Key) (Enrolment, error) {
	img, err := key.Image(240, 240)
	if err != nil {
		return Enrolment{}, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL(), QR: buf.Bytes()}, nil
}

// EnableTOTP turns the app's codes on when code fits the secret shown by
// BeginTOTP, and returns the account's new recovery codes (shown once).
// Every other session of the account ends (keepSession, the hash of the
// asking one, stays): they were signed in without the factor.
func (s *Service) EnableTOTP(ctx context.Context, a *pforte.Account, code, keepSession, client string) ([]string, error) {
	t, err := s.DB.Q().TOTPOf(ctx, a.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.PendingSecret == "") {
		return nil, enrolmentGone
	}
	if err != nil {
		return nil, err
	}
	secret, err := s.Keys.Open(t.PendingSecret, keyPurpose)
	if err != nil {
		return nil, err
	}
	now := s.now()
	p, ok := matchPeriod(string(secret), code, s.codeTime(), 0)
	if !ok {
		return nil, setupCodeInvalid
	}
	codes, hashes := newRecoveryCodes()
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.EnableTOTP(ctx, a.ID, t.PendingSecret, p, now); errors.Is(err, store.ErrNotFound) {
			return enrolmentGone
		} else if err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, a.ID, hashes, now); err != nil {
			return err
		}
		if _, err := tx.DeleteSessionsOf(ctx, a.ID, keepSession); err != nil {
			return err
		}
		return notify(ctx, tx, s.Mail, a, mail.NoticeSecondFactorOn, pforte.EventSecondFactorOn, client, "totp", now)
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return codes, nil
}

// TOTPEnabled reports whether the app's codes are on for the account.
func (s *Service) TOTPEnabled(ctx context.Context, accountID int64) (bool, error) {
	t, err := s.DB.Q().TOTPOf(ctx, accountID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return t.Enabled(), err
}

// DisableTOTP turns the app's codes off, given a valid code (from the app
// or a recovery code); the recovery codes go with them.
func (s *Service) DisableTOTP(ctx context.Context, a *pforte.Account, code, client string) error {
	if on, err := s.TOTPEnabled(ctx, a.ID); err != nil {
		return err
	} else if !on {
		return codeInvalid
	}
	if _, err := s.Verify(ctx, a, code, client); err != nil {
		return err
	}
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.DeleteTOTP(ctx, a.ID); err != nil {
			return err
		}
		if err := tx.DeleteRecoveryCodes(ctx, a.ID); err != nil {
			return err
		}
		return notify(ctx, tx, s.Mail, a, mail.NoticeSecondFactorOff, pforte.EventSecondFactorOff, client, "totp", now)
	})
	if err == nil {
		s.wake()
	}
	return err
}

// matchPeriod finds the period within the skew whose code is code and
// which is later than last; ok false if there is none. Every candidate is
// compared in constant time.
func matchPeriod(secret, code string, now time.Time, last int64) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	cur := now.Unix() / period
	var found int64
	for p := cur - skew; p <= cur+skew; p++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(p*period, 0), codeOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && p > last && found == 0 {
			found = p
		}
	}
	return found, found != 0
}

// isAppCode tells an app code (6 digits) from a recovery code.
func isAppCode(code string) bool {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
