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

func (s *storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	id, _, exp, err := s.issue(ctx, req, "", false)
	return id, exp, err
}

func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	return s.issue(ctx, req, current, true)
}

// issue stores the tokens of a code exchange (the code used up in the same
// transaction) or of a refresh (the presented token rotated, the session
// touched), bound to the session of the grant.
func (s *storage) issue(ctx context.Context, req op.TokenRequest, current string, withRefresh bool) (string, string, time.Time, error) {
	p := s.p
	now := p.now()
	var base store.OIDCToken
	var ar *authRequest
	switch r := req.(type) {
	case *authRequest:
		ar = r
		base = store.OIDCToken{GrantHash: r.row.Hash, ClientID: r.row.ClientID, AccountID: r.row.AccountID,
			SessionHash: r.row.SessionHash, SID: r.row.SID, Scopes: r.p.Scopes, AuthTime: r.row.AuthTime, AMR: r.row.AMR}
	case *refreshRequest:
		base = r.tok
		base.Scopes = r.scopes
	default:
		return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	st, err := p.DB.Q().SessionByHash(ctx, base.SessionHash)
	if err != nil || !p.Sessions.Alive(st) {
		return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("the session has ended")
	}
	accessID, accessHash := pforte.NewSecret()
	refresh, refreshHash := "", ""
	if withRefresh {
		refresh, refreshHash = pforte.NewSecret()
	}
	exp := now.Add(p.AccessTTL)
	var reused bool
	err = p.DB.Tx(ctx, func(tx *store.Tx) error {
		reused = false
		if ar != nil {
			ok, err := tx.ExchangeOIDCCode(ctx, ar.row.Hash, now)
			if err != nil {
				return err
			}
			if !ok {
				reused = true
				return nil
			}
			had, err := tx.HasOIDCTokens(ctx, base.ClientID, base.SessionHash)
			if err != nil {
				return err
			}
			if !had {
				if err := tx.Audit(ctx, pforte.AuditEntry{At: now, Event: pforte.EventOIDCSignIn, AccountID: base.AccountID, Client: clientAddr(ctx),
					Detail: "Dienst " + base.ClientID}); err != nil {
					return err
				}
			}
		} else {
			ok, err := tx.UseOIDCRefresh(ctx, pforte.HashSecret(current), now)
			if err != nil {
				return err
			}
			if !ok {
				reused = true
				return nil
			}
			if err := tx.TouchSession(ctx, base.SessionHash, now); err != nil {
				return err
			}
		}
		t := base
		t.Kind, t.Hash, t.CreatedAt, t.ExpiresAt, t.Used = "access", accessHash, now, exp, false
		if err := tx.InsertOIDCToken(ctx, t); err != nil {
			return err
		}
		if withRefresh {
			t.Kind, t.Hash, t.ExpiresAt = "refresh", refreshHash, st.ExpiresAt
			return tx.InsertOIDCToken(ctx, t)
		}
		return nil
	})
	if err != nil {
		return "", "", time.Time{}, err
	}
	if reused {
		if ar != nil {
			p.codeReused(ctx, &ar.row)
		} else {
			p.refreshReused(ctx, base)
		}
		return "", "", time.Time{}, oidc.ErrInvalidGrant()
	}
	p.count("access")
	if withRefresh {
		p.count("refresh")
	}
	return accessID, refresh, exp, nil
}

func (p *Provider) count(kind string) {
	if p.CountToken != nil {
		p.CountToken(kind)
	}
}

func (p *Provider) refused() {
	if p.CountRefused != nil {
		p.CountRefused()
	}
}

// refreshReused ends the session a replayed refresh token came from, and
// with it every token of the session (and the services get their logout).
func (p *Provider) refreshReused(ctx context.Context, t store.OIDCToken) {
	p.refused()
	err := p.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteSession(ctx, t.SessionHash); err != nil {
			return err
		}
		return tx.Audit(ctx, pforte.AuditEntry{At: p.now(), Event: pforte.EventOIDCRefreshReused, AccountID: t.AccountID, Client: clientAddr(ctx),
			Detail: "Dienst " + t.ClientID + "; Sitzung beendet"})
	})
	if err != nil {
		p.Log.Warn("end session after refresh reuse", "err", err)
	}
}

// TokenRequestByRefreshToken accepts a refresh token only while its
// session is alive; a used one ends the session.
func (s *storage) TokenRequestByRefreshToken(ctx context.Context, raw string) (op.RefreshTokenRequest, error) {
	p := s.p
	t, err := p.DB.Q().OIDCTokenByHash(ctx, "refresh", pforte.HashSecret(raw))
	if err != nil {
		p.refused()
		return nil, errInvalid
	}
	if t.Used {
		p.refreshReused(ctx, *t)
		return nil, errInvalid
	}
	if _, err := p.liveSession(ctx, t); err != nil {
		p.refused()
		return nil, err
	}
	sub, err := p.subject(ctx, t.AccountID)
	if err != nil {
		return nil, err
	}
	return &refreshRequest{raw: raw, tok: *t, sub: sub, scopes: t.Scopes}, nil
}

// liveSession returns the session of a token if it is alive and the token
// has not expired. A session found timed out is ended at once, so that the
// services get their logout now rather than at the next sweep.
func (p *Provider) liveSession(ctx context.Context, t *store.OIDCToken) (*store.StoredSession, error) {
	if !p.now().Before(t.ExpiresAt) {
		return nil, errInvalid
	}
	st, err := p.DB.Q().SessionByHash(ctx, t.SessionHash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalid
	}
	if err != nil {
		return nil, err
	}
	if !p.Sessions.Alive(st) {
		if err := p.DB.Q().DeleteSession(ctx, st.Hash); err != nil {
			return nil, err
		}
		return nil, errInvalid
	}
	return st, nil
}

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
// access token of a live session.
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, _, _ string) error {
	t, err := s.p.activeAccess(ctx, tokenID)
	if err != nil {
		return err
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
