// Package oidc makes Pforte an OpenID Provider for the chamber's services
// (CONTRACT §6). The protocol is github.com/zitadel/oidc's op package; this
// package implements its storage over Pforte's store, binds every token to
// the Pforte session it came from (the 10-minute rule reaches every
// service) and delivers back-channel logouts. It keeps no login of its
// own: the web package signs the member in and hands the session over.
package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"pforte"
	"pforte/keyring"
	"pforte/session"
	"pforte/store"
	"pforte/throttle"
)

// The paths of the provider; discovery names them.
const (
	PathDiscovery  = "/.well-known/openid-configuration"
	PathAuthorize  = "/oidc/autorisieren"
	PathToken      = "/oidc/token"
	PathUserinfo   = "/oidc/benutzer"
	PathRevoke     = "/oidc/widerrufen"
	PathIntrospect = "/oidc/pruefen"
	PathEndSession = "/oidc/abmelden"
	PathKeys       = "/oidc/schluessel"
	// PathLogin resumes an authorization request after the login.
	PathLogin = "/anmelden/dienst"
)

// ScopeBusinesses asks for the businesses claim.
const ScopeBusinesses = "businesses"

// Lifetimes fixed by the contract or the protocol.
const (
	codeTTL        = time.Minute      // codes live at most a minute
	authRequestTTL = 30 * time.Minute // time to sign in
	logoutTTL      = 2 * time.Minute  // a logout token's life
	clockSlack     = time.Minute
)

// Provider is the OpenID Provider. Fill the exported fields, then call
// Start.
type Provider struct {
	DB       *store.DB
	Sessions *session.Sessions
	// Keys seal the private signing keys and the opaque access tokens.
	Keys *keyring.Keyring
	// Issuer is PFORTE_BASE_URL, exactly.
	Issuer    string
	AccessTTL time.Duration
	Log       *slog.Logger
	Now       func() time.Time

	// Limits bound the authorization requests per client address (may be
	// nil: no limit).
	Limits *throttle.Limiter

	// Counters (may be nil): tokens issued by kind, refreshes refused.
	CountToken   func(kind string)
	CountRefused func()

	op     *op.Provider
	parsed sync.Map // kid → signingKey
}

func (p *Provider) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Start builds the protocol handlers and makes the first signing key if
// there is none.
func (p *Provider) Start(ctx context.Context) error {
	conf := &op.Config{
		CodeMethodS256:                    true,
		AuthMethodPost:                    true,
		GrantTypeRefreshToken:             true,
		SupportedScopes:                   []string{oidc.ScopeOpenID, oidc.ScopeEmail, ScopeBusinesses, oidc.ScopeOfflineAccess},
		SupportedClaims:                   []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "sid", "azp", "at_hash", "c_hash", "email", "email_verified", "businesses"},
		BackChannelLogoutSupported:        true,
		BackChannelLogoutSessionSupported: true,
		DefaultLogoutRedirectURI:          "/anmelden?abgemeldet=1",
	}
	opts := []op.Option{
		op.WithCrypto(sealer{p.Keys}),
		op.WithCustomEndpoints(op.NewEndpoint(PathAuthorize), op.NewEndpoint(PathToken), op.NewEndpoint(PathUserinfo),
			op.NewEndpoint(PathRevoke), op.NewEndpoint(PathEndSession), op.NewEndpoint(PathKeys)),
		op.WithCustomIntrospectionEndpoint(op.NewEndpoint(PathIntrospect)),
	}
	if strings.HasPrefix(p.Issuer, "http://") {
		opts = append(opts, op.WithAllowInsecure())
	}
	o, err := op.NewProvider(conf, &storage{p}, op.StaticIssuer(p.Issuer), opts...)
	if err != nil {
		return err
	}
	p.op = o
	return p.EnsureKey(ctx)
}

// sealer is op's Crypto over the keyring: opaque access tokens and codes
// are sealed values that every instance can open.
type sealer struct{ k *keyring.Keyring }

func (s sealer) Encrypt(v string) (string, error) { return s.k.Seal([]byte(v), "oidc-token") }
func (s sealer) Decrypt(v string) (string, error) {
	b, err := s.k.Open(v, "oidc-token")
	return string(b), err
}

// withIssuer gives a request the issuer op reads from its context.
func (p *Provider) withIssuer(r *http.Request) *http.Request {
	return r.WithContext(op.ContextWithIssuer(r.Context(), p.Issuer))
}

// Handler serves the protocol endpoints that need no page of Pforte's:
// keys, token, userinfo, revocation, introspection.
func (p *Provider) Handler() http.Handler { return p.op }

// Discovery serves the configuration (Discovery 1.0) as the contract has
// it: only the code flow, only S256.
func (p *Provider) Discovery() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = p.withIssuer(r)
		c := op.CreateDiscoveryConfig(r.Context(), p.op, &storage{p})
		c.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
		c.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
		c.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
		c.DeviceAuthorizationEndpoint = ""
		c.CheckSessionIframe = ""
		c.ResponseModesSupported = []string{"query"}
		c.TokenEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone}
		c.IntrospectionEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost}
		c.RevocationEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		json.NewEncoder(w).Encode(c)
	})
}

// ErrBadRequest is an authorization request that must not be answered by
// a redirect: unknown client_id, unregistered redirect_uri. The web
// package shows its 400 page.
var ErrBadRequest = &pforte.Error{Code: pforte.BadRequest,
	Message: "Der Dienst, der Sie hierher geschickt hat, ist nicht bekannt oder hat eine nicht eingetragene Rücksprungadresse genannt. Bitte wenden Sie sich an den Betreiber des Dienstes."}

// Live is the browser's live Pforte session, handed to Authorize.
type Live struct {
	Account *pforte.Account
	Session *store.StoredSession
}

type liveKey struct{}

type clientAddrKey struct{}

// WithClientAddr gives a protocol request the address of the service that
// asks, for the audit log.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

func clientAddr(ctx context.Context) string {
	s, _ := ctx.Value(clientAddrKey{}).(string)
	return s
}

func liveOf(ctx context.Context) *Live {
	l, _ := ctx.Value(liveKey{}).(*Live)
	return l
}

// Authorize serves the authorization endpoint. live is the browser's live
// session (nil for none). A request with an unknown client or an
// unregistered redirect URI returns ErrBadRequest and writes nothing; every
// other error goes back to the client (RFC 6749 §4.1.2.1).
func (p *Provider) Authorize(w http.ResponseWriter, r *http.Request, live *Live) error {
	if err := r.ParseForm(); err != nil {
		return ErrBadRequest
	}
	clientID, redirect := r.Form.Get("client_id"), r.Form.Get("redirect_uri")
	if clientID == "" || redirect == "" || len(r.Form["client_id"]) > 1 || len(r.Form["redirect_uri"]) > 1 {
		return ErrBadRequest
	}
	c, err := p.DB.Q().OIDCClientByID(r.Context(), clientID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrBadRequest
	}
	if err != nil {
		return err
	}
	if !slices.Contains(c.RedirectURIs, redirect) {
		return ErrBadRequest
	}
	// Every request that gets this far is stored: a client address may
	// start only so many (the 429 page).
	if p.Limits != nil {
		if err := p.Limits.Client(r.Context(), "oidc-authorize", clientAddr(r.Context()), throttle.ClientAuthorize); err != nil {
			return err
		}
	}
	r = p.withIssuer(r)
	if _, err := op.ParseAuthorizeRequest(r, p.op.Decoder()); err != nil {
		// A malformed parameter (max_age=abc): the client learns it.
		p.refuseRequest(w, r, redirect, oidc.ErrInvalidRequest().WithDescription("malformed parameter"))
		return nil
	}
	if e := checkParams(r.Form); e != nil {
		p.refuseRequest(w, r, redirect, e)
		return nil
	}
	ctx := context.WithValue(r.Context(), liveKey{}, live)
	op.Authorize(w, r.WithContext(ctx), p.op)
	return nil
}

// Introspection serves RFC 7662 for clients that authenticate with
// client_secret_basic or client_secret_post (op itself reads only the
// former); a client that does not authenticate gets RFC 6749 §5.2 JSON.
func (p *Provider) Introspection() http.Handler { return p.authenticated(false) }

// Token serves the token endpoint; the client authenticates first (op
// would look at the code first), a public client by its id alone.
func (p *Provider) Token() http.Handler { return p.authenticated(true) }

// authenticated checks the client of a back-end request before op sees
// it: a confidential client by its secret (basic or post), a public one
// (if allowPublic) by its id; otherwise 401 invalid_client.
func (p *Provider) authenticated(allowPublic bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			writeOAuthError(w, http.StatusBadRequest, oidc.ErrInvalidRequest())
			return
		}
		id, secret, basic := r.BasicAuth()
		if basic {
			id, _ = url.QueryUnescape(id)
			secret, _ = url.QueryUnescape(secret)
		} else {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		ok := false
		if c, err := p.DB.Q().OIDCClientByID(r.Context(), id); err == nil {
			if c.Public {
				ok = allowPublic && secret == ""
			} else {
				ok = (&storage{p}).AuthorizeClientIDSecret(r.Context(), id, secret) == nil
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			writeOAuthError(w, http.StatusInternalServerError, oidc.ErrServerError())
			return
		}
		if !ok {
			if basic {
				w.Header().Set("WWW-Authenticate", `Basic realm="pforte"`)
			}
			writeOAuthError(w, http.StatusUnauthorized, oidc.ErrInvalidClient())
			return
		}
		if !allowPublic {
			if p.introspectRefresh(w, r, id) {
				return
			}
			r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		}
		p.op.ServeHTTP(w, r)
	})
}

func writeOAuthError(w http.ResponseWriter, status int, e *oidc.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(e)
}

// Userinfo serves the userinfo endpoint; a token that is unknown, expired,
// revoked or of an ended session gets RFC 6750's 401 invalid_token (op
// would answer 403).
func (p *Provider) Userinfo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			if err := r.ParseForm(); err == nil {
				tok = r.PostForm.Get("access_token")
			}
		}
		plain, err := sealer{p.Keys}.Decrypt(tok)
		id, _, found := strings.Cut(plain, ":")
		if err == nil && found {
			_, err = p.activeAccess(r.Context(), id)
		}
		if tok == "" || err != nil || !found {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			writeOAuthError(w, http.StatusUnauthorized, &oidc.Error{ErrorType: "invalid_token"})
			return
		}
		p.op.ServeHTTP(w, r)
	})
}

// introspectRefresh answers introspection for a refresh token of the
// client (op knows only access tokens): active while it is unused and its
// session alive. It reports whether the token was a refresh token.
func (p *Provider) introspectRefresh(w http.ResponseWriter, r *http.Request, clientID string) bool {
	t, err := p.DB.Q().OIDCTokenByHash(r.Context(), "refresh", pforte.HashSecret(r.PostForm.Get("token")))
	if err != nil || t.ClientID != clientID {
		return false
	}
	resp := &oidc.IntrospectionResponse{}
	if !t.Used {
		if _, err := p.liveSession(r.Context(), t); err == nil {
			p.introspection(resp, t)
			resp.TokenType = "refresh_token"
			if err := (&storage{p}).setIntrospectionSubject(r.Context(), resp, t); err == nil {
				resp.Active = true
			} else {
				resp = &oidc.IntrospectionResponse{}
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(resp)
	return true
}
