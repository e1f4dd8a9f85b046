package business

import (
	"context"
	"errors"

	"pforte"
	"pforte/store"
)

// Permission is something an account may do with one business. Each
// business service names the permission it needs and asks Access, so that
// the rule of who may do what stays in one place.
type Permission string

// The permissions. UseServices opens a business's service pages; later
// services add theirs here and decide in Can who holds them.
const (
	UseServices Permission = "use-services"
)

// Can is the one rule of access to a business: staff may do everything
// with every business; a member only what a link gives, and a link gives
// every permission of its business; without a link, nothing.
func Can(a *pforte.Account, p Permission, linked bool) bool {
	switch {
	case a == nil:
		return false
	case a.Role.Staff():
		return true
	}
	return linked && p == UseServices
}

// forbidden is the answer for a business the account has no right to.
// It does not say whether the number exists.
var forbidden = &pforte.Error{Code: pforte.Forbidden,
	Message: "Ihr Konto ist nicht mit diesem Betrieb verknüpft. Mit der PIN aus dem Brief an den Betrieb können Sie es verknüpfen."}

// Access checks that the account may do p with the business number and
// returns the business; forbidden otherwise. Only staff, who may see any
// business, learn that a number is not in the register (not-found).
func (s *Service) Access(ctx context.Context, a *pforte.Account, p Permission, number string) (*pforte.Business, error) {
	n, ok := pforte.NormalizeBusinessNumber(number)
	staff := a != nil && a.Role.Staff()
	if !ok {
		if staff {
			return nil, pforte.Errorf(pforte.NotFound, "Diese Betriebsnummer ist nicht im Register.")
		}
		return nil, forbidden
	}
	linked := false
	if a != nil && !staff {
		var err error
		if linked, err = s.DB.Q().Linked(ctx, a.ID, n); err != nil {
			return nil, err
		}
	}
	if !Can(a, p, linked) {
		return nil, forbidden
	}
	b, err := s.DB.Q().BusinessByNumber(ctx, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, pforte.Errorf(pforte.NotFound, "Die Betriebsnummer %s ist nicht im Register.", n)
	}
	return b, err
}
