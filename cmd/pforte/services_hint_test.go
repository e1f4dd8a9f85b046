package main

import (
	"net/url"
	"strings"
	"testing"
)

// An id_token_hint ends the browser's session without asking only when
// it was issued for that very session: anyone's own ID token names the
// service, so a foreign one (another account, or another session of the
// same account) gets the question, and the session lives on.
func TestServiceLogoutHintMustBeTheSessions(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		victim, attacker := "opfer@example.de", "taeter@example.de"
		p.signUp(victim, goodPW)
		p.signUp(attacker, goodPW)
		r := newRP(t, p, "abmeldedienst")
		hintOf := func(addr string) (string, string) {
			c := p.login(addr, goodPW)
			f, _ := r.authorize(c)
			tok, idt := r.exchange(f)
			return tok.Extra("id_token").(string), claimsOf(t, idt).SID
		}
		end := func(hint string) string {
			return r.endSession() + "?" + url.Values{"id_token_hint": {hint},
				"post_logout_redirect_uri": {r.srv.URL + "/bye"}, "state": {"s1"}}.Encode()
		}
		foreign, _ := hintOf(attacker)
		ownEarlier, _ := hintOf(victim)
		c := p.login(victim, goodPW)
		f, _ := r.authorize(c)
		tok, _ := r.exchange(f)
		own := tok.Extra("id_token").(string)

		for name, hint := range map[string]string{"another account's": foreign, "another session's": ownEarlier} {
			pg := p.get(c, end(hint))
			if pg.Status != 200 || !strings.Contains(pg.Body, `action="/oidc/abmelden"`) || !strings.Contains(pg.Body, "Dienst abmeldedienst") {
				t.Fatalf("%s hint: %d %s, want the question", name, pg.Status, pg.Header.Get("Location"))
			}
			if pg := p.get(c, "/konto"); pg.Status != 200 {
				t.Fatalf("%s hint ended the session: /konto %d", name, pg.Status)
			}
			if in := r.introspect(tok.AccessToken, true); in["active"] != true {
				t.Fatalf("%s hint ended the service's tokens: %v", name, in)
			}
		}
		// The session's own hint ends it at once, back to the service.
		pg := p.get(c, end(own))
		if pg.Status != 303 || pg.Header.Get("Location") != r.srv.URL+"/bye?state=s1" {
			t.Fatalf("own hint: %d %s", pg.Status, pg.Header.Get("Location"))
		}
		if pg := p.get(c, "/konto"); pg.Status != 303 {
			t.Fatalf("own hint left the session: /konto %d", pg.Status)
		}
	})
}
