package main

import (
	"net/url"
	"strings"
	"testing"

	"pforte"
)

// TestConsoleServices: admins see the chamber's services (never a
// secret) and remove one for a reason; support may not.
func TestConsoleServices(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		secret, errOut, err := p.cli("clients", "add", "pruefung", "--name", "Prüfungsanmeldung",
			"--redirect-uri", "https://pruefung.example/cb", "--launch-url", "https://pruefung.example/")
		if err != nil {
			t.Fatalf("clients add: %v %s", err, errOut)
		}
		secret = strings.TrimSpace(secret)
		admin := p.staff("it@hwk.example", "admin", "pwd", "otp")
		support := p.staff("hilfe@hwk.example", "support", "pwd", "otp")

		pg := p.get(admin, "/verwaltung/dienste")
		if pg.Status != 200 || !strings.Contains(pg.Body, `data-service="pruefung"`) || !strings.Contains(pg.Body, "https://pruefung.example/cb") {
			t.Fatalf("services page: %d", pg.Status)
		}
		if secret == "" || strings.Contains(pg.Body, secret) {
			t.Fatal("the services page shows the secret")
		}
		if pg := p.get(support, "/verwaltung/dienste"); pg.Status != 403 || pg.Code() != "forbidden" {
			t.Fatalf("support on the services page: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(support, "/verwaltung/dienste/pruefung/entfernen", url.Values{"reason": {"x"}}); pg.Status != 403 {
			t.Fatalf("support removing a service: %d", pg.Status)
		}
		if pg := p.post(admin, "/verwaltung/dienste/pruefung/entfernen", url.Values{"reason": {"  "}}); pg.Status != 400 || pg.Code() != "bad-request" {
			t.Fatalf("removal without a reason: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(admin, "/verwaltung/dienste/gibts-nicht/entfernen", url.Values{"reason": {"alt"}}); pg.Status != 404 {
			t.Fatalf("removal of an unknown service: %d", pg.Status)
		}
		if out, _, _ := p.cli("clients", "list"); !strings.Contains(out, "pruefung") {
			t.Fatalf("refused removals removed the service: %s", out)
		}
		pg = p.post(admin, "/verwaltung/dienste/pruefung/entfernen", url.Values{"reason": {"Dienst abgeschaltet"}})
		if pg.Status != 303 || pg.Header.Get("Location") != "/verwaltung/dienste?erledigt=entfernt" {
			t.Fatalf("removal: %d %q %q", pg.Status, pg.Header.Get("Location"), pg.Code())
		}
		if out, _, _ := p.cli("clients", "list"); strings.Contains(out, "pruefung") {
			t.Fatalf("removed service still listed: %s", out)
		}
		e := p.staffAudit(pforte.EventOIDCClientRemoved, "it@hwk.example")
		if !strings.Contains(e[0].Detail, "pruefung") || !strings.Contains(e[0].Detail, "Dienst abgeschaltet") {
			t.Fatalf("audit detail: %q", e[0].Detail)
		}
	})
}
