package oidc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/crypto"

	"pforte"
	"pforte/store"
)

// backchannelEvent is the event a logout token carries (Back-Channel
// Logout 1.0 §2.4).
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// Logouts delivers back-channel logouts: it leases one queued logout at a
// time (so that of several instances only one sends it), posts the signed
// logout token to the service, and retries failures with growing pauses
// like the mail worker, giving up after MaxAttempts.
type Logouts struct {
	P *Provider
	// Client posts the logout tokens; nil: one with a 10 s timeout.
	Client *http.Client
	// Poll is the pause between looks at the queue (a few seconds: the
	// contract wants the logout out within 30 s).
	Poll time.Duration
	// RetryBase is the pause before the first retry, doubling to an hour.
	RetryBase   time.Duration
	MaxAttempts int
	// Failed counts a logout given up (may be nil).
	Failed func()

	wakeOnce sync.Once
	wake     chan struct{}
}

func (l *Logouts) wakeChan() chan struct{} {
	l.wakeOnce.Do(func() { l.wake = make(chan struct{}, 1) })
	return l.wake
}

// Wake makes the worker look at the queue now.
func (l *Logouts) Wake() {
	select {
	case l.wakeChan() <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends.
func (l *Logouts) Run(ctx context.Context) {
	poll := l.Poll
	if poll <= 0 {
		poll = 2 * time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			done, err := l.DeliverOne(ctx)
			if err != nil && ctx.Err() == nil {
				l.P.Log.Warn("back-channel logout queue", "err", err)
			}
			if !done {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-l.wakeChan():
		}
	}
}

// DeliverOne sends the oldest due logout; false when none was due.
func (l *Logouts) DeliverOne(ctx context.Context) (bool, error) {
	p := l.P
	now := p.now()
	item, err := p.DB.Q().ClaimOIDCLogout(ctx, now, time.Minute)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	sendErr := l.send(ctx, item)
	now = p.now()
	if sendErr == nil {
		if err := p.DB.Q().MarkOIDCLogoutSent(ctx, item.ID, now); err != nil {
			return true, err
		}
		return true, p.DB.Q().Audit(ctx, pforte.AuditEntry{At: now, Event: pforte.EventOIDCLogoutSent,
			AccountID: item.AccountID, Client: hostOf(item.URI), Detail: "Dienst " + item.ClientID})
	}
	max := l.MaxAttempts
	if max <= 0 {
		max = 12
	}
	var next time.Time
	if item.Attempts < max {
		base := l.RetryBase
		if base <= 0 {
			base = 30 * time.Second
		}
		next = now.Add(min(base<<min(item.Attempts-1, 20), time.Hour))
	}
	reason := sendErr.Error()
	if len(reason) > 300 {
		reason = reason[:300]
	}
	if err := p.DB.Q().RetryOIDCLogout(ctx, item.ID, next, reason, now); err != nil {
		return true, err
	}
	if next.IsZero() {
		if l.Failed != nil {
			l.Failed()
		}
		return true, p.DB.Q().Audit(ctx, pforte.AuditEntry{At: now, Event: pforte.EventOIDCLogoutFailed,
			AccountID: item.AccountID, Client: hostOf(item.URI), Detail: "Dienst " + item.ClientID + ": " + reason})
	}
	return true, nil
}

// LogoutToken signs the logout token for sub and sid to client.
func (p *Provider) LogoutToken(ctx context.Context, clientID, sub, sid string) (string, error) {
	k, err := p.signingKey(ctx)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.key},
		(&jose.SignerOptions{}).WithType("logout+jwt").WithHeader(jose.HeaderKey("kid"), k.kid))
	if err != nil {
		return "", err
	}
	jti, _ := pforte.NewSecret()
	now := p.now()
	claims := map[string]any{
		"iss": p.Issuer, "aud": clientID, "iat": now.Unix(), "exp": now.Add(logoutTTL).Unix(), "jti": jti,
		"sub": sub, "sid": sid, "events": map[string]any{backchannelEvent: map[string]any{}},
	}
	return crypto.Sign(claims, signer)
}

func (l *Logouts) send(ctx context.Context, item *store.OIDCLogout) error {
	tok, err := l.P.LogoutToken(ctx, item.ClientID, item.Sub, item.SID)
	if err != nil {
		return err
	}
	c := l.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, item.URI,
		strings.NewReader(url.Values{"logout_token": {tok}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

// Sweep ends, for the services, the sessions that timed out while holding
// tokens: their logouts are queued now instead of when the browser comes
// back. serve runs it every few seconds.
func (p *Provider) Sweep(ctx context.Context) (int64, error) {
	now := p.now()
	return p.DB.Q().EndTimedOutOIDC(ctx, now.Add(-p.Sessions.Idle), now)
}

// Prune deletes what has run out: requests, stray tokens, old logouts.
func (p *Provider) Prune(ctx context.Context) error {
	now := p.now()
	if err := p.DB.Q().PruneOIDC(ctx, now); err != nil {
		return err
	}
	return p.DB.Q().PruneOIDCLogouts(ctx, now.Add(-30*24*time.Hour))
}

// hostOf names the service's server in the audit log.
func hostOf(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	return u.Host
}
