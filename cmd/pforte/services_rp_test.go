package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"pforte"
)

// rp is a relying party built from software we did not write: go-oidc
// (discovery, JWKS, ID token checks) and x/oauth2 (code flow, PKCE,
// refresh). Its server takes the redirect and the back-channel logouts.
type rp struct {
	t        testing.TB
	p        *portal
	ID       string
	Secret   string
	srv      *httptest.Server
	provider *gooidc.Provider
	conf     oauth2.Config
	verifier *gooidc.IDTokenVerifier

	mu      sync.Mutex
	logouts []string
	// failLogouts makes the back-channel endpoint answer 503.
	failLogouts bool
}

// newRP registers a service with `pforte clients add` (extra flags
// appended) and discovers the provider.
func newRP(t testing.TB, p *portal, id string, extra ...string) *rp {
	t.Helper()
	r := &rp{t: t, p: p, ID: id}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /backchannel", func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.failLogouts {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		r.logouts = append(r.logouts, req.PostFormValue("logout_token"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("rp")) })
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	args := append([]string{"clients", "add", id, "--name", "Dienst " + id, "--redirect-uri", r.srv.URL + "/callback",
		"--post-logout-redirect-uri", r.srv.URL + "/bye", "--backchannel-logout-uri", r.srv.URL + "/backchannel"}, extra...)
	out, errOut, err := p.cli(args...)
	if err != nil {
		t.Fatalf("clients add: %v\n%s", err, errOut)
	}
	r.Secret = strings.TrimSpace(out)
	r.provider, err = gooidc.NewProvider(context.Background(), p.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	r.conf = oauth2.Config{ClientID: id, ClientSecret: r.Secret, Endpoint: r.provider.Endpoint(),
		RedirectURL: r.srv.URL + "/callback", Scopes: []string{gooidc.ScopeOpenID, "email", "businesses", gooidc.ScopeOfflineAccess}}
	r.verifier = r.provider.Verifier(&gooidc.Config{ClientID: id})
	return r
}

// flow is one authorization request of the browser c.
type flow struct {
	state, nonce, verifier string
	// Login is the login page the browser was sent to ("" for SSO).
	Login string
	// Callback is the redirect back to the service.
	Callback *url.URL
}

// authorize starts the code flow with PKCE and follows the redirects in
// Pforte until the service's callback or a Pforte page.
func (r *rp) authorize(c *http.Client, opts ...oauth2.AuthCodeOption) (*flow, page) {
	r.t.Helper()
	f := &flow{state: randomHex(), nonce: randomHex(), verifier: oauth2.GenerateVerifier()}
	opts = append(opts, gooidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier))
	return f, r.follow(c, f, r.conf.AuthCodeURL(f.state, opts...))
}

func (r *rp) follow(c *http.Client, f *flow, loc string) page {
	r.t.Helper()
	for range 10 {
		if strings.HasPrefix(loc, r.srv.URL) {
			f.Callback, _ = url.Parse(loc)
			return page{}
		}
		pg := r.p.get(c, loc)
		next := pg.Header.Get("Location")
		if pg.Status/100 != 3 || next == "" {
			return pg
		}
		if strings.HasPrefix(next, "/anmelden?") {
			f.Login = next
			return r.p.get(c, next)
		}
		loc = next
	}
	r.t.Fatal("too many redirects")
	return page{}
}

// login signs the browser in on the login page the flow was sent to and
// follows on to the service.
func (r *rp) login(c *http.Client, f *flow, addr, pw string) {
	r.t.Helper()
	u, _ := url.Parse(f.Login)
	pg := r.p.post(c, "/anmelden", url.Values{"email": {addr}, "password": {pw}, "next": {u.Query().Get("next")}})
	if pg.Status != 303 {
		r.t.Fatalf("login for service: %d %q", pg.Status, pg.Code())
	}
	r.follow(c, f, pg.Header.Get("Location"))
	if f.Callback == nil {
		r.t.Fatal("login did not lead back to the service")
	}
}

// exchange trades the flow's code for tokens and checks the ID token.
func (r *rp) exchange(f *flow) (*oauth2.Token, *gooidc.IDToken) {
	r.t.Helper()
	q := f.Callback.Query()
	if q.Get("state") != f.state {
		r.t.Fatalf("state %q, want %q (%s)", q.Get("state"), f.state, f.Callback)
	}
	tok, err := r.conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(f.verifier))
	if err != nil {
		r.t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := r.verifier.Verify(context.Background(), raw)
	if err != nil {
		r.t.Fatalf("ID token: %v", err)
	}
	if idt.Nonce != f.nonce {
		r.t.Fatalf("nonce %q, want %q", idt.Nonce, f.nonce)
	}
	return tok, idt
}

// refresh presents a refresh token and returns the new tokens.
func (r *rp) refresh(refresh string) (*oauth2.Token, error) {
	return r.conf.TokenSource(context.Background(), &oauth2.Token{RefreshToken: refresh, Expiry: time.Now().Add(-time.Minute)}).Token()
}

// waitLogout waits (up to 30 s, the contract's bound) for a back-channel
// logout and checks it as a service would: signature through the JWKS,
// issuer, audience, the event, and sid.
func (r *rp) waitLogout(sid string) {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		got := append([]string(nil), r.logouts...)
		r.mu.Unlock()
		for _, raw := range got {
			lt, err := r.verifier.Verify(context.Background(), raw)
			if err != nil {
				r.t.Fatalf("logout token: %v", err)
			}
			var c struct {
				SID    string                     `json:"sid"`
				Nonce  *string                    `json:"nonce"`
				Events map[string]json.RawMessage `json:"events"`
			}
			lt.Claims(&c)
			if _, ok := c.Events["http://schemas.openid.net/event/backchannel-logout"]; !ok || c.Nonce != nil || lt.Subject == "" {
				r.t.Fatalf("logout token claims: %+v", c)
			}
			if c.SID == sid {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.t.Fatalf("no back-channel logout for sid %s within 30 s", sid)
}

func (r *rp) logoutCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.logouts)
}

func randomHex() string {
	raw, _ := pforte.NewSecret()
	return raw
}

// claimsOf decodes an ID token's claims.
type idClaims struct {
	Sub           string           `json:"sub"`
	Email         string           `json:"email"`
	EmailVerified bool             `json:"email_verified"`
	Businesses    []map[string]any `json:"businesses"`
	AuthTime      int64            `json:"auth_time"`
	AMR           []string         `json:"amr"`
	SID           string           `json:"sid"`
}

func claimsOf(t *testing.T, idt *gooidc.IDToken) idClaims {
	t.Helper()
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// introspect asks the introspection endpoint, the client authenticated
// with client_secret_post (basic=false) or client_secret_basic.
func (r *rp) introspect(token string, basic bool) map[string]any {
	r.t.Helper()
	var meta struct {
		Introspection string `json:"introspection_endpoint"`
	}
	r.provider.Claims(&meta)
	form := url.Values{"token": {token}}
	if !basic {
		form.Set("client_id", r.ID)
		form.Set("client_secret", r.Secret)
	}
	req, _ := http.NewRequest("POST", meta.Introspection, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(url.QueryEscape(r.ID), url.QueryEscape(r.Secret))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode != 200 {
		r.t.Fatalf("introspection: %d %v", res.StatusCode, out)
	}
	return out
}

// userinfo asks the userinfo endpoint with an access token.
func (r *rp) userinfo(access string) (map[string]any, error) {
	info, err := r.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: access, TokenType: "Bearer"}))
	if err != nil {
		return nil, err
	}
	var out map[string]any
	info.Claims(&out)
	return out, nil
}
