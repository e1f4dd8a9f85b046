package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"pforte"
	"pforte/store"
)

// operator is the audit log's client for the operator's commands.
const operator = pforte.ClientCLI

// clientID is what a client ID may be: it appears in URLs and logs.
var clientID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// checkURI accepts an absolute http(s) URI without fragment, as OpenID
// Connect asks of redirect URIs.
func checkURI(flag, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%s %q: erwartet eine absolute http(s)-Adresse ohne #Fragment", flag, raw)
	}
	return nil
}

// AddClient registers c (CONTRACT §6: pforte clients add) and returns the
// secret of a confidential client, which is stored only as a hash.
func (p *Provider) AddClient(ctx context.Context, c store.OIDCClient) (string, error) {
	if !clientID.MatchString(c.ID) {
		return "", fmt.Errorf("Client-ID %q: 1–64 Zeichen aus A–Z, a–z, 0–9, Punkt, Binde- und Unterstrich", c.ID)
	}
	if c.Name == "" {
		return "", errors.New("--name fehlt")
	}
	if len(c.RedirectURIs) == 0 {
		return "", errors.New("mindestens eine --redirect-uri nötig")
	}
	for _, u := range c.RedirectURIs {
		if err := checkURI("--redirect-uri", u); err != nil {
			return "", err
		}
	}
	for _, u := range c.PostLogoutURIs {
		if err := checkURI("--post-logout-redirect-uri", u); err != nil {
			return "", err
		}
	}
	for flag, u := range map[string]string{"--backchannel-logout-uri": c.BackchannelURI, "--launch-url": c.LaunchURL} {
		if u != "" {
			if err := checkURI(flag, u); err != nil {
				return "", err
			}
		}
	}
	secret := ""
	if !c.Public {
		secret, c.SecretHash = pforte.NewSecret()
	}
	c.CreatedAt = p.now()
	err := p.DB.Tx(ctx, func(tx *store.Tx) error {
		ok, err := tx.InsertOIDCClient(ctx, c)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("Client %q gibt es schon", c.ID)
		}
		return tx.Audit(ctx, pforte.AuditEntry{At: c.CreatedAt, Event: pforte.EventOIDCClientAdded, Client: operator, Detail: "Dienst " + c.ID})
	})
	return secret, err
}

// RemoveClient removes a client; its tokens stop working at once. by
// names who did it in the audit: zero for the command line, else the
// acting staff account, its client address and the reason it gave.
func (p *Provider) RemoveClient(ctx context.Context, id string, by pforte.AuditEntry) error {
	return p.DB.Tx(ctx, func(tx *store.Tx) error {
		ok, err := tx.DeleteOIDCClient(ctx, id)
		if err != nil {
			return err
		}
		if !ok {
			return pforte.Errorf(pforte.NotFound, "Den Dienst %q gibt es nicht.", id)
		}
		e := by
		e.At, e.Event, e.Detail = p.now(), pforte.EventOIDCClientRemoved, strings.TrimSpace("Dienst "+id+" "+by.Detail)
		if e.Client == "" {
			e.Client = operator
		}
		return tx.Audit(ctx, e)
	})
}

// RotateSecret gives a confidential client a new secret; the old one
// stops working.
func (p *Provider) RotateSecret(ctx context.Context, id string) (string, error) {
	secret, hash := pforte.NewSecret()
	err := p.DB.Tx(ctx, func(tx *store.Tx) error {
		ok, err := tx.SetOIDCClientSecret(ctx, id, hash)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("keinen vertraulichen Client %q gefunden", id)
		}
		return tx.Audit(ctx, pforte.AuditEntry{At: p.now(), Event: pforte.EventOIDCSecretRotated, Client: operator, Detail: "Dienst " + id})
	})
	return secret, err
}
