package oidc

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"pforte/store"
)

// params are the parts of an authorization request kept until its code
// is exchanged (the store keeps them as JSON).
type params struct {
	RedirectURI  string                   `json:"redirect_uri"`
	Scopes       []string                 `json:"scopes"`
	State        string                   `json:"state,omitempty"`
	Nonce        string                   `json:"nonce,omitempty"`
	ResponseType oidc.ResponseType        `json:"response_type"`
	ResponseMode oidc.ResponseMode        `json:"response_mode,omitempty"`
	Challenge    string                   `json:"code_challenge,omitempty"`
	Method       oidc.CodeChallengeMethod `json:"code_challenge_method,omitempty"`
	Prompt       []string                 `json:"prompt,omitempty"`
	MaxAge       *uint                    `json:"max_age,omitempty"`
	LoginHint    string                   `json:"login_hint,omitempty"`
}

// authRequest is an authorization request as op sees it (op.AuthRequest).
// id is the raw id when it was looked up by it; by code only the hash is
// known, and GetID answers with that.
type authRequest struct {
	id  string
	row store.OIDCAuthRequest
	p   params
	sub string
}

func (a *authRequest) GetID() string {
	if a.id != "" {
		return a.id
	}
	return a.row.Hash
}
func (a *authRequest) GetACR() string         { return "" }
func (a *authRequest) GetAMR() []string       { return amrList(a.row.AMR) }
func (a *authRequest) GetAudience() []string  { return []string{a.row.ClientID} }
func (a *authRequest) GetAuthTime() time.Time { return a.row.AuthTime }
func (a *authRequest) GetClientID() string    { return a.row.ClientID }
func (a *authRequest) GetNonce() string       { return a.p.Nonce }
func (a *authRequest) GetRedirectURI() string { return a.p.RedirectURI }
func (a *authRequest) GetScopes() []string    { return a.p.Scopes }
func (a *authRequest) GetState() string       { return a.p.State }
func (a *authRequest) GetSubject() string     { return a.sub }
func (a *authRequest) Done() bool             { return a.row.AccountID != 0 }
func (a *authRequest) GetResponseType() oidc.ResponseType {
	return a.p.ResponseType
}
func (a *authRequest) GetResponseMode() oidc.ResponseMode {
	return a.p.ResponseMode
}
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.p.Challenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.p.Challenge, Method: a.p.Method}
}

// refreshRequest is a presented refresh token as op sees it
// (op.RefreshTokenRequest): the grant it continues.
type refreshRequest struct {
	raw    string
	tok    store.OIDCToken
	sub    string
	scopes []string
}

func (r *refreshRequest) GetAMR() []string            { return amrList(r.tok.AMR) }
func (r *refreshRequest) GetAudience() []string       { return []string{r.tok.ClientID} }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.tok.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.tok.ClientID }
func (r *refreshRequest) GetScopes() []string         { return r.scopes }
func (r *refreshRequest) GetSubject() string          { return r.sub }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }

func amrList(s string) []string {
	if s == "" {
		return []string{"pwd"}
	}
	return strings.Fields(s)
}

// Limits of the parameters an authorization request keeps until its code
// is exchanged.
const (
	maxStateLen     = 512
	maxLoginHintLen = 254 // the longest address
)

// checkParams refuses what op would accept but Pforte does not: a
// response_mode other than query (the only one discovery announces), and
// a state, nonce or login_hint longer than Pforte keeps.
func checkParams(f url.Values) *oidc.Error {
	for _, m := range f["response_mode"] {
		if m != string(oidc.ResponseModeQuery) {
			return oidc.ErrInvalidRequest().WithDescription("response_mode must be query")
		}
	}
	for k, limit := range map[string]int{"state": maxStateLen, "nonce": maxStateLen, "login_hint": maxLoginHintLen} {
		for _, v := range f[k] {
			if len(v) > limit {
				return oidc.ErrInvalidRequest().WithDescription("%s is longer than %d bytes", k, limit)
			}
		}
	}
	return nil
}

// refuseRequest sends an error back to the service, in the query (never
// by another response mode), with state unless it is too long to repeat.
func (p *Provider) refuseRequest(w http.ResponseWriter, r *http.Request, redirect string, e *oidc.Error) {
	back := &oidc.AuthRequest{RedirectURI: redirect, ResponseType: oidc.ResponseTypeCode, ResponseMode: oidc.ResponseModeQuery}
	if st := r.Form.Get("state"); len(st) <= maxStateLen {
		back.State = st
	}
	op.AuthRequestError(w, r, back, e, p.op)
}
