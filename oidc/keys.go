package oidc

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"pforte"
	"pforte/store"
)

// sealPurpose names the private signing keys to the keyring.
const sealPurpose = "oidc-signing-key"

// keyOverlap is how long a replaced key stays in the JWKS: every token it
// signed has expired by then (ID tokens live AccessTTL, logout tokens
// logoutTTL), with a minute to spare for clocks.
func (p *Provider) keyOverlap() time.Duration {
	return max(p.AccessTTL, logoutTTL) + clockSlack
}

type signingKey struct {
	kid string
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.kid }

type publicKey struct {
	kid string
	key any
}

func (k publicKey) ID() string                         { return k.kid }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key }

// newKey makes an RSA key (2048 bits, RS256), its private half sealed.
func (p *Provider) newKey() (store.OIDCKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return store.OIDCKey{}, err
	}
	var id [8]byte
	rand.Read(id[:])
	kid := hex.EncodeToString(id[:])
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return store.OIDCKey{}, err
	}
	sealed, err := p.Keys.Seal(der, sealPurpose)
	if err != nil {
		return store.OIDCKey{}, err
	}
	pub, err := (&jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"}).MarshalJSON()
	if err != nil {
		return store.OIDCKey{}, err
	}
	return store.OIDCKey{KID: kid, PrivateKey: sealed, PublicJWK: string(pub), Active: true, CreatedAt: p.now()}, nil
}

// EnsureKey makes the first signing key if there is none. Instances that
// start together make one: the store keeps only one active key.
func (p *Provider) EnsureKey(ctx context.Context) error {
	keys, err := p.DB.Q().OIDCKeys(ctx, p.now().Add(-p.keyOverlap()))
	if err != nil {
		return err
	}
	if len(keys) > 0 && keys[0].Active {
		return nil
	}
	k, err := p.newKey()
	if err != nil {
		return err
	}
	_, err = p.DB.Q().InsertOIDCKey(ctx, k)
	return err
}

// RotateKey makes a new key that signs from now on; the previous one stays
// in the JWKS for keyOverlap. It returns the new key's id.
func (p *Provider) RotateKey(ctx context.Context) (string, error) {
	k, err := p.newKey()
	if err != nil {
		return "", err
	}
	err = p.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.RetireOIDCKey(ctx, k.CreatedAt); err != nil {
			return err
		}
		ok, err := tx.InsertOIDCKey(ctx, k)
		if err == nil && !ok {
			err = errors.New("keys rotate: key not stored")
		}
		if err != nil {
			return err
		}
		return tx.Audit(ctx, pforte.AuditEntry{At: k.CreatedAt, Event: pforte.EventOIDCKeyRotated, Client: operator,
			Detail: "neuer Schlüssel " + k.KID})
	})
	return k.KID, err
}

// signingKey returns the active key, parsed once per process.
func (p *Provider) signingKey(ctx context.Context) (signingKey, error) {
	keys, err := p.DB.Q().OIDCKeys(ctx, p.now().Add(-p.keyOverlap()))
	if err != nil {
		return signingKey{}, err
	}
	if len(keys) == 0 || !keys[0].Active {
		return signingKey{}, errors.New("oidc: no signing key (EnsureKey not run)")
	}
	k := keys[0]
	if v, ok := p.parsed.Load(k.KID); ok {
		return v.(signingKey), nil
	}
	der, err := p.Keys.Open(k.PrivateKey, sealPurpose)
	if err != nil {
		return signingKey{}, fmt.Errorf("signing key %s: %w", k.KID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return signingKey{}, err
	}
	rk, ok := priv.(*rsa.PrivateKey)
	if !ok {
		return signingKey{}, errors.New("signing key is not RSA")
	}
	sk := signingKey{kid: k.KID, key: rk}
	p.parsed.Store(k.KID, sk)
	return sk, nil
}

// keySet is the published keys: the active one and those in their overlap.
func (p *Provider) keySet(ctx context.Context) ([]op.Key, error) {
	keys, err := p.DB.Q().OIDCKeys(ctx, p.now().Add(-p.keyOverlap()))
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, 0, len(keys))
	for _, k := range keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON([]byte(k.PublicJWK)); err != nil {
			return nil, fmt.Errorf("public key %s: %w", k.KID, err)
		}
		out = append(out, publicKey{kid: k.KID, key: jwk.Key})
	}
	return out, nil
}

// Reseal moves every private signing key to the operator's current key
// in tx (after a change of PFORTE_SECRET_KEY), and returns how many moved.
func (p *Provider) Reseal(ctx context.Context, tx *store.Tx) (int, error) {
	return tx.ResealOIDCKeys(ctx, func(v string) (string, bool, error) { return p.Keys.Reseal(v, sealPurpose) })
}
