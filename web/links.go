package web

import (
	"net/http"
	"time"

	"pforte"
	"pforte/locale"
)

// linkKind is what a mailed link is for, so that a link that no longer
// works leads to the remedy for that kind of link instead of one text for
// all of them.
type linkKind string

const (
	resetLink   linkKind = "reset"   // "Passwort vergessen": ask for a new link
	confirmLink linkKind = "confirm" // registration: send the confirmation again
	emailLink   linkKind = "email"   // new address: start the change again in the account
)

// linkRemedy is the data of the error page for a link that no longer works.
type linkRemedy struct {
	Kind linkKind
	TTL  time.Duration
}

// renderLinkError shows the error page for err, raised by a link of kind;
// an invalid link (token-invalid) gets the remedy of its kind.
func (s *Server) renderLinkError(w http.ResponseWriter, r *http.Request, err error, kind linkKind) {
	if pforte.ErrorCode(err) != pforte.TokenInvalid {
		s.renderError(w, r, err)
		return
	}
	ttl := s.cfg.ConfirmTokenTTL // the confirmation and the new address
	if kind == resetLink {
		ttl = s.cfg.ResetTokenTTL
	}
	v := view{Title: locale.CodeTitle(pforte.TokenInvalid), Data: linkRemedy{Kind: kind, TTL: ttl}}
	s.renderForm(w, r, "fehler", err, v)
}

// LinkRemedy is the remedy of the error page for a mailed link, nil on
// every other page.
func (v view) LinkRemedy() *linkRemedy {
	if lr, ok := v.Data.(linkRemedy); ok && v.Error != nil && v.Error.Code == pforte.TokenInvalid {
		return &lr
	}
	return nil
}
