package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"pforte"
	"pforte/store"
)

// ErrStaleRequest is a login for a service whose request is unknown, has
// run out (authRequestTTL) or was answered already.
var ErrStaleRequest = &pforte.Error{Code: pforte.BadRequest,
	Message: "Diese Anmeldung für einen Dienst ist abgelaufen oder wurde schon abgeschlossen. Bitte öffnen Sie den Dienst erneut."}

// ErrNeedsBusiness answers a service for businesses (--require-business)
// when the account is linked to none.
var ErrNeedsBusiness = &pforte.Error{Code: pforte.Forbidden,
	Message: "Dieser Dienst ist nur für Betriebe, und Ihr Konto ist mit keinem Betrieb verknüpft."}

// Pending is an authorization request waiting for the member's login.
type Pending struct {
	// ClientName names the service on the login page.
	ClientName string
	// LoginHint is the address the service suggests (login_hint).
	LoginHint string
	row       *store.OIDCAuthRequest
	p         params
	client    *store.OIDCClient
}

// Pending finds the authorization request with id (from PathLogin).
func (p *Provider) Pending(ctx context.Context, id string) (*Pending, error) {
	if id == "" || len(id) > 100 {
		return nil, ErrStaleRequest
	}
	row, err := p.DB.Q().OIDCAuthRequestByHash(ctx, pforte.HashSecret(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrStaleRequest
	}
	if err != nil {
		return nil, err
	}
	if !p.now().Before(row.ExpiresAt) || !row.CodeExpires.IsZero() {
		return nil, ErrStaleRequest
	}
	var pr params
	if err := json.Unmarshal([]byte(row.Params), &pr); err != nil {
		return nil, err
	}
	c, err := p.DB.Q().OIDCClientByID(ctx, row.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrStaleRequest
	}
	if err != nil {
		return nil, err
	}
	return &Pending{ClientName: c.Name, LoginHint: pr.LoginHint, row: row, p: pr, client: c}, nil
}

// Fresh reports whether the session st may answer the request without a
// new login: always when it began after the request; otherwise not with
// prompt=login (op turns that into max_age=0), nor past max_age.
func (pd *Pending) Fresh(st *store.StoredSession, now time.Time) bool {
	return fresh(pd.p, pd.row.CreatedAt, st, now)
}

func fresh(pr params, requested time.Time, st *store.StoredSession, now time.Time) bool {
	if !st.CreatedAt.Before(requested.Truncate(time.Millisecond)) {
		return true
	}
	if slices.Contains(pr.Prompt, oidc.PromptLogin) {
		return false
	}
	if pr.MaxAge != nil && now.Sub(st.CreatedAt) > time.Duration(*pr.MaxAge)*time.Second {
		return false
	}
	return true
}

// Complete answers the request id for the live session: a redirect to
// the service with a code, or ErrNeedsBusiness (nothing written).
func (p *Provider) Complete(w http.ResponseWriter, r *http.Request, id string, live Live) error {
	ctx := r.Context()
	pd, err := p.Pending(ctx, id)
	if err != nil {
		return err
	}
	if pd.client.RequireBusiness {
		linked, err := p.DB.Q().LinkedBusinesses(ctx, live.Account.ID)
		if err != nil {
			return err
		}
		if len(linked) == 0 {
			if slices.Contains(pd.p.Prompt, oidc.PromptNone) {
				// No page may be shown: the service learns it.
				back := &oidc.AuthRequest{RedirectURI: pd.p.RedirectURI, State: pd.p.State, ResponseType: pd.p.ResponseType,
					ResponseMode: pd.p.ResponseMode}
				op.AuthRequestError(w, p.withIssuer(r), back, oidc.ErrAccessDenied().WithDescription("the service is for businesses only"), p.op)
				return nil
			}
			return ErrNeedsBusiness
		}
	}
	st := live.Session
	if err := p.DB.Q().CompleteOIDCAuthRequest(ctx, pd.row.Hash, live.Account.ID, st.Hash, st.SID, st.CreatedAt, st.Methods); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ErrStaleRequest
		}
		return err
	}
	ar, err := (&storage{p}).AuthRequestByID(ctx, id)
	if err != nil {
		return err
	}
	op.AuthResponse(ar, p.op, w, p.withIssuer(r))
	return nil
}
