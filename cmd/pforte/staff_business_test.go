package main

import (
	"net/url"
	"strings"
	"testing"
)

// TestStaffRightsNeedASecondFactor: a staff account opens any business's
// pages only in a session signed in with a second factor, as the console
// asks; with the password alone it is a member like any other. And a staff
// account, which sees PINs when it prints letters, links no business.
func TestStaffRightsNeedASecondFactor(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		p.mustCLI("businesses", "import", registerFile(t, "register.csv", registerCSV))
		strong := p.staff("hilfe@hwk.example", "support", "pwd", "otp")
		if pg := p.get(strong, "/betrieb/4712/"); pg.Status != 200 || !strings.Contains(pg.Body, "noch keine eigenen Online-Dienste") {
			t.Fatalf("staff with a second factor on a business page (no services yet): %d %q", pg.Status, pg.Code())
		}
		weak := p.login("hilfe@hwk.example", goodPW)
		if pg := p.get(weak, "/betrieb/4712/"); pg.Status != 403 || pg.Code() != "forbidden" {
			t.Fatalf("staff with the password alone on a business page: %d %q", pg.Status, pg.Code())
		}
		pin := p.issuePIN("4712")
		pg := p.post(strong, "/betrieb/verknuepfen", url.Values{"business": {"4712"}, "pin": {pin}})
		if pg.Status != 403 || pg.Code() != "forbidden" {
			t.Fatalf("a staff account linking a business: %d %q", pg.Status, pg.Code())
		}
	})
}
