package oidc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"pforte"
	"pforte/store"
)

// Business is one entry of the businesses claim.
type Business struct {
	Number string `json:"number"`
	Name   string `json:"name"`
}

// subject returns the account's sub: random, made on first use.
func (p *Provider) subject(ctx context.Context, accountID int64) (string, error) {
	var b [16]byte
	rand.Read(b[:])
	return p.DB.Q().OIDCSubject(ctx, accountID, hex.EncodeToString(b[:]))
}

// claims fills info for the account as it is now: sub, sid, email and
// email_verified (scope email), businesses (scope businesses), and — for
// userinfo, where op does not add them — auth_time and amr.
func (p *Provider) claims(ctx context.Context, info *oidc.UserInfo, accountID int64, scopes []string, sid string, authTime time.Time, amr []string) error {
	a, err := p.DB.Q().AccountByID(ctx, accountID)
	if err != nil {
		return err
	}
	sub, err := p.subject(ctx, accountID)
	if err != nil {
		return err
	}
	info.Subject = sub
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email = a.Email
		info.EmailVerified = oidc.Bool(a.Confirmed())
	}
	if slices.Contains(scopes, ScopeBusinesses) {
		linked, err := p.DB.Q().LinkedBusinesses(ctx, accountID)
		if err != nil {
			return err
		}
		list := make([]Business, 0, len(linked))
		for _, b := range linked {
			list = append(list, Business{Number: b.Number, Name: b.Name})
		}
		info.AppendClaims("businesses", list)
	}
	if sid != "" {
		info.AppendClaims("sid", sid)
	}
	if !authTime.IsZero() {
		info.AppendClaims("auth_time", authTime.Unix())
		info.AppendClaims("amr", amr)
	}
	return nil
}

// activeAccess returns the access token with id if it is alive: not
// expired, not revoked, its session alive.
func (p *Provider) activeAccess(ctx context.Context, tokenID string) (*store.OIDCToken, error) {
	t, err := p.DB.Q().OIDCTokenByHash(ctx, "access", pforte.HashSecret(tokenID))
	if err != nil {
		return nil, errInvalid
	}
	if _, err := p.liveSession(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

func (p *Provider) introspection(resp *oidc.IntrospectionResponse, t *store.OIDCToken) {
	resp.Scope = t.Scopes
	resp.ClientID = t.ClientID
	resp.TokenType = oidc.BearerToken
	resp.Expiration = oidc.FromTime(t.ExpiresAt)
	resp.IssuedAt = oidc.FromTime(t.CreatedAt)
	resp.AuthTime = oidc.FromTime(t.AuthTime)
	resp.AuthenticationMethodsReferences = amrList(t.AMR)
	resp.Audience = []string{t.ClientID}
	resp.Issuer = p.Issuer
}
