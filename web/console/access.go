package console

import (
	"context"
	"net/http"

	"pforte"
	"pforte/session"
)

// staffKey keys the acting staff account of a request.
type staffKey struct{}

// staffOf is the staff account acting in a request behind requireStaff.
func staffOf(r *http.Request) *pforte.Account {
	a, _ := r.Context().Value(staffKey{}).(*pforte.Account)
	return a
}

var (
	noRole = &pforte.Error{Code: pforte.Forbidden,
		Message: "Die Verwaltung ist den Mitarbeiterinnen und Mitarbeitern der Kammer vorbehalten."}
	// A factor set up with the password alone in this very session proves
	// nothing yet: the password may be all someone has.
	newFactor = &pforte.Error{Code: pforte.Forbidden,
		Message: "Ihr zweiter Faktor ist eingerichtet. Bitte melden Sie sich einmal ab und mit Passwort und Code aus der App wieder an; dann öffnet sich die Verwaltung."}
	notAdmin = &pforte.Error{Code: pforte.Forbidden,
		Message: "Diese Aktion ist der Administration vorbehalten."}
)

// SecondFactorPath is where a staff member without a second factor in the
// session is sent first.
const SecondFactorPath = "/konto/zwei-faktor"

// requireStaff is the one check in front of every console page: a staff
// role (else 403 forbidden) and a second factor used in this session
// (else 303 to SecondFactorPath). The role is read with the session at
// every request, so a revoked role ends access at the next one.
func (c *Console) requireStaff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, st := c.Host.Signed(r)
		if a == nil || st == nil || !a.Role.Staff() {
			c.Host.Error(w, r, noRole)
			return
		}
		if st.HasMethod(session.MethodNewOTP) {
			c.Host.Error(w, r, newFactor)
			return
		}
		if !st.SecondFactor() {
			http.Redirect(w, r, SecondFactorPath, http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), staffKey{}, a)))
	})
}

// requireAdmin lets only admins through (behind requireStaff).
func (c *Console) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := staffOf(r); a == nil || a.Role != pforte.RoleAdmin {
			c.Host.Error(w, r, notAdmin)
			return
		}
		next.ServeHTTP(w, r)
	})
}
