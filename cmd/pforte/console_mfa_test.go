package main

import (
	"net/url"
	"strings"
	"testing"

	"pforte"
)

// TestConsoleWithTheRealSecondFactor: the console's rule and its admin
// reset against the real second factor. A staff member signed in with the
// password alone is sent to set one up; once it is on, the console opens.
// An admin's reset turns a member's app codes off, the member is told by
// mail and signs in with the password alone again.
func TestConsoleWithTheRealSecondFactor(t *testing.T) {
	eachClockedPortal(t, nil, func(t *testing.T, p *portal, clk *testClock) {
		const admin, member = "admin@hwk.example", "meisterin@example.de"
		p.signUp(admin, goodPW)
		if _, errOut, err := p.cli("staff", "grant", admin, "--role", "admin"); err != nil {
			t.Fatalf("staff grant: %v %s", err, errOut)
		}
		a := p.login(admin, goodPW)
		if pg := p.get(a, "/verwaltung"); pg.Status != 303 || pg.Header.Get("Location") != "/konto/zwei-faktor" {
			t.Fatalf("console without a second factor: %d %q", pg.Status, pg.Header.Get("Location"))
		}
		secret, _ := enrol(t, p, a, clk, goodPW)
		// Set up with the password alone, the factor counts from the next
		// sign-in with a code.
		if pg := p.get(a, "/verwaltung"); pg.Status != 403 {
			t.Fatalf("console in the session that set the factor up: %d", pg.Status)
		}
		a = p.loginWithCode(t, clk, admin, secret)
		if pg := p.get(a, "/verwaltung"); pg.Status != 200 {
			t.Fatalf("console with the second factor: %d", pg.Status)
		}

		p.signUp(member, goodPW)
		m := p.login(member, goodPW)
		clk.step()
		enrol(t, p, m, clk, goodPW)
		id := p.accountID(member)
		if pg := p.get(a, "/verwaltung/konten/"+id); pg.Status != 200 || !strings.Contains(pg.Body, `data-field="second-factor">eingeschaltet<`) {
			t.Fatalf("account page before the reset: %d", pg.Status)
		}
		// With the factor on, the password alone leads to the code step.
		b := p.newClient()
		if pg := p.post(b, "/anmelden", url.Values{"email": {member}, "password": {goodPW}}); pg.Header.Get("Location") != "/anmelden/zweiter-faktor" {
			t.Fatalf("login before the reset: %d %q", pg.Status, pg.Header.Get("Location"))
		}

		pg := p.post(a, "/verwaltung/konten/"+id+"/zwei-faktor-zuruecksetzen", url.Values{"reason": {"Telefon verloren, Ausweis geprüft"}})
		if pg.Status != 303 {
			t.Fatalf("reset: %d %q", pg.Status, pg.Code())
		}
		waitFor(t, func() bool { return p.subjectTo(member, "Zweiter Faktor zurückgesetzt") })
		if pg := p.get(a, "/verwaltung/konten/"+id); pg.Status != 200 || strings.Contains(pg.Body, `data-field="second-factor">eingeschaltet<`) {
			t.Fatalf("account page after the reset still shows the second factor on")
		}
		b = p.newClient()
		if pg := p.post(b, "/anmelden", url.Values{"email": {member}, "password": {goodPW}}); pg.Status != 303 || pg.Header.Get("Location") != "/konto" {
			t.Fatalf("login after the reset: %d %q", pg.Status, pg.Header.Get("Location"))
		}
		p.staffAudit(pforte.EventStaffMFAReset, admin)
		if e := p.staffAudit(pforte.EventStaffAccountViewed, admin); e[0].Email != member {
			t.Fatalf("the page view is audited for %q, want %q", e[0].Email, member)
		}

		// The admin turns the own factor off: the open console closes at once.
		clk.step()
		if pg := p.post(a, "/konto/zwei-faktor/aus", url.Values{"current_password": {goodPW}, "code": {clk.code(t, secret)}}); pg.Status != 303 {
			t.Fatalf("turning the factor off: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(a, "/verwaltung"); pg.Status == 200 {
			t.Fatal("the console stays open after the second factor was turned off")
		}
		if pg := p.get(a, "/konto"); pg.Status != 200 {
			t.Fatalf("the member's own page after turning the factor off: %d", pg.Status)
		}
	})
}
