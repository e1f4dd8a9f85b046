package account

import (
	"context"

	"pforte"
)

// AlreadyConfirmed reports the account of a confirmation link that can no
// longer be used because its account is confirmed: opened a second time,
// the link should lead to the login, not to an error. Anyone holding the
// link has the mail, so saying "confirmed" tells them nothing new.
func (s *Service) AlreadyConfirmed(ctx context.Context, raw string) (*pforte.Account, bool) {
	if raw == "" || len(raw) > 100 {
		return nil, false
	}
	t, err := s.DB.Q().TokenByHash(ctx, pforte.ConfirmToken, pforte.HashSecret(raw))
	if err != nil {
		return nil, false
	}
	a, err := s.DB.Q().AccountByID(ctx, t.AccountID)
	if err != nil || !a.Confirmed() {
		return nil, false
	}
	return a, true
}
