package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"pforte/store/storetest"
)

func TestServiceDiscoveryAndKeys(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		var d map[string]any
		pg := p.get(p.newClient(), "/.well-known/openid-configuration")
		if pg.Status != 200 || json.Unmarshal([]byte(pg.Body), &d) != nil {
			t.Fatalf("discovery: %d %s", pg.Status, pg.Body)
		}
		if d["issuer"] != p.env["PFORTE_BASE_URL"] || d["backchannel_logout_supported"] != true {
			t.Fatalf("issuer/backchannel: %v %v", d["issuer"], d["backchannel_logout_supported"])
		}
		want := map[string][]string{"response_types_supported": {"code"}, "code_challenge_methods_supported": {"S256"}}
		for k, v := range want {
			if got := strs(d[k]); !slices.Equal(got, v) {
				t.Errorf("%s = %v, want %v", k, got, v)
			}
		}
		for _, s := range []string{"openid", "email", "businesses", "offline_access"} {
			if !slices.Contains(strs(d["scopes_supported"]), s) {
				t.Errorf("scope %s not announced", s)
			}
		}
		if !slices.Contains(strs(d["id_token_signing_alg_values_supported"]), "RS256") {
			t.Error("RS256 not announced")
		}
		for _, k := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
			"revocation_endpoint", "introspection_endpoint", "end_session_endpoint"} {
			if s, _ := d[k].(string); !strings.HasPrefix(s, p.env["PFORTE_BASE_URL"]+"/") {
				t.Errorf("%s = %v", k, d[k])
			}
		}
		// A browser-based service may call the token endpoint (CORS).
		req, _ := http.NewRequest("OPTIONS", d["token_endpoint"].(string), nil)
		req.Header.Set("Origin", "https://app.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		if pg := p.do(p.newClient(), req); pg.Status/100 != 2 || pg.Header.Get("Access-Control-Allow-Origin") == "" {
			t.Errorf("CORS preflight: %d %v", pg.Status, pg.Header)
		}
		// One key, the same for every instance (it lives in the database);
		// a rotation adds one and keeps the old.
		kids := func() []string {
			var set struct {
				Keys []struct{ Kid, Kty, Use, Alg string }
			}
			json.Unmarshal([]byte(p.get(p.newClient(), d["jwks_uri"].(string)).Body), &set)
			var out []string
			for _, k := range set.Keys {
				if k.Kty != "RSA" || k.Use != "sig" || k.Alg != "RS256" {
					t.Fatalf("key %+v", k)
				}
				out = append(out, k.Kid)
			}
			return out
		}
		first := kids()
		if len(first) != 1 {
			t.Fatalf("keys at start: %v", first)
		}
		second := startPortal(t, p.DBURL, map[string]string{"PFORTE_DATA_DIR": p.env["PFORTE_DATA_DIR"]})
		var set struct{ Keys []struct{ Kid string } }
		json.Unmarshal([]byte(second.get(second.newClient(), "/oidc/schluessel").Body), &set)
		if len(set.Keys) != 1 || set.Keys[0].Kid != first[0] {
			t.Fatalf("second instance serves %v, first %v", set.Keys, first)
		}
		if _, _, err := p.cli("keys", "rotate"); err != nil {
			t.Fatal(err)
		}
		if after := kids(); len(after) != 2 || after[1] != first[0] {
			t.Fatalf("after rotation: %v (before %v)", after, first)
		}
	})
}

func strs(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestServiceSignInSSOAndTokens(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		addr := "ida@example.de"
		p.signUp(addr, goodPW)
		r := newRP(t, p, "lehrvertraege", "--launch-url", "https://lehrvertraege.example/")
		if r.Secret == "" || strings.Contains(r.Secret, "\n") {
			t.Fatalf("secret on stdout: %q", r.Secret)
		}
		c := p.newClient()

		// Without a session: Pforte's own login page, login_hint filled in.
		f, pg := r.authorize(c, oauth2.SetAuthURLParam("login_hint", addr))
		if f.Login == "" || pg.Status != 200 || hidden(pg.Body, "next") == "" || !strings.Contains(pg.Body, `value="`+addr+`"`) {
			t.Fatalf("no login page: %d %q", pg.Status, f.Login)
		}
		// Wrong password: Pforte's own error code, still for the service.
		u, _ := url.Parse(f.Login)
		if pg := p.post(c, "/anmelden", url.Values{"email": {addr}, "password": {otherPW}, "next": {u.Query().Get("next")}}); pg.Code() != "invalid-credentials" {
			t.Fatalf("wrong password: %d %q", pg.Status, pg.Code())
		}
		r.login(c, f, addr, goodPW)
		tok, idt := r.exchange(f)
		cl := claimsOf(t, idt)
		if cl.Sub == "" || strings.Contains(cl.Sub, "@") || cl.Email != addr || !cl.EmailVerified || cl.Businesses == nil ||
			len(cl.Businesses) != 0 || cl.AuthTime == 0 || !slices.Equal(cl.AMR, []string{"pwd"}) || cl.SID == "" {
			t.Fatalf("claims: %+v", cl)
		}
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token for offline_access")
		}
		info, err := r.userinfo(tok.AccessToken)
		if err != nil || info["sub"] != cl.Sub || info["email"] != addr || info["sid"] != cl.SID {
			t.Fatalf("userinfo: %v %v", info, err)
		}
		for _, basic := range []bool{true, false} {
			if in := r.introspect(tok.AccessToken, basic); in["active"] != true || in["sub"] != cl.Sub || in["client_id"] != r.ID {
				t.Fatalf("introspection (basic=%v): %v", basic, in)
			}
		}

		// The code is used up: a second use fails and revokes what the
		// first issued.
		if _, err := r.conf.Exchange(context.Background(), f.Callback.Query().Get("code"), oauth2.VerifierOption(f.verifier)); !isGrantError(err) {
			t.Fatalf("code replay: %v", err)
		}
		if in := r.introspect(tok.AccessToken, false); in["active"] != false {
			t.Fatalf("token of a replayed code still active: %v", in)
		}
		if _, err := r.refresh(tok.RefreshToken); !isGrantError(err) {
			t.Fatalf("refresh of a replayed code: %v", err)
		}

		// Single sign-on: the live session answers without a form, for
		// this service and another, with the same sub and sid.
		f2, _ := r.authorize(c)
		if f2.Login != "" || f2.Callback == nil {
			t.Fatalf("SSO showed a login page: %q", f2.Login)
		}
		tok2, idt2 := r.exchange(f2)
		if c2 := claimsOf(t, idt2); c2.Sub != cl.Sub || c2.SID != cl.SID || c2.AuthTime != cl.AuthTime {
			t.Fatalf("SSO claims %+v vs %+v", c2, cl)
		}
		other := newRP(t, p, "pruefungen")
		f3, _ := other.authorize(c)
		_, idt3 := other.exchange(f3)
		if claimsOf(t, idt3).Sub != cl.Sub {
			t.Fatal("sub differs between services")
		}
		if in := other.introspect(tok2.AccessToken, true); in["active"] != false {
			t.Fatalf("one service introspected another's token: %v", in)
		}

		// Refresh rotates; the new one works, the used one ends the session.
		tok3, err := r.refresh(tok2.RefreshToken)
		if err != nil || tok3.RefreshToken == "" || tok3.RefreshToken == tok2.RefreshToken {
			t.Fatalf("refresh: %v", err)
		}
		if _, err := r.verifier.Verify(context.Background(), tok3.Extra("id_token").(string)); err != nil {
			t.Fatalf("refreshed ID token: %v", err)
		}
		tok4, err := r.refresh(tok3.RefreshToken)
		if err != nil {
			t.Fatalf("second refresh: %v", err)
		}
		if _, err := r.refresh(tok3.RefreshToken); !isGrantError(err) {
			t.Fatalf("used refresh token accepted: %v", err)
		}
		if _, err := r.refresh(tok4.RefreshToken); !isGrantError(err) {
			t.Fatalf("refresh after replay: %v", err)
		}
		if pg := p.get(c, "/konto"); pg.Status != 303 {
			t.Fatalf("session survived a replayed refresh token: %d", pg.Status)
		}
		r.waitLogout(cl.SID)
		other.waitLogout(cl.SID)
		assertAudit(t, p, "oidc-sign-in", "oidc-code-reused", "oidc-refresh-reused", "oidc-logout-sent")

		// The metrics count tokens and refused refreshes, and the queue.
		m := p.get(p.newClient(), "/metrics").Body
		for _, want := range []string{`pforte_oidc_tokens_issued_total{kind="refresh"}`, "pforte_oidc_refresh_refused_total ",
			"pforte_oidc_logouts_pending ", "pforte_oidc_logouts_failed 0"} {
			if !strings.Contains(m, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		if strings.Contains(m, "pforte_oidc_refresh_refused_total 0\n") || strings.Contains(m, `pforte_oidc_tokens_issued_total{kind="access"} 0`) {
			t.Error("metrics did not count")
		}

		// The account page lists the service with its launch URL.
		c = p.login(addr, goodPW)
		if k := p.get(c, "/konto"); !strings.Contains(k.Body, "https://lehrvertraege.example/") || !strings.Contains(k.Body, "Ihre Dienste") {
			t.Fatal("/konto does not list the service")
		}
	})
}

func isGrantError(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

// The 10-minute rule: when the Pforte session ends — logout button, end
// session, idle timeout, password reset — the services' tokens die and
// each service with a back-channel URI gets a logout.
func TestServiceSessionEnds(t *testing.T) {
	eachPortal(t, map[string]string{"PFORTE_SESSION_IDLE": "2s"}, func(t *testing.T, p *portal) {
		addr := "jan@example.de"
		p.signUp(addr, goodPW)
		r := newRP(t, p, "gebuehren")
		pw := goodPW
		signIn := func() (*http.Client, *oauth2.Token, idClaims) {
			c := p.login(addr, pw)
			f, _ := r.authorize(c)
			tok, idt := r.exchange(f)
			return c, tok, claimsOf(t, idt)
		}
		dead := func(what string, tok *oauth2.Token) {
			t.Helper()
			if _, err := r.refresh(tok.RefreshToken); !isGrantError(err) {
				t.Fatalf("%s: refresh: %v", what, err)
			}
			if in := r.introspect(tok.AccessToken, true); in["active"] != false {
				t.Fatalf("%s: introspection %v", what, in)
			}
			if in := r.introspect(tok.RefreshToken, false); in["active"] != false {
				t.Fatalf("%s: introspection of the refresh token %v", what, in)
			}
			req, _ := http.NewRequest("GET", p.URL+"/oidc/benutzer", nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			if pg := p.do(p.newClient(), req); pg.Status != 401 || !strings.Contains(pg.Header.Get("WWW-Authenticate"), "invalid_token") {
				t.Fatalf("%s: userinfo answered %d", what, pg.Status)
			}
		}

		// Logout button.
		c, tok, cl := signIn()
		if in := r.introspect(tok.RefreshToken, true); in["active"] != true || in["sub"] != cl.Sub || in["token_type"] != "refresh_token" {
			t.Fatalf("introspection of a live refresh token: %v", in)
		}
		p.post(c, "/abmelden", nil)
		dead("logout", tok)
		r.waitLogout(cl.SID)

		// Idle timeout: refreshes count as activity; idleness ends it, and
		// the sweep sends the logout without the browser coming back.
		_, tok, cl = signIn()
		for range 3 {
			waitMs(900)
			var err error
			if tok, err = r.refresh(tok.RefreshToken); err != nil {
				t.Fatalf("refresh as activity: %v", err)
			}
		}
		n := r.logoutCount()
		r.waitLogout(cl.SID)
		if r.logoutCount() != n+1 {
			t.Fatalf("logouts: %d, want %d", r.logoutCount(), n+1)
		}
		dead("idle", tok)

		// RP-initiated logout with id_token_hint: no question, back to the
		// service with state.
		c, tok, cl = signIn()
		f, _ := r.authorize(c)
		tokHint, _ := r.exchange(f)
		end := r.endSession() + "?" + url.Values{"id_token_hint": {tokHint.Extra("id_token").(string)},
			"post_logout_redirect_uri": {r.srv.URL + "/bye"}, "state": {"s1"}}.Encode()
		pg := p.get(c, end)
		if pg.Status != 303 || pg.Header.Get("Location") != r.srv.URL+"/bye?state=s1" {
			t.Fatalf("end session: %d %s", pg.Status, pg.Header.Get("Location"))
		}
		dead("end session", tok)
		r.waitLogout(cl.SID)

		// Without a hint Pforte asks first.
		c, tok, _ = signIn()
		pg = p.get(c, r.endSession()+"?client_id="+r.ID+"&post_logout_redirect_uri="+url.QueryEscape(r.srv.URL+"/bye"))
		if pg.Status != 200 || !strings.Contains(pg.Body, "Dienst gebuehren") {
			t.Fatalf("question: %d", pg.Status)
		}
		if in := r.introspect(tok.AccessToken, false); in["active"] != true {
			t.Fatal("asking ended the session")
		}
		pg = p.post(c, "/oidc/abmelden", url.Values{"client_id": {hidden(pg.Body, "client_id")},
			"post_logout_redirect_uri": {hidden(pg.Body, "post_logout_redirect_uri")}, "state": {""}})
		if pg.Status != 303 || pg.Header.Get("Location") != r.srv.URL+"/bye" {
			t.Fatalf("confirmed logout: %d %s", pg.Status, pg.Header.Get("Location"))
		}
		dead("confirmed logout", tok)
		// An unregistered return address is refused with Pforte's page.
		if pg := p.get(c, r.endSession()+"?client_id="+r.ID+"&post_logout_redirect_uri=https://evil.example/"); pg.Status != 400 || pg.Code() != "bad-request" {
			t.Fatalf("foreign post-logout URI: %d %q", pg.Status, pg.Code())
		}

		// Without a session there is nothing to ask: straight back.
		if pg := p.get(p.newClient(), r.endSession()+"?client_id="+r.ID+"&post_logout_redirect_uri="+url.QueryEscape(r.srv.URL+"/bye")); pg.Status != 303 || pg.Header.Get("Location") != r.srv.URL+"/bye" {
			t.Fatalf("logout without session: %d %s", pg.Status, pg.Header.Get("Location"))
		}

		// Password reset ends every session.
		_, tok, cl = signIn()
		p.post(p.newClient(), "/passwort-vergessen", url.Values{"email": {addr}})
		link := p.linkIn(addr, "/passwort-neu")
		form := p.get(p.newClient(), link)
		p.post(p.newClient(), "/passwort-neu", url.Values{"token": {hidden(form.Body, "token")}, "password": {otherPW}, "password_repeat": {otherPW}})
		dead("password reset", tok)
		r.waitLogout(cl.SID)
		pw = otherPW
		assertAudit(t, p, "oidc-logout-sent")

		// The account purged (users purge; deleting an account takes the
		// same path): its services are told.
		_, tok, cl = signIn()
		db := storetest.Open(t, p.DBURL)
		a, err := db.Q().AccountByEmail(context.Background(), addr)
		if err != nil {
			t.Fatal(err)
		}
		// As if the last login were long ago (the session is still live).
		db.Q().RecordLogin(context.Background(), a.ID, time.Now().AddDate(-8, 0, 0))
		if _, errOut, err := p.cli("users", "purge", "--last-login-before", time.Now().AddDate(-7, 0, 0).Format(time.DateOnly)); err != nil {
			t.Fatalf("purge: %v %s", err, errOut)
		}
		dead("purge", tok)
		r.waitLogout(cl.SID)
	})
}

func (r *rp) endSession() string {
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	r.provider.Claims(&meta)
	return strings.TrimPrefix(meta.EndSession, r.p.env["PFORTE_BASE_URL"])
}

// waitMs waits for real time to pass where a session's idle clock must
// run in the real program.
func waitMs(ms int) { <-time.After(time.Duration(ms) * time.Millisecond) }

func timeNow() int64 { return time.Now().Unix() }
