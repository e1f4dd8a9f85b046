package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/url"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"pforte"
	"pforte/store"
)

// ErrBadLogout is a logout request naming a return address that is not
// registered for the service (or no service at all).
var ErrBadLogout = &pforte.Error{Code: pforte.BadRequest,
	Message: "Die Abmeldung nannte eine Rücksprungadresse, die für den Dienst nicht eingetragen ist."}

// LogoutRequest is a checked RP-initiated logout (RP-Initiated Logout 1.0).
type LogoutRequest struct {
	// Hinted: a valid id_token_hint named the service and was issued to
	// the browser's own live session (its sid and sub); the session ends
	// without asking. Anyone's ID token names a service, so a hint for
	// another session or account is no hint: the member is asked.
	Hinted bool
	// Redirect is where the browser goes afterwards: the registered
	// post_logout_redirect_uri with state, or "" for Pforte's own page.
	Redirect string
	// ClientName names the service on the question page.
	ClientName string
	// ClientID, PostLogoutURI and State go back with the question's form.
	ClientID, PostLogoutURI, State string
}

// ParseLogout checks the parameters of the end-session endpoint. live is
// the browser's live session (nil for none): only a hint issued for it
// makes the request Hinted.
func (p *Provider) ParseLogout(ctx context.Context, f url.Values, live *Live) (*LogoutRequest, error) {
	for _, k := range []string{"id_token_hint", "client_id", "post_logout_redirect_uri", "state"} {
		if len(f[k]) > 1 {
			return nil, ErrBadLogout
		}
	}
	lr := &LogoutRequest{ClientID: f.Get("client_id"), PostLogoutURI: f.Get("post_logout_redirect_uri"), State: f.Get("state")}
	if hint := f.Get("id_token_hint"); hint != "" {
		ctx = op.ContextWithIssuer(ctx, p.Issuer)
		claims, err := op.VerifyIDTokenHint[*oidc.IDTokenClaims](ctx, hint, p.op.IDTokenHintVerifier(ctx))
		if err == nil || errors.As(err, &op.IDTokenHintExpiredError{}) {
			azp := claims.GetAuthorizedParty()
			if azp == "" && len(claims.GetAudience()) == 1 {
				azp = claims.GetAudience()[0]
			}
			if lr.ClientID != "" && lr.ClientID != azp {
				return nil, ErrBadLogout
			}
			lr.ClientID = azp
			sid, _ := claims.Claims["sid"].(string)
			if lr.Hinted, err = p.hintFor(ctx, live, claims.GetSubject(), sid); err != nil {
				return nil, err
			}
		}
	}
	if lr.ClientID == "" {
		if lr.PostLogoutURI != "" {
			return nil, ErrBadLogout
		}
		return lr, nil
	}
	c, err := p.DB.Q().OIDCClientByID(ctx, lr.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrBadLogout
	}
	if err != nil {
		return nil, err
	}
	lr.ClientName = c.Name
	if lr.PostLogoutURI != "" {
		if !slices.Contains(c.PostLogoutURIs, lr.PostLogoutURI) {
			return nil, ErrBadLogout
		}
		u, err := url.Parse(lr.PostLogoutURI)
		if err != nil {
			return nil, ErrBadLogout
		}
		if lr.State != "" {
			q := u.Query()
			q.Set("state", lr.State)
			u.RawQuery = q.Encode()
		}
		lr.Redirect = u.String()
	}
	return lr, nil
}

// hintFor reports whether a hint with sub and sid was issued for the live
// session: the same session (sid) of the same account (sub).
func (p *Provider) hintFor(ctx context.Context, live *Live, sub, sid string) (bool, error) {
	if live == nil || sid == "" || sub == "" ||
		subtle.ConstantTimeCompare([]byte(sid), []byte(live.Session.SID)) != 1 {
		return false, nil
	}
	own, err := p.subject(ctx, live.Account.ID)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(sub), []byte(own)) == 1, nil
}

// Service is a registered service the member can open (--launch-url).
type Service struct {
	Name string
	URL  string
}

// Services lists the services with a launch URL: those for businesses
// (--require-business) when forBusiness, the others otherwise.
func (p *Provider) Services(ctx context.Context, forBusiness bool) ([]Service, error) {
	all, err := p.DB.Q().LaunchableClients(ctx)
	open, business := launchable(all)
	if forBusiness {
		return business, err
	}
	return open, err
}

// ServicesOf lists what /konto offers a member from the services with a
// launch URL: those open to every member, then, if linked to a
// business, those for businesses.
func ServicesOf(all []store.LaunchableClient, linked bool) []Service {
	open, business := launchable(all)
	if linked {
		open = append(open, business...)
	}
	return open
}

// launchable sorts the services with a launch URL into those open to
// every member and those for businesses.
func launchable(all []store.LaunchableClient) (open, business []Service) {
	for _, c := range all {
		if c.RequireBusiness {
			business = append(business, Service{Name: c.Name, URL: c.LaunchURL})
		} else {
			open = append(open, Service{Name: c.Name, URL: c.LaunchURL})
		}
	}
	return open, business
}
