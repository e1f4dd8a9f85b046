package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"pforte"
	"pforte/store"
)

// storage is op.Storage over Pforte's store.
type storage struct{ p *Provider }

var errInvalid = errors.New("oidc: unknown, expired or revoked")

func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	p := s.p
	c, err := p.DB.Q().OIDCClientByID(ctx, req.ClientID)
	if err != nil {
		return nil, oidc.ErrInvalidRequest().WithParent(err)
	}
	if !slices.Contains(req.Scopes, oidc.ScopeOpenID) {
		return nil, oidc.ErrInvalidScope().WithDescription("scope openid is required")
	}
	if req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	if req.CodeChallenge == "" && c.Public {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE (S256) is required for public clients")
	}
	now := p.now()
	pr := params{RedirectURI: req.RedirectURI, Scopes: req.Scopes, State: req.State, Nonce: req.Nonce,
		ResponseType: req.ResponseType, ResponseMode: req.ResponseMode, Challenge: req.CodeChallenge,
		Method: req.CodeChallengeMethod, Prompt: req.Prompt, MaxAge: req.MaxAge, LoginHint: req.LoginHint}
	if slices.Contains(req.Prompt, oidc.PromptNone) {
		live := liveOf(ctx)
		if live == nil || !fresh(pr, now, live.Session, now) {
			return nil, oidc.ErrLoginRequired()
		}
	}
	raw, _ := json.Marshal(pr)
	id, hash := pforte.NewSecret()
	row := store.OIDCAuthRequest{Hash: hash, ClientID: c.ID, Params: string(raw), CreatedAt: now, ExpiresAt: now.Add(authRequestTTL)}
	if err := p.DB.Q().InsertOIDCAuthRequest(ctx, row); err != nil {
		return nil, err
	}
	return &authRequest{id: id, row: row, p: pr}, nil
}

func (s *storage) load(ctx context.Context, row *store.OIDCAuthRequest, id string) (*authRequest, error) {
	var pr params
	if err := json.Unmarshal([]byte(row.Params), &pr); err != nil {
		return nil, err
	}
	ar := &authRequest{id: id, row: *row, p: pr}
	if row.AccountID != 0 {
		sub, err := s.p.subject(ctx, row.AccountID)
		if err != nil {
			return nil, err
		}
		ar.sub = sub
	}
	return ar, nil
}

func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	row, err := s.p.DB.Q().OIDCAuthRequestByHash(ctx, pforte.HashSecret(id))
	if err != nil {
		return nil, err
	}
	return s.load(ctx, row, id)
}

// AuthRequestByCode finds the request of a code. A code presented again
// revokes every token its first use issued.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	p := s.p
	row, err := p.DB.Q().OIDCAuthRequestByCode(ctx, pforte.HashSecret(code))
	if err != nil {
		return nil, err
	}
	if row.Exchanged {
		p.codeReused(ctx, row)
		return nil, errInvalid
	}
	if !p.now().Before(row.CodeExpires) {
		return nil, errInvalid
	}
	return s.load(ctx, row, "")
}

func (p *Provider) codeReused(ctx context.Context, row *store.OIDCAuthRequest) {
	err := p.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.RevokeOIDCGrant(ctx, row.Hash); err != nil {
			return err
		}
		return tx.Audit(ctx, pforte.AuditEntry{At: p.now(), Event: pforte.EventOIDCCodeReused, AccountID: row.AccountID, Client: clientAddr(ctx),
			Detail: "Dienst " + row.ClientID})
	})
	if err != nil {
		p.Log.Warn("revoke grant after code reuse", "err", err)
	}
}

func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	return s.p.DB.Q().SaveOIDCCode(ctx, pforte.HashSecret(id), pforte.HashSecret(code), s.p.now().Add(codeTTL))
}

// DeleteAuthRequest keeps the request: its row recognises a second use of
// the code until it runs out (PruneOIDC).
func (s *storage) DeleteAuthRequest(context.Context, string) error { return nil }

// TerminateSession is not used: Pforte serves the end-session endpoint
// itself (EndSession).
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(ctx context.Context, tokenOrID, _, clientID string) *oidc.Error {
	p := s.p
	hash := pforte.HashSecret(tokenOrID)
	for _, kind := range []string{"refresh", "access"} {
		t, err := p.DB.Q().OIDCTokenByHash(ctx, kind, hash)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return oidc.ErrServerError().WithParent(err)
		}
		if t.ClientID != clientID {
			return nil // RFC 7009: no answer about other clients' tokens
		}
		if kind == "refresh" {
			err = p.DB.Q().RevokeOIDCGrant(ctx, t.GrantHash)
		} else {
			err = p.DB.Q().DeleteOIDCToken(ctx, hash)
		}
		if err != nil {
			return oidc.ErrServerError().WithParent(err)
		}
		return nil
	}
	return nil
}

func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, raw string) (string, string, error) {
	t, err := s.p.DB.Q().OIDCTokenByHash(ctx, "refresh", pforte.HashSecret(raw))
	if err != nil || t.ClientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	sub, err := s.p.subject(ctx, t.AccountID)
	return sub, raw, err
}

func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) { return s.p.signingKey(ctx) }
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}
func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) { return s.p.keySet(ctx) }

func (s *storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.p.DB.Q().OIDCClientByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("unknown client %q", id)
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return clientTTL{client{*c}, s.p.AccessTTL}, nil
}

// AuthorizeClientIDSecret checks a confidential client's secret against
// its hash in constant time.
func (s *storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	c, err := s.p.DB.Q().OIDCClientByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errors.New("unknown client")
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if c.Public || c.SecretHash == "" || secret == "" ||
		subtle.ConstantTimeCompare([]byte(pforte.HashSecret(secret)), []byte(c.SecretHash)) != 1 {
		return errors.New("wrong client secret")
	}
	return nil
}

func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	var accountID int64
	var sid string
	switch r := req.(type) {
	case *authRequest:
		accountID, sid = r.row.AccountID, r.row.SID
	case *refreshRequest:
		accountID, sid = r.tok.AccountID, r.tok.SID
	default:
		return errors.New("oidc: unknown request type")
	}
	return s.p.claims(ctx, info, accountID, scopes, sid, time.Time{}, nil)
}

// SetUserinfoFromToken answers the userinfo endpoint: what is true now.
func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	t, err := s.p.activeAccess(ctx, tokenID)
	if err != nil {
		return err
	}
	return s.p.claims(ctx, info, t.AccountID, t.Scopes, t.SID, t.AuthTime, amrList(t.AMR))
}

// SetIntrospectionFromToken answers introspection (RFC 7662) for an
// access token of a live session, to the service it was issued to only:
// one service learns nothing of another's tokens.
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, _, clientID string) error {
	t, err := s.p.activeAccess(ctx, tokenID)
	if err != nil {
		return err
	}
	if t.ClientID != clientID {
		return errInvalid
	}
	s.p.introspection(resp, t)
	return s.setIntrospectionSubject(ctx, resp, t)
}

func (s *storage) setIntrospectionSubject(ctx context.Context, resp *oidc.IntrospectionResponse, t *store.OIDCToken) error {
	info := new(oidc.UserInfo)
	if err := s.p.claims(ctx, info, t.AccountID, t.Scopes, t.SID, time.Time{}, nil); err != nil {
		return err
	}
	resp.SetUserInfo(info)
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("oidc: JWT profile not supported")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("oidc: JWT profile not supported")
}

func (s *storage) Health(ctx context.Context) error { return s.p.DB.Ping(ctx) }
