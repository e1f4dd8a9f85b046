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

// Actor is who asks: the account and whether its session was signed in
// with a second factor (store.StoredSession.SecondFactor).
type Actor struct {
	Account      *pforte.Account
	SecondFactor bool
}

// Staff reports whether the actor holds staff rights: a staff role AND a
// second factor in this session, the console's rule too. A staff account
// signed in with the password alone is a member like any other, so a
// stolen staff password opens no business.
func (who Actor) Staff() bool {
	return who.Account != nil && who.Account.Role.Staff() && who.SecondFactor
}

// Can is the one rule of access to a business: staff (Actor.Staff) may do
// everything with every business; a member only what a link gives, and a
// link gives every permission of its business; without a link, nothing.
func Can(who Actor, p Permission, linked bool) bool {
	switch {
	case who.Account == nil:
		return false
	case who.Staff():
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
func (s *Service) Access(ctx context.Context, who Actor, p Permission, number string) (*pforte.Business, error) {
	n, ok := pforte.NormalizeBusinessNumber(number)
	a, staff := who.Account, who.Staff()
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
	if !Can(who, p, linked) {
		return nil, forbidden
	}
	b, err := s.DB.Q().BusinessByNumber(ctx, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, pforte.Errorf(pforte.NotFound, "Die Betriebsnummer %s ist nicht im Register.", n)
	}
	return b, err
}
