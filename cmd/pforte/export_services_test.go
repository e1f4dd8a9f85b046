package main

import (
	"encoding/json"
	"net/url"
	"testing"
)

// TestExportNamesServicesAndPINRequests: the data export (DSGVO Art. 15)
// holds the identifier the services know the member by, the services
// signed in now, and the member's PIN requests.
func TestExportNamesServicesAndPINRequests(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		const addr = "export@example.de"
		p.mustCLI("businesses", "import", registerFile(t, "register.csv", registerCSV))
		p.signUp(addr, goodPW)
		r := newRP(t, p, "lehrvertraege")
		c := p.newClient()
		f, _ := r.authorize(c)
		r.login(c, f, addr, goodPW)
		_, idt := r.exchange(f)
		sub := claimsOf(t, idt).Sub
		if pg := p.post(c, "/betrieb/pin-beantragen", url.Values{"business": {"4712"}}); pg.Status != 200 && pg.Status != 303 {
			t.Fatalf("PIN request: %d %q", pg.Status, pg.Code())
		}

		pg := p.get(c, "/konto/daten")
		var x struct {
			Subject  string `json:"services_subject"`
			Services []struct {
				ID string `json:"id"`
			} `json:"services_signed_in"`
			PINs []struct {
				Business string `json:"business_number"`
			} `json:"pin_requests"`
		}
		if err := json.Unmarshal([]byte(pg.Body), &x); err != nil || pg.Status != 200 {
			t.Fatalf("export: %d %v", pg.Status, err)
		}
		if x.Subject != sub || len(x.Services) != 1 || x.Services[0].ID != "lehrvertraege" || len(x.PINs) != 1 || x.PINs[0].Business != "4712" {
			t.Fatalf("export: %+v (sub %s)", x, sub)
		}
	})
}
