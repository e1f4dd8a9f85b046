package main

import (
	"strings"
	"testing"

	"pforte/throttle"
)

// An authorization request is answered only in the query (the one
// response mode discovery announces), and keeps no state, nonce or
// login_hint longer than Pforte stores.
func TestServiceRequestLimits(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		r := newRP(t, p, "grenzen")
		anon := p.newClient()
		for name, c := range map[string]struct {
			change    map[string]string
			want      string
			wantState string
		}{
			"fragment":          {map[string]string{"response_mode": "fragment"}, "invalid_request", "st"},
			"form_post":         {map[string]string{"response_mode": "form_post"}, "invalid_request", "st"},
			"query.jwt":         {map[string]string{"response_mode": "query.jwt"}, "invalid_request", "st"},
			"nonce too long":    {map[string]string{"nonce": strings.Repeat("n", 513)}, "invalid_request", "st"},
			"hint too long":     {map[string]string{"login_hint": strings.Repeat("a", 244) + "@example.de"}, "invalid_request", "st"},
			"state too long":    {map[string]string{"state": strings.Repeat("s", 513)}, "invalid_request", ""},
			"query, longest":    {map[string]string{"response_mode": "query", "prompt": "none", "state": strings.Repeat("s", 512), "nonce": strings.Repeat("n", 512)}, "login_required", strings.Repeat("s", 512)},
			"longest hint kept": {map[string]string{"prompt": "none", "login_hint": strings.Repeat("a", 243) + "@example.de"}, "login_required", "st"},
		} {
			got, q := r.redirectError(anon, r.authURL(c.change))
			if got != c.want || q.Get("state") != c.wantState {
				t.Errorf("%s: error %q state %q, want %q state %q", name, got, q.Get("state"), c.want, c.wantState)
			}
		}
		// The query is how a member signs in.
		f, _ := r.authorize(anon)
		if f.Login == "" {
			t.Fatal("no login page for a plain request")
		}
	})
}

// Each authorization request is a row in the store: one client address
// starts only throttle.ClientAuthorize.Max of them in the window, then
// gets the 429 page, without a redirect.
func TestServiceRequestsPerClient(t *testing.T) {
	eachPortal(t, map[string]string{"PFORTE_RATE_LIMITS": "on"}, func(t *testing.T, p *portal) {
		r := newRP(t, p, "flut")
		anon := p.newClient()
		path := r.authURL(nil)
		for i := range throttle.ClientAuthorize.Max {
			if pg := p.get(anon, path); pg.Status/100 != 3 || !strings.HasPrefix(pg.Header.Get("Location"), "/anmelden/dienst?id=") {
				t.Fatalf("request %d: %d %s", i+1, pg.Status, pg.Header.Get("Location"))
			}
		}
		pg := p.get(anon, path)
		if pg.Status != 429 || pg.Code() != "throttled" || pg.Header.Get("Retry-After") == "" || pg.Header.Get("Location") != "" {
			t.Fatalf("request %d: %d %q %s", throttle.ClientAuthorize.Max+1, pg.Status, pg.Code(), pg.Header.Get("Location"))
		}
	})
}
