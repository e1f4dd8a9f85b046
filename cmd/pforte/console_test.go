package main

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"pforte"
	"pforte/session"
	"pforte/store"
)

// staff signs addr up, gives it role with `pforte staff grant` and
// returns a client whose session was signed in with methods — a real
// session, started as a login with a second factor starts it.
func (p *portal) staff(addr, role string, methods ...string) *http.Client {
	p.t.Helper()
	p.signUp(addr, goodPW)
	if out, errOut, err := p.cli("staff", "grant", addr, "--role", role); err != nil || !strings.Contains(out, role) {
		p.t.Fatalf("staff grant: %v %s %s", err, out, errOut)
	}
	return p.sessionOf(addr, methods...)
}

// sessionOf starts a session of the account of addr, signed in with
// methods, and returns a client carrying its cookie.
func (p *portal) sessionOf(addr string, methods ...string) *http.Client {
	p.t.Helper()
	db := p.openDB()
	a, err := db.Q().AccountByEmail(context.Background(), addr)
	if err != nil {
		p.t.Fatal(err)
	}
	id, err := (&session.Sessions{DB: db, Idle: 10 * time.Minute, Max: 12 * time.Hour}).Start(context.Background(), a.ID, "",
		session.Login{Client: "127.0.0.1", Methods: methods})
	if err != nil {
		p.t.Fatal(err)
	}
	c := p.newClient()
	setSession(c, p, id)
	return c
}

// accountID is the id of the account of addr.
func (p *portal) accountID(addr string) string {
	p.t.Helper()
	a, err := p.openDB().Q().AccountByEmail(context.Background(), addr)
	if err != nil {
		p.t.Fatal(err)
	}
	return strconv.FormatInt(a.ID, 10)
}

// staffAudit lists the entries of event by the acting staff account
// actor ("" for the command line), each with a client; at least one.
func (p *portal) staffAudit(event pforte.Event, actor string) []pforte.AuditEntry {
	p.t.Helper()
	log, err := p.openDB().Q().AuditLog(context.Background(), store.AuditFilter{Event: event})
	if err != nil {
		p.t.Fatal(err)
	}
	var out []pforte.AuditEntry
	for _, e := range log {
		if e.Actor == actor && e.Client != "" && (actor == "") == (e.ActorID == 0) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		p.t.Fatalf("no audit entry %s by %q in %+v", event, actor, log)
	}
	return out
}

func TestConsoleSupportHelpsAMember(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		const member, helper = "kundin@bäckerei-beispiel.de", "hilfe@hwk.example"
		p.signUp(member, goodPW)
		memberClient := p.login(member, goodPW)
		desk := p.staff(helper, "support", "pwd", "otp")
		id := p.accountID(member)

		// Search by a part of the address.
		pg := p.get(desk, "/verwaltung/konten?q=B%C3%84CKEREI")
		if pg.Status != 200 || !strings.Contains(pg.Body, `href="/verwaltung/konten/`+id+`"`) || strings.Count(pg.Body, "data-account-id=") != 1 {
			t.Fatalf("search: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(desk, "/verwaltung/konten?q=niemand"); !strings.Contains(pg.Body, "Kein Konto gefunden") {
			t.Fatal("search without hits")
		}
		pg = p.get(desk, "/verwaltung/konten/"+id)
		if pg.Status != 200 || !strings.Contains(pg.Body, member) || !strings.Contains(pg.Body, "login-succeeded") ||
			strings.Contains(pg.Body, "zwei-faktor-zuruecksetzen") || strings.Contains(pg.Body, "/loeschen") {
			t.Fatalf("account page for support: %d", pg.Status)
		}

		// The reset link: mailed to the member, who sets the password.
		if pg := p.post(desk, "/verwaltung/konten/"+id+"/passwort-link-senden", nil); pg.Status != 303 {
			t.Fatalf("reset link: %d %q", pg.Status, pg.Code())
		}
		link := p.linkIn(member, "/passwort-neu")
		if pg := p.post(p.newClient(), link, url.Values{"password": {otherPW}, "password_repeat": {otherPW}}); pg.Status != 303 {
			t.Fatalf("reset through the staff's link: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(memberClient, "/konto"); pg.Status != 303 {
			t.Fatal("the reset did not end the member's session")
		}
		memberClient = p.login(member, otherPW)

		// Ending the sessions signs the member out at once.
		if pg := p.post(desk, "/verwaltung/konten/"+id+"/sitzungen-beenden", nil); pg.Status != 303 {
			t.Fatalf("end sessions: %d", pg.Status)
		}
		if pg := p.get(memberClient, "/konto"); pg.Status != 303 {
			t.Fatalf("member session after staff ended it: %d", pg.Status)
		}

		// Lifting the login throttle lets the member in again at once.
		for range 6 {
			p.post(p.newClient(), "/anmelden", url.Values{"email": {member}, "password": {"Falsch-Passwort1"}})
		}
		if pg := p.post(p.newClient(), "/anmelden", url.Values{"email": {member}, "password": {otherPW}}); pg.Code() != "throttled" {
			t.Fatalf("not throttled: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(desk, "/verwaltung/konten/"+id); !strings.Contains(pg.Body, `data-field="throttle">gesperrt bis`) {
			t.Fatal("account page does not show the throttle")
		}
		if pg := p.post(desk, "/verwaltung/konten/"+id+"/sperre-aufheben", nil); pg.Status != 303 {
			t.Fatalf("clear throttle: %d", pg.Status)
		}
		p.login(member, otherPW)

		// A confirmation mail for an address not yet confirmed; none for a
		// confirmed one.
		p.post(p.newClient(), "/registrieren", url.Values{"email": {"neu@example.de"}, "password": {goodPW}})
		first := p.linkIn("neu@example.de", "/registrieren/bestaetigen")
		newID := p.accountID("neu@example.de")
		if pg := p.post(desk, "/verwaltung/konten/"+newID+"/bestaetigung-senden", nil); pg.Status != 303 {
			t.Fatalf("confirmation: %d %q", pg.Status, pg.Code())
		}
		waitFor(t, func() bool { return p.mailsTo("neu@example.de") == 2 })
		second := p.linkIn("neu@example.de", "/registrieren/bestaetigen")
		if second == first {
			t.Fatal("no new confirmation link")
		}
		if pg := p.post(p.newClient(), second, nil); pg.Status != 200 {
			t.Fatalf("confirm with the staff's link: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(desk, "/verwaltung/konten/"+id+"/bestaetigung-senden", nil); pg.Status != 400 || pg.Code() != "bad-request" {
			t.Fatalf("confirmation for a confirmed address: %d %q", pg.Status, pg.Code())
		}

		// Support may not do what admins do.
		for _, path := range []string{"/loeschen", "/zwei-faktor-zuruecksetzen"} {
			if pg := p.post(desk, "/verwaltung/konten/"+id+path, url.Values{"reason": {"Wunsch"}}); pg.Status != 403 || pg.Code() != "forbidden" {
				t.Fatalf("support %s: %d %q", path, pg.Status, pg.Code())
			}
		}
		if pg := p.get(desk, "/verwaltung/mitarbeiter"); pg.Status != 403 {
			t.Fatalf("support on the staff list: %d", pg.Status)
		}
		p.login(member, otherPW) // still there
		for _, ev := range []pforte.Event{pforte.EventStaffResetSent, pforte.EventStaffSessionsEnded, pforte.EventStaffThrottleCleared, pforte.EventStaffConfirmSent} {
			p.staffAudit(ev, helper)
		}
		assertAudit(t, p)

		// The overview counts what happened today.
		pg = p.get(desk, "/verwaltung")
		for _, want := range []string{`data-count="accounts">3<`, `data-count="confirmed">3<`, `data-count="failed-logins-today">5<`, `data-count="logins-today">4<`} {
			if !strings.Contains(pg.Body, want) {
				t.Errorf("overview lacks %s:\n%s", want, regexp.MustCompile(`data-count="[a-z-]+">[^<]*<`).FindAllString(pg.Body, -1))
			}
		}
	})
}

func TestConsoleRefusals(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		p.signUp("max@example.de", goodPW)
		member := p.login("max@example.de", goodPW)
		if pg := p.get(member, "/verwaltung"); pg.Status != 403 || pg.Code() != "forbidden" {
			t.Fatalf("member: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(member, "/verwaltung/briefe/drucken", nil); pg.Status != 403 || pg.Code() != "forbidden" {
			t.Fatalf("member printing: %d %q", pg.Status, pg.Code())
		}
		// A password login alone is not enough for staff.
		p.staff("chefin@hwk.example", "admin", "pwd")
		pwdOnly := p.login("chefin@hwk.example", goodPW)
		if pg := p.get(pwdOnly, "/verwaltung/konten"); pg.Status != 303 || pg.Header.Get("Location") != "/konto/zwei-faktor" {
			t.Fatalf("staff without second factor: %d %s", pg.Status, pg.Header.Get("Location"))
		}
		desk := p.sessionOf("chefin@hwk.example", "pwd", "otp")
		if pg := p.get(desk, "/verwaltung"); pg.Status != 200 || pg.Header.Get("Cache-Control") != "no-store" ||
			!strings.Contains(pg.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Fatalf("admin: %d %q", pg.Status, pg.Header.Get("Cache-Control"))
		}
		// A cross-origin POST is refused (CSRF).
		req, _ := http.NewRequest("POST", p.URL+"/verwaltung/konten/1/sitzungen-beenden", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if pg := p.do(desk, req); pg.Status != 403 || pg.Code() != "forbidden" {
			t.Fatalf("cross-origin action: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(desk, "/verwaltung/konten/1/sitzungen-beenden"); pg.Status != 404 {
			t.Fatalf("an action by GET: %d", pg.Status)
		}
		// Revoked: the next request is refused.
		if out, _, err := p.cli("staff", "revoke", "chefin@hwk.example"); err != nil || !strings.Contains(out, "keine Rolle") {
			t.Fatalf("revoke: %v %s", err, out)
		}
		if pg := p.get(desk, "/verwaltung"); pg.Status != 403 || pg.Code() != "forbidden" {
			t.Fatalf("revoked staff: %d %q", pg.Status, pg.Code())
		}
		// The command line refuses what it cannot do.
		p.post(p.newClient(), "/registrieren", url.Values{"email": {"offen@example.de"}, "password": {goodPW}})
		for _, args := range [][]string{{"staff", "grant", "offen@example.de", "--role", "admin"}, {"staff", "grant", "niemand@example.de", "--role", "support"},
			{"staff", "grant", "max@example.de", "--role", "chef"}, {"staff", "grant", "max@example.de"}, {"staff"}} {
			if _, _, err := p.cli(args...); err == nil {
				t.Errorf("%v succeeded", args)
			}
		}
		if _, _, err := p.cli("staff", "grant", "max@example.de", "--role", "chef"); exitCode(err) != 2 {
			t.Errorf("bad role: exit %d", exitCode(err))
		}
		p.staffAudit(pforte.EventStaffRoleRevoked, "")
	})
}

func TestConsoleAdminDeletesAndManagesStaff(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		const admin = "chefin@hwk.example"
		p.signUp("weg@example.de", goodPW)
		gone := p.login("weg@example.de", goodPW)
		desk := p.staff(admin, "admin", "hwk")
		id := p.accountID("weg@example.de")
		if pg := p.post(desk, "/verwaltung/konten/"+id+"/loeschen", url.Values{"reason": {" "}}); pg.Status != 400 || pg.Code() != "bad-request" {
			t.Fatalf("delete without reason: %d %q", pg.Status, pg.Code())
		}
		p.login("weg@example.de", goodPW)
		pg := p.post(desk, "/verwaltung/konten/"+id+"/loeschen", url.Values{"reason": {"Auf Wunsch (Brief vom 2. März)"}})
		if pg.Status != 303 || pg.Header.Get("Location") != "/verwaltung/konten?geloescht=1" {
			t.Fatalf("delete: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(gone, "/konto"); pg.Status != 303 {
			t.Fatal("the deleted account's session lives on")
		}
		if pg := p.post(p.newClient(), "/anmelden", url.Values{"email": {"weg@example.de"}, "password": {goodPW}}); pg.Code() != "invalid-credentials" {
			t.Fatalf("login of a deleted account: %q", pg.Code())
		}
		if pg := p.get(desk, "/verwaltung/konten/"+id); pg.Status != 404 {
			t.Fatalf("page of a deleted account: %d", pg.Status)
		}
		log := p.staffAudit(pforte.EventStaffDeleted, admin)
		if log[0].Detail != "Auf Wunsch (Brief vom 2. März)" || log[0].Email != "" || strconv.FormatInt(log[0].AccountID, 10) != id {
			t.Fatalf("deletion audit: %+v", log[0])
		}
		// The address may register anew.
		p.post(p.newClient(), "/registrieren", url.Values{"email": {"weg@example.de"}, "password": {goodPW}})
		waitFor(t, func() bool { return p.mailsTo("weg@example.de") == 2 })
		if pg := p.post(p.newClient(), p.linkIn("weg@example.de", "/registrieren/bestaetigen"), nil); pg.Status != 200 {
			t.Fatalf("confirm the new account: %d %q", pg.Status, pg.Code())
		}

		// Staff list: grant, revoke, never one's own role.
		p.signUp("neu@hwk.example", goodPW)
		if pg := p.post(desk, "/verwaltung/mitarbeiter", url.Values{"email": {"Neu@HWK.example"}, "role": {"support"}}); pg.Status != 303 {
			t.Fatalf("grant: %d %q", pg.Status, pg.Code())
		}
		helper := p.sessionOf("neu@hwk.example", "pwd", "otp")
		if pg := p.get(helper, "/verwaltung/konten"); pg.Status != 200 {
			t.Fatalf("new support member: %d", pg.Status)
		}
		list := p.get(desk, "/verwaltung/mitarbeiter")
		if !strings.Contains(list.Body, `data-staff="neu@hwk.example"`) || !strings.Contains(list.Body, `data-staff="chefin@hwk.example"`) {
			t.Fatal("staff list")
		}
		if pg := p.post(desk, "/verwaltung/mitarbeiter", url.Values{"email": {admin}, "role": {"member"}}); pg.Status != 403 {
			t.Fatalf("own role: %d", pg.Status)
		}
		if pg := p.post(desk, "/verwaltung/mitarbeiter", url.Values{"email": {"neu@hwk.example"}, "role": {"chef"}}); pg.Status != 400 {
			t.Fatalf("unknown role: %d", pg.Status)
		}
		if pg := p.post(desk, "/verwaltung/mitarbeiter", url.Values{"email": {"neu@hwk.example"}, "role": {"member"}}); pg.Status != 303 {
			t.Fatalf("revoke: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(helper, "/verwaltung/konten"); pg.Status != 403 {
			t.Fatalf("revoked in the console, still in: %d", pg.Status)
		}
		p.staffAudit(pforte.EventStaffRoleGranted, "") // by the command line
		p.staffAudit(pforte.EventStaffRoleGranted, admin)
		revoked := p.staffAudit(pforte.EventStaffRoleRevoked, admin)
		if revoked[0].Email != "neu@hwk.example" {
			t.Fatalf("revoke audit: %+v", revoked[0])
		}
	})
}

func TestConsoleBusinessesAndPrintBatch(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		if _, errOut, err := p.cli("businesses", "import", registerFile(t, "register.csv", registerCSV)); err != nil {
			t.Fatalf("import: %v %s", err, errOut)
		}
		const member, helper = "inhaber@example.de", "hilfe@hwk.example"
		p.signUp(member, goodPW)
		mc := p.login(member, goodPW)
		if pg := p.post(mc, "/betrieb/pin-beantragen", url.Values{"business": {"0815-4711"}}); pg.Status != 200 {
			t.Fatalf("member's PIN request: %d %q", pg.Status, pg.Code())
		}
		desk := p.staff(helper, "support", "pwd", "otp")

		// Search by the start of a number and by a part of a name.
		if pg := p.get(desk, "/verwaltung/betriebe?q=0815"); !strings.Contains(pg.Body, `href="/verwaltung/betriebe/0815-4711"`) || strings.Contains(pg.Body, "/verwaltung/betriebe/4712") {
			t.Fatalf("search by number: %d", pg.Status)
		}
		if pg := p.get(desk, "/verwaltung/betriebe?q=anders"); !strings.Contains(pg.Body, `href="/verwaltung/betriebe/4712"`) {
			t.Fatalf("search by name: %d", pg.Status)
		}
		// Staff queue a letter for the other business, as a member would.
		if pg := p.post(desk, "/verwaltung/betriebe/4712/pin-brief", nil); pg.Status != 303 || !strings.HasSuffix(pg.Header.Get("Location"), "erledigt=brief") {
			t.Fatalf("queue letter: %d %s", pg.Status, pg.Header.Get("Location"))
		}
		if pg := p.post(desk, "/verwaltung/betriebe/4712/pin-brief", nil); !strings.HasSuffix(pg.Header.Get("Location"), "erledigt=offen") {
			t.Fatalf("second letter: %s", pg.Header.Get("Location"))
		}
		if pg := p.post(desk, "/verwaltung/betriebe/9999/pin-brief", nil); pg.Status != 404 {
			t.Fatalf("letter to an unknown business: %d", pg.Status)
		}
		letters := p.get(desk, "/verwaltung/briefe")
		if strings.Count(letters.Body, "data-request-id=") != 2 || !strings.Contains(letters.Body, "Maßbacher Straße 12") {
			t.Fatalf("pending letters: %d", letters.Status)
		}

		// The print batch: one PDF, a sheet per letter, each with its PIN.
		pg := p.post(desk, "/verwaltung/briefe/drucken", nil)
		if pg.Status != 200 || pg.Header.Get("Content-Type") != "application/pdf" || !strings.Contains(pg.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("print: %d %s", pg.Status, pg.Header.Get("Content-Type"))
		}
		sheets := readBatch(t, pg.Body, 2)
		pins := map[string]string{}
		for _, sh := range sheets {
			for _, number := range []string{"0815-4711", "4712"} {
				if strings.Contains(sh, "Betriebsnummer "+number) {
					pins[number] = letterPIN.FindString(sh)
				}
			}
		}
		if len(pins) != 2 || pins["0815-4711"] == "" || pins["4712"] == "" {
			t.Fatalf("PINs in the batch: %v", pins)
		}
		if pg := p.get(desk, "/verwaltung/briefe"); !strings.Contains(pg.Body, "Keine PIN-Briefe offen") {
			t.Fatal("letters still pending after the print")
		}
		if pg := p.post(desk, "/verwaltung/briefe/drucken", nil); pg.Status != 404 || pg.Code() != "not-found" {
			t.Fatalf("print with nothing pending: %d %q", pg.Status, pg.Code())
		}
		// The printed PIN links the member's account.
		if pg := p.post(mc, "/betrieb/verknuepfen", url.Values{"business": {"0815-4711"}, "pin": {pins["0815-4711"]}}); pg.Status != 303 {
			t.Fatalf("link with the printed PIN: %d %q", pg.Status, pg.Code())
		}
		page := p.get(desk, "/verwaltung/betriebe/0815-4711")
		if !strings.Contains(page.Body, member) || !strings.Contains(page.Body, "gedruckt") || strings.Contains(page.Body, pins["0815-4711"]) {
			t.Fatalf("business page: %d", page.Status)
		}
		// The member is found by the business number.
		if pg := p.get(desk, "/verwaltung/konten?q=0815-4711"); !strings.Contains(pg.Body, `href="/verwaltung/konten/`+p.accountID(member)+`"`) {
			t.Fatal("search by business number")
		}

		// Lockout: five wrong PINs lock the business; staff lift it.
		for range 5 {
			p.post(mc, "/betrieb/verknuepfen", url.Values{"business": {"4712"}, "pin": {"2222-2222-2222"}})
		}
		if pg := p.post(mc, "/betrieb/verknuepfen", url.Values{"business": {"4712"}, "pin": {pins["4712"]}}); pg.Code() != "pin-locked" {
			t.Fatalf("not locked: %q", pg.Code())
		}
		if pg := p.get(desk, "/verwaltung/betriebe/4712"); !strings.Contains(pg.Body, `data-field="lockout">gesperrt bis`) {
			t.Fatal("business page does not show the lockout")
		}
		if pg := p.post(desk, "/verwaltung/betriebe/4712/sperre-aufheben", nil); pg.Status != 303 {
			t.Fatalf("clear lockout: %d", pg.Status)
		}
		if pg := p.post(mc, "/betrieb/verknuepfen", url.Values{"business": {"4712"}, "pin": {pins["4712"]}}); pg.Status != 303 {
			t.Fatalf("link after the lockout was lifted: %d %q", pg.Status, pg.Code())
		}

		// Unlink: the member loses that business's services.
		if pg := p.post(desk, "/verwaltung/betriebe/4712/trennen", url.Values{"account": {p.accountID(member)}}); pg.Status != 303 {
			t.Fatalf("unlink: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(mc, "/betrieb/4712/"); pg.Status != 403 {
			t.Fatalf("member after unlink: %d", pg.Status)
		}
		if pg := p.post(desk, "/verwaltung/betriebe/4712/trennen", url.Values{"account": {p.accountID(member)}}); pg.Status != 404 {
			t.Fatalf("unlink twice: %d", pg.Status)
		}
		if pg := p.post(desk, "/verwaltung/betriebe/4712/trennen", url.Values{"account": {"x"}}); pg.Status != 400 {
			t.Fatalf("unlink without an account: %d", pg.Status)
		}
		for _, ev := range []pforte.Event{pforte.EventPINLetterRendered, pforte.EventStaffPINUnlocked, pforte.EventBusinessUnlinked, pforte.EventPINRequested} {
			p.staffAudit(ev, helper)
		}
		assertAudit(t, p)
	})
}

// readBatch reads a print batch back with pdftotext and returns its
// sheets, checking there are n.
func readBatch(t *testing.T, pdf string, n int) []string {
	t.Helper()
	pdftotext := poppler(t, "pdftotext")
	if pdftotext == "" {
		t.Skip("no pdftotext")
	}
	path := filepath.Join(t.TempDir(), "batch.pdf")
	if err := os.WriteFile(path, []byte(pdf), 0o600); err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command(pdftotext, "-layout", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, text)
	}
	// Hyphens are printed as the font's short hyphen (U+00AD).
	flat := strings.ReplaceAll(string(text), "\u00ad", "-")
	sheets := strings.Split(strings.TrimRight(flat, "\f\n"), "\f")
	if len(sheets) != n {
		t.Fatalf("batch has %d sheets, want %d", len(sheets), n)
	}
	for i, sh := range sheets {
		if len(letterPIN.FindAllString(sh, -1)) != 1 || !strings.Contains(sh, "Sehr geehrte Damen und Herren") {
			t.Errorf("sheet %d is not one letter with one PIN:\n%s", i+1, sh)
		}
	}
	return sheets
}

func TestConsoleOutboxAndAuditCSV(t *testing.T) {
	eachPortal(t, map[string]string{"PFORTE_MAIL_RETRY": "1h"}, func(t *testing.T, p *portal) {
		const helper = "hilfe@hwk.example"
		desk := p.staff(helper, "support", "pwd", "otp")
		p.SMTP.SetFailing(true)
		p.post(p.newClient(), "/passwort-vergessen", url.Values{"email": {helper}})
		var mailID string
		waitFor(t, func() bool {
			pg := p.get(desk, "/verwaltung/post")
			// Retrying, and the failed attempt is over (its error shown).
			m := regexp.MustCompile(`data-mail-id="(\d+)" data-mail-state="retrying">.*zuletzt: `).FindStringSubmatch(pg.Body)
			if m != nil {
				mailID = m[1]
			}
			return m != nil
		})
		before := p.mailsTo(helper)
		p.SMTP.SetFailing(false)
		if pg := p.post(desk, "/verwaltung/post/"+mailID+"/erneut", nil); pg.Status != 303 {
			t.Fatalf("retry: %d %q", pg.Status, pg.Code())
		}
		deadline := time.Now().Add(10 * time.Second)
		for p.mailsTo(helper) != before+1 {
			if time.Now().After(deadline) {
				mails, _ := p.openDB().Q().UndeliveredMails(context.Background(), 10)
				t.Fatalf("retried mail not delivered: %+v\n%s", mails, p.stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		p.linkIn(helper, "/passwort-neu")
		if pg := p.get(desk, "/verwaltung/post"); !strings.Contains(pg.Body, "Alle Mails sind zugestellt") {
			t.Fatal("outbox not empty after the retry")
		}
		if pg := p.post(desk, "/verwaltung/post/"+mailID+"/erneut", nil); pg.Status != 404 {
			t.Fatalf("retry of a sent mail: %d", pg.Status)
		}
		p.staffAudit(pforte.EventStaffMailRetried, helper)

		// The audit log: filtered on the page, and as CSV.
		p.post(p.newClient(), "/anmelden", url.Values{"email": {helper}, "password": {"Falsch-Passwort1"}})
		pg := p.get(desk, "/verwaltung/protokoll?event=login-failed&account="+url.QueryEscape(helper))
		if strings.Count(pg.Body, `data-event="login-failed"`) != 1 || strings.Contains(pg.Body, `data-event="staff-mail-retried"`) {
			t.Fatalf("filtered log: %d", pg.Status)
		}
		if pg := p.get(desk, "/verwaltung/protokoll?since=gestern"); pg.Status != 400 || pg.Code() != "bad-request" {
			t.Fatalf("bad since: %d %q", pg.Status, pg.Code())
		}
		// The console's own errors in English too (and back to German).
		if pg := p.get(desk, "/verwaltung/protokoll?since=gestern&lang=en"); pg.Status != 400 || !strings.Contains(pg.Body, "“Since” is not a date; please enter it as YYYY-MM-DD.") {
			t.Fatalf("bad since in English: %d %q", pg.Status, pg.Code())
		}
		p.get(desk, "/verwaltung?lang=de")
		if pg := p.get(desk, "/verwaltung/protokoll?account=niemand@example.de"); strings.Contains(pg.Body, "data-event=") {
			t.Fatal("unknown account shows entries")
		}
		// An address that a spreadsheet would read as a formula.
		if pg := p.post(p.newClient(), "/registrieren", url.Values{"email": {"=HYPERLINK@example.de"}, "password": {goodPW}, "password_repeat": {goodPW}}); pg.Status != 200 && pg.Status != 303 {
			t.Fatalf("registering the formula address: %d %q", pg.Status, pg.Code())
		}
		res := p.get(desk, "/verwaltung/protokoll?format=csv&since="+time.Now().Format("2006-01-02"))
		if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("csv: %d %s", res.Status, res.Header.Get("Content-Type"))
		}
		rows, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
		if err != nil || len(rows) < 4 {
			t.Fatalf("csv: %v, %d rows", err, len(rows))
		}
		if strings.Join(rows[0], ",") != "id,at,event,account_id,email,actor_id,actor,client,detail" {
			t.Fatalf("csv header: %v", rows[0])
		}
		found := false
		for _, r := range rows[1:] {
			if _, err := time.Parse(time.RFC3339, r[1]); err != nil || len(r) != 9 {
				t.Fatalf("csv row: %v", r)
			}
			if r[2] == "staff-mail-retried" && r[4] == helper && r[6] == helper && r[8] == "mail="+mailID {
				found = true
			}
		}
		if !found {
			t.Fatalf("csv lacks the retry: %v", rows)
		}
		formula := false
		for _, r := range rows[1:] {
			for _, cell := range r {
				if cell != "" && strings.ContainsRune("=+@", rune(cell[0])) {
					t.Fatalf("a cell a spreadsheet reads as a formula: %q in %v", cell, r)
				}
				formula = formula || cell == "'=hyperlink@example.de"
			}
		}
		if !formula {
			t.Fatalf("csv lacks the formula address, quoted: %v", rows)
		}
		p.staffAudit(pforte.EventStaffAuditExported, helper)
	})
}
