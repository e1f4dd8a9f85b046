package mfa

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"

	"pforte"
	"pforte/mail"
	"pforte/store"
)

// RecoveryCodes is how many one-time codes an account gets at a time.
const RecoveryCodes = 10

// newRecoveryCodes returns fresh recovery codes as shown (four groups of
// four letters and digits, 80 random bits each) and their stored hashes.
func newRecoveryCodes() (codes, hashes []string) {
	for range RecoveryCodes {
		raw := rand.Text()[:16] // base32: A–Z and 2–7
		codes = append(codes, raw[0:4]+"-"+raw[4:8]+"-"+raw[8:12]+"-"+raw[12:16])
		hashes = append(hashes, pforte.HashSecret(normalizeRecovery(raw)))
	}
	return codes, hashes
}

// normalizeRecovery forgives what people do when typing a code: spaces,
// dashes, small letters, 0 for O, 1 for I and 8 for B.
func normalizeRecovery(code string) string {
	code = strings.ToUpper(code)
	code = strings.NewReplacer(" ", "", "-", "", "\t", "", "0", "O", "1", "I", "8", "B").Replace(code)
	return code
}

// RegenerateCodes gives the account new recovery codes; the old ones stop
// working. They stand in for the app's codes, so these must be on.
func (s *Service) RegenerateCodes(ctx context.Context, a *pforte.Account, client string) ([]string, error) {
	on, err := s.TOTPEnabled(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if !on {
		return nil, &pforte.Error{Code: pforte.MFAInvalid,
			Message: "Die Anmeldung mit Code aus der App ist nicht eingeschaltet. Wiederherstellungscodes gibt es erst, wenn Sie sie einrichten."}
	}
	now := s.now()
	codes, hashes := newRecoveryCodes()
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.ReplaceRecoveryCodes(ctx, a.ID, hashes, now); err != nil {
			return err
		}
		return notify(ctx, tx, s.Mail, a, mail.NoticeRecoveryCodesNew, pforte.EventRecoveryCodesNew, client, "", now)
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return codes, nil
}

// UnusedCodes counts the account's recovery codes still usable.
func (s *Service) UnusedCodes(ctx context.Context, accountID int64) (int, error) {
	return s.DB.Q().UnusedRecoveryCodes(ctx, accountID)
}

// useRecoveryCode uses up code, tells the owner and audits it; false if
// the account has no such unused code.
func (s *Service) useRecoveryCode(ctx context.Context, a *pforte.Account, code, client string) (bool, error) {
	hash := pforte.HashSecret(normalizeRecovery(code))
	now := s.now()
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.UseRecoveryCode(ctx, a.ID, hash, now); err != nil {
			return err
		}
		return notify(ctx, tx, s.Mail, a, mail.NoticeRecoveryCodeUsed, pforte.EventRecoveryCodeUsed, client, "", now)
	})
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	s.wake()
	return true, nil
}
