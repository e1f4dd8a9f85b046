package main

import (
	"net/url"
	"strings"
	"testing"

	"pforte/store/storetest"
)

// TestServicePagesInEnglish: the pages a service leads a member to speak
// the member's language: the refusal of a service for businesses, the
// question before a service signs the member out, the page for a service
// that is not known and for a sign-in that has gone.
func TestServicePagesInEnglish(t *testing.T) {
	p := startPortal(t, storetest.SQLiteURL(t), nil)
	addr := "baker@example.de"
	p.signUp(addr, goodPW)
	r := newRP(t, p, "betriebsdienst", "--require-business", "--name", "Trade service")
	member := p.login(addr, goodPW)
	anon := p.newClient()
	p.get(member, "/hilfe?lang=en") // the switch, remembered in the cookie
	p.get(anon, "/hilfe?lang=en")

	english := func(name string, pg page, status int, want ...string) {
		t.Helper()
		if pg.Status != status || pg.Header.Get("Content-Language") != "en" || !strings.Contains(pg.Body, `<html lang="en"`) {
			t.Errorf("%s: %d, Content-Language %q", name, pg.Status, pg.Header.Get("Content-Language"))
		}
		for _, w := range want {
			if !strings.Contains(pg.Body, w) {
				t.Errorf("%s: no %q in\n%s", name, w, pg.Body)
			}
		}
	}
	_, pg := r.authorize(member)
	english("refusal", pg, 403, "<h1>No access</h1>", "This service is only for businesses, and your account is not linked to any business.",
		`<a href="/betrieb/pin-beantragen">Request a PIN</a>`, "Go to My account")
	if strings.Contains(pg.Body, "Keine Zugriffsberechtigung") || strings.Contains(pg.Body, "Dieser Dienst ist nur für Betriebe") {
		t.Error("the refusal still speaks German")
	}
	english("logout question", p.get(member, "/oidc/abmelden?client_id=betriebsdienst"), 200,
		"The service “Trade service” would like to sign you out.", "Stay signed in: go to My account", `<button type="submit">Sign out</button>`)
	english("unknown service", p.get(anon, r.authURL(map[string]string{"client_id": "gibtsnicht"})), 400,
		"The service that sent you here is unknown or gave a return address that is not registered.")
	english("sign-in gone", p.get(anon, "/anmelden/dienst?id="+url.QueryEscape("vorbei")), 400,
		"This sign-in for a service has expired or has already been completed.")

	// The same pages in German, for a member who asks for German.
	p.get(member, "/hilfe?lang=de")
	if pg := p.get(member, "/oidc/abmelden?client_id=betriebsdienst"); !strings.Contains(pg.Body, "Der Dienst „Trade service“ möchte Sie abmelden.") ||
		pg.Header.Get("Content-Language") != "de" {
		t.Errorf("German logout question: %q", pg.Header.Get("Content-Language"))
	}
}
