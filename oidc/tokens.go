package oidc

import (
	"context"
	"errors"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"pforte"
	"pforte/store"
)

// Issuing tokens: a code exchange or a refresh, each in one transaction,
// every token bound to the session of its grant.

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
	if err := p.mayHaveTokens(ctx, base.ClientID, base.AccountID); err != nil {
		return "", "", time.Time{}, err
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

// mayHaveTokens refuses (invalid_grant) new tokens of a service for
// businesses (--require-business) to an account that is linked to no
// business any more; Complete refuses the code before.
func (p *Provider) mayHaveTokens(ctx context.Context, clientID string, accountID int64) error {
	c, err := p.DB.Q().OIDCClientByID(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return oidc.ErrInvalidGrant().WithDescription("the service is gone")
	}
	if err != nil || !c.RequireBusiness {
		return err
	}
	linked, err := p.DB.Q().LinkedBusinesses(ctx, accountID)
	if err != nil {
		return err
	}
	if len(linked) == 0 {
		return oidc.ErrInvalidGrant().WithDescription("the service is for businesses only")
	}
	return nil
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
