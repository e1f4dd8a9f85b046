package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// authURL is an authorization request of r with params changed (a value
// "" deletes it).
func (r *rp) authURL(change map[string]string) string {
	u, _ := url.Parse(r.conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	q := u.Query()
	for k, v := range change {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return strings.TrimPrefix(u.String(), r.p.env["PFORTE_BASE_URL"])
}

// redirectError follows an authorization request to the service and
// returns the error it was given there ("" when a code came).
func (r *rp) redirectError(c *http.Client, path string) (string, url.Values) {
	r.t.Helper()
	f := &flow{}
	pg := r.follow(c, f, path)
	if f.Callback == nil {
		r.t.Fatalf("%s: no redirect to the service: %d %q", path, pg.Status, pg.Code())
	}
	q := f.Callback.Query()
	return q.Get("error"), q
}

func TestServiceRefusals(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		addr := "kai@example.de"
		p.signUp(addr, goodPW)
		r := newRP(t, p, "portal-a")
		anon := p.newClient()

		// The command refuses an existing ID and malformed addresses, and
		// prints nothing on stdout then.
		for _, args := range [][]string{
			{"clients", "add", "portal-a", "--name", "Doppelt", "--redirect-uri", "https://x.example/cb"},
			{"clients", "add", "neu", "--name", "Neu", "--redirect-uri", "/relativ"},
			{"clients", "add", "neu", "--name", "Neu", "--redirect-uri", "https://x.example/cb#frag"},
			{"clients", "add", "neu", "--redirect-uri", "https://x.example/cb"},
			{"clients", "add", "neu", "--name", "Neu"},
			{"clients", "add", "neu/x", "--name", "Neu", "--redirect-uri", "https://x.example/cb"},
		} {
			if out, _, err := p.cli(args...); err == nil || out != "" {
				t.Errorf("%v: %v %q", args, err, out)
			}
		}
		if list, _, _ := p.cli("clients", "list"); !strings.HasPrefix(list, "portal-a\tDienst portal-a\tconfidential\t"+r.srv.URL+"/callback\n") {
			t.Errorf("clients list: %q", list)
		}

		// Never a redirect for an unknown client or an unregistered URI.
		for name, path := range map[string]string{
			"unknown client":     r.authURL(map[string]string{"client_id": "gibtsnicht"}),
			"foreign redirect":   r.authURL(map[string]string{"redirect_uri": "https://evil.example/cb"}),
			"redirect with more": r.authURL(map[string]string{"redirect_uri": r.srv.URL + "/callback?x=1"}),
			"no client":          r.authURL(map[string]string{"client_id": ""}),
			"no redirect":        r.authURL(map[string]string{"redirect_uri": ""}),
		} {
			pg := p.get(anon, path)
			if pg.Status != 400 || pg.Code() != "bad-request" || pg.Header.Get("Location") != "" {
				t.Errorf("%s: %d %q %s", name, pg.Status, pg.Code(), pg.Header.Get("Location"))
			}
		}
		// Other errors go back to the service, with state.
		for name, c := range map[string]struct {
			change map[string]string
			want   string
		}{
			"malformed max_age": {map[string]string{"max_age": "abc"}, "invalid_request"},
			"implicit":          {map[string]string{"response_type": "token"}, "unauthorized_client"},
			"plain PKCE":        {map[string]string{"code_challenge_method": "plain"}, "invalid_request"},
			"PKCE no method":    {map[string]string{"code_challenge_method": ""}, "invalid_request"},
			"no openid":         {map[string]string{"scope": "email"}, "invalid_scope"},
			"no scope":          {map[string]string{"scope": ""}, "invalid_request"},
			"prompt=none":       {map[string]string{"prompt": "none"}, "login_required"},
			"request object":    {map[string]string{"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"},
		} {
			got, q := r.redirectError(anon, r.authURL(c.change))
			if got != c.want || q.Get("state") != "st" {
				t.Errorf("%s: error %q state %q, want %q", name, got, q.Get("state"), c.want)
			}
		}
		// A logout naming its parameters twice: Pforte's page.
		if pg := p.get(anon, "/oidc/abmelden?client_id=portal-a&client_id=x"); pg.Status != 400 || pg.Code() != "bad-request" {
			t.Errorf("doubled logout parameter: %d %q", pg.Status, pg.Code())
		}
		// A forged id_token_hint is no hint: a member with a session is asked.
		if pg := p.get(p.login(addr, goodPW), "/oidc/abmelden?id_token_hint=e30.e30.e30"); pg.Status != 200 || !strings.Contains(pg.Body, `action="/oidc/abmelden"`) {
			t.Errorf("forged hint: %d %q", pg.Status, pg.Code())
		}
		// A stale or forged resume link: Pforte's page.
		if pg := p.get(anon, "/anmelden/dienst?id=erfunden"); pg.Status != 400 || pg.Code() != "bad-request" {
			t.Errorf("forged resume: %d %q", pg.Status, pg.Code())
		}

		// prompt=none with a live session answers at once; prompt=login
		// and a passed max_age ask for the password again.
		c := p.login(addr, goodPW)
		if got, q := r.redirectError(c, r.authURL(map[string]string{"prompt": "none"})); got != "" || q.Get("code") == "" {
			t.Errorf("prompt=none with session: %q", got)
		}
		for _, change := range []map[string]string{{"prompt": "login"}, {"max_age": "1"}} {
			waitMs(1100) // the session is older than max_age now
			f, pg := r.authorize(c, mapOpts(change)...)
			if f.Login == "" || pg.Status != 200 {
				t.Fatalf("%v: no login page", change)
			}
			r.login(c, f, addr, goodPW)
			if _, idt := r.exchange(f); claimsOf(t, idt).AuthTime < timeNow()-5 {
				t.Errorf("%v: auth_time not fresh", change)
			}
		}

		// The token endpoint: RFC 6749 §5.2 JSON, never a page or a 500.
		tokenURL := r.provider.Endpoint().TokenURL
		for name, c := range map[string]struct {
			form   url.Values
			basic  [2]string
			status int
			want   string
		}{
			"wrong secret":  {url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {r.conf.RedirectURL}}, [2]string{r.ID, "falsch"}, 401, "invalid_client"},
			"unknown code":  {url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {r.conf.RedirectURL}}, [2]string{r.ID, r.Secret}, 400, "invalid_grant"},
			"no code":       {url.Values{"grant_type": {"authorization_code"}}, [2]string{r.ID, r.Secret}, 400, "invalid_request"},
			"no grant":      {url.Values{}, [2]string{r.ID, r.Secret}, 400, "invalid_request"},
			"other grant":   {url.Values{"grant_type": {"password"}, "username": {addr}, "password": {goodPW}}, [2]string{r.ID, r.Secret}, 400, "unsupported_grant_type"},
			"client creds":  {url.Values{"grant_type": {"client_credentials"}}, [2]string{r.ID, r.Secret}, 400, "unsupported_grant_type"},
			"bad refresh":   {url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, [2]string{r.ID, r.Secret}, 400, "invalid_grant"},
			"post, no auth": {url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {r.ID}, "client_secret": {"falsch"}}, [2]string{}, 401, "invalid_client"},
		} {
			status, body := postForm(t, tokenURL, c.form, c.basic)
			if status != c.status || body["error"] != c.want {
				t.Errorf("token %s: %d %v, want %d %s", name, status, body, c.status, c.want)
			}
		}
		// Introspection and revocation want the client too.
		var meta struct {
			Introspection string `json:"introspection_endpoint"`
			Revocation    string `json:"revocation_endpoint"`
		}
		r.provider.Claims(&meta)
		if status, body := postForm(t, meta.Introspection, url.Values{"token": {"x"}}, [2]string{}); status != 401 || body["error"] != "invalid_client" {
			t.Errorf("introspection without client: %d %v", status, body)
		}
		if status, body := postForm(t, meta.Introspection, url.Values{"token": {"x"}}, [2]string{r.ID, r.Secret}); status != 200 || body["active"] != false {
			t.Errorf("introspection of junk: %d %v", status, body)
		}
		if status, _ := postForm(t, meta.Revocation, url.Values{"token": {"x"}}, [2]string{r.ID, r.Secret}); status != 200 {
			t.Errorf("revocation of junk: %d", status)
		}

		// Revocation (RFC 7009): a refresh token takes its grant with it.
		f, _ := r.authorize(c)
		tok, _ := r.exchange(f)
		if status, _ := postForm(t, meta.Revocation, url.Values{"token": {tok.RefreshToken}, "client_id": {r.ID}, "client_secret": {r.Secret}}, [2]string{}); status != 200 {
			t.Fatalf("revoke: %d", status)
		}
		if _, err := r.refresh(tok.RefreshToken); !isGrantError(err) {
			t.Errorf("revoked refresh token: %v", err)
		}
		if in := r.introspect(tok.AccessToken, true); in["active"] != false {
			t.Errorf("access token of a revoked grant: %v", in)
		}

		// A new secret: the old one stops working.
		f, _ = r.authorize(c)
		tok, _ = r.exchange(f)
		out, _, err := p.cli("clients", "rotate-secret", r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.refresh(tok.RefreshToken); err == nil {
			t.Error("old secret still works")
		}
		r.conf.ClientSecret, r.Secret = strings.TrimSpace(out), strings.TrimSpace(out)
		if _, err := r.refresh(tok.RefreshToken); err != nil {
			t.Errorf("new secret: %v", err)
		}

		// A removed client's tokens stop working at once.
		f, _ = r.authorize(c)
		tok, _ = r.exchange(f)
		if _, err := r.userinfo(tok.AccessToken); err != nil {
			t.Fatal(err)
		}
		if _, _, err := p.cli("clients", "remove", r.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := r.userinfo(tok.AccessToken); err == nil {
			t.Error("removed client's token answered at userinfo")
		}
		if list, _, _ := p.cli("clients", "list"); strings.Contains(list, r.ID) {
			t.Errorf("removed client listed: %s", list)
		}
		if _, errOut, err := p.cli("clients", "remove", r.ID); err == nil {
			t.Errorf("removing twice: %s", errOut)
		}
	})
}

func mapOpts(m map[string]string) []oauth2.AuthCodeOption {
	var out []oauth2.AuthCodeOption
	for k, v := range m {
		out = append(out, oauth2.SetAuthURLParam(k, v))
	}
	return out
}

func postForm(t *testing.T, endpoint string, form url.Values, basic [2]string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", endpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic[0] != "" {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil && res.StatusCode != 200 {
		t.Errorf("%s: %d not JSON: %v", endpoint, res.StatusCode, err)
	}
	if res.StatusCode >= 500 {
		t.Errorf("%s: %d", endpoint, res.StatusCode)
	}
	return res.StatusCode, out
}

// Services for businesses: no link, no code but the forbidden page with
// the way to a PIN; with a link, the businesses claim names it.
func TestServiceForBusinesses(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		if _, errOut, err := p.cli("businesses", "import", registerFile(t, "register.csv", registerCSV)); err != nil {
			t.Fatalf("import: %v %s", err, errOut)
		}
		addr := "meisterin@example.de"
		p.signUp(addr, goodPW)
		r := newRP(t, p, "betriebsdienst", "--require-business", "--launch-url", "https://betrieb.example/start")
		c := p.login(addr, goodPW)
		_, pg := r.authorize(c)
		if pg.Status != 403 || pg.Code() != "forbidden" || !strings.Contains(pg.Body, `href="/betrieb/pin-beantragen"`) {
			t.Fatalf("without a business: %d %q", pg.Status, pg.Code())
		}
		if got, _ := r.redirectError(c, r.authURL(map[string]string{"prompt": "none"})); got != "access_denied" {
			t.Errorf("prompt=none without a business: %q", got)
		}
		if k := p.get(c, "/konto"); strings.Contains(k.Body, "https://betrieb.example/start") {
			t.Error("/konto offers a business service to an account without business")
		}
		pin := p.issuePIN("4712")
		if pg := p.post(c, "/betrieb/verknuepfen", url.Values{"business": {"4712"}, "pin": {pin}}); pg.Status != 303 {
			t.Fatalf("link: %d %q", pg.Status, pg.Code())
		}
		f, _ := r.authorize(c)
		tok, idt := r.exchange(f)
		bs := claimsOf(t, idt).Businesses
		if len(bs) != 1 || bs[0]["number"] != "4712" || bs[0]["name"] != "Zimmerei Anders" {
			t.Fatalf("businesses claim: %v", bs)
		}
		if pg := p.get(c, "/betrieb/4712/"); !strings.Contains(pg.Body, "https://betrieb.example/start") {
			t.Error("/betrieb/4712/ does not list the service")
		}
		// Userinfo tells what is true now: an unlinked business is gone
		// (for a service for everyone; the one for businesses loses its
		// grant with the last link).
		all := newRP(t, p, "allgemein")
		f, _ = all.authorize(c)
		allTok, _ := all.exchange(f)
		p.post(c, "/betrieb/4712/trennen", nil)
		info, err := all.userinfo(allTok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if list, ok := info["businesses"].([]any); !ok || len(list) != 0 {
			t.Fatalf("userinfo after unlink: %v", info["businesses"])
		}
		if _, err := r.userinfo(tok.AccessToken); err == nil {
			t.Fatal("the service for businesses still answered after the last unlink")
		}
		// Keys rotate: new tokens carry the new key, old ones still verify.
		if _, _, err := p.cli("keys", "rotate"); err != nil {
			t.Fatal(err)
		}
		if _, err := r.verifier.Verify(context.Background(), tok.Extra("id_token").(string)); err != nil {
			t.Errorf("token of the previous key: %v", err)
		}

		// A public client (a browser or mobile app): no secret, PKCE required.
		pub := newRP(t, p, "app", "--public")
		if pub.Secret != "" {
			t.Fatalf("public client got a secret: %q", pub.Secret)
		}
		if got, _ := pub.redirectError(c, pub.authURL(map[string]string{"code_challenge": "", "code_challenge_method": ""})); got != "invalid_request" {
			t.Errorf("public client without PKCE: %q", got)
		}
		f, _ = pub.authorize(c)
		ptok, _ := pub.exchange(f)
		if _, err := pub.refresh(ptok.RefreshToken); err != nil {
			t.Errorf("public refresh: %v", err)
		}
		if _, _, err := p.cli("clients", "rotate-secret", "app"); err == nil {
			t.Error("a public client got a secret")
		}
	})
}
