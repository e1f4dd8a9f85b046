package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

const firefoxUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"

// loginAs signs in with a fresh client that calls itself ua.
func (p *portal) loginAs(addr, pw, ua string) *http.Client {
	p.t.Helper()
	c := p.newClient()
	req, _ := http.NewRequest("POST", p.URL+"/anmelden", strings.NewReader(url.Values{"email": {addr}, "password": {pw}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", ua)
	if pg := p.do(c, req); pg.Status != 303 {
		p.t.Fatalf("login %s: %d %q", addr, pg.Status, pg.Code())
	}
	return c
}

var sessionRow = regexp.MustCompile(`<tr data-session="([0-9a-f]+)"( data-current)?>`)

// sessionsOn lists the sids on /konto/sicherheit and which one is current.
func sessionsOn(t *testing.T, p *portal, c *http.Client) (sids []string, current string, body string) {
	t.Helper()
	pg := p.get(c, "/konto/sicherheit")
	if pg.Status != 200 {
		t.Fatalf("security page: %d %q", pg.Status, pg.Code())
	}
	for _, m := range sessionRow.FindAllStringSubmatch(pg.Body, -1) {
		sids = append(sids, m[1])
		if m[2] != "" {
			current = m[1]
		}
	}
	return sids, current, pg.Body
}

func TestSessionsOnSecurityPage(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		addr := "jana@example.de"
		p.signUp(addr, goodPW)
		p.signUp("kai@example.de", goodPW)
		a := p.loginAs(addr, goodPW, firefoxUA)
		b := p.login(addr, goodPW)
		sids, cur, body := sessionsOn(t, p, a)
		if len(sids) != 2 || cur == "" || !strings.Contains(body, "Firefox unter Windows") || !strings.Contains(body, "127.0.0.1") {
			t.Fatalf("sessions: %v current %q", sids, cur)
		}
		if pg := p.get(a, "/konto/sicherheit?lang=en"); !strings.Contains(pg.Body, "Firefox on Windows") || strings.Contains(pg.Body, "unter Windows") {
			t.Errorf("English session list:\n%s", pg.Body)
		}
		p.get(a, "/konto/sicherheit?lang=de")
		var bSID string
		for _, s := range sids {
			if s != cur {
				bSID = s
			}
		}
		// Another account cannot end it: its sid is not theirs.
		kai := p.login("kai@example.de", goodPW)
		p.post(kai, "/konto/sitzungen/"+bSID+"/beenden", nil)
		if pg := p.get(b, "/konto"); pg.Status != 200 {
			t.Fatalf("another account ended the session: %d", pg.Status)
		}
		if pg := p.post(a, "/konto/sitzungen/"+bSID+"/beenden", nil); pg.Status != 303 || pg.Header.Get("Location") != "/konto/sicherheit?hinweis=sitzung-beendet" {
			t.Fatalf("end one: %d %q", pg.Status, pg.Header.Get("Location"))
		}
		if pg := p.get(b, "/konto"); pg.Status != 303 {
			t.Fatalf("ended session still works: %d", pg.Status)
		}
		// "Alle anderen beenden" keeps only this one.
		c, d := p.login(addr, goodPW), p.login(addr, goodPW)
		if pg := p.post(a, "/konto/sitzungen/andere-beenden", nil); pg.Status != 303 {
			t.Fatalf("end others: %d", pg.Status)
		}
		for _, x := range []*http.Client{c, d} {
			if pg := p.get(x, "/konto"); pg.Status != 303 {
				t.Fatalf("other session survived: %d", pg.Status)
			}
		}
		if sids, _, _ := sessionsOn(t, p, a); len(sids) != 1 {
			t.Fatalf("sessions after ending the others: %v", sids)
		}
		// Ending its own session signs the browser out.
		pg := p.post(a, "/konto/sitzungen/"+cur+"/beenden", nil)
		if pg.Status != 303 || pg.Header.Get("Location") != "/anmelden?abgemeldet=1" {
			t.Fatalf("end own: %d %q", pg.Status, pg.Header.Get("Location"))
		}
		if pg := p.get(a, "/konto"); pg.Status != 303 {
			t.Fatalf("own ended session: %d", pg.Status)
		}
		if pg := p.get(kai, "/konto"); pg.Status != 200 {
			t.Fatalf("the other account's session: %d", pg.Status)
		}
		assertAudit(t, p, "session-ended")
	})
}

func TestEmailChange(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		old, taken, fresh := "lara@example.de", "mia@example.de", "lara.neu@example.de"
		p.signUp(old, goodPW)
		p.signUp(taken, goodPW)
		c := p.login(old, goodPW)
		if pg := p.post(c, "/konto/email", url.Values{"email": {fresh}, "current_password": {otherPW}}); pg.Status != 401 || pg.Code() != "invalid-credentials" {
			t.Fatalf("wrong password: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(c, "/konto/email", url.Values{"email": {"keine-adresse"}, "current_password": {goodPW}}); pg.Status != 422 || pg.Code() != "invalid-email" {
			t.Fatalf("bad address: %d %q", pg.Status, pg.Code())
		}
		// A taken address gets the same answer; its owner is told.
		tk := p.post(c, "/konto/email", url.Values{"email": {taken}, "current_password": {goodPW}})
		fr := p.post(c, "/konto/email", url.Values{"email": {fresh}, "current_password": {goodPW}})
		if tk.Status != 200 || fr.Status != 200 || stripAddr(tk.Body, taken) != stripAddr(fr.Body, fresh) {
			t.Fatalf("answers differ: %d %d", tk.Status, fr.Status)
		}
		waitFor(t, func() bool { return p.subjectTo(taken, "anderes Konto") })
		link := p.linkIn(fresh, "/konto/email/bestaetigen")
		// Opening the link changes nothing; the old address still signs in.
		o := p.newClient()
		form := p.get(o, link)
		if form.Status != 200 || !strings.Contains(form.Body, fresh) {
			t.Fatalf("confirm form: %d", form.Status)
		}
		p.login(old, goodPW)
		// A reset link mailed to the old address stops working with the change.
		p.post(p.newClient(), "/passwort-vergessen", url.Values{"email": {old}})
		reset := p.linkIn(old, "/passwort-neu")
		tok := hidden(form.Body, "token")
		if pg := p.post(o, "/konto/email/bestaetigen", url.Values{"token": {tok}}); pg.Status != 200 || !strings.Contains(pg.Body, fresh) {
			t.Fatalf("confirm: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(o, "/konto/email/bestaetigen", url.Values{"token": {tok}}); pg.Status != 410 || pg.Code() != "token-invalid" {
			t.Fatalf("confirm again: %d %q", pg.Status, pg.Code())
		}
		waitFor(t, func() bool { return p.subjectTo(old, "Anmeldeadresse wurde geändert") })
		if pg := p.get(p.newClient(), reset); pg.Status != 410 {
			t.Fatalf("old address's reset link after the change: %d", pg.Status)
		}
		if pg := p.post(p.newClient(), "/anmelden", url.Values{"email": {old}, "password": {goodPW}}); pg.Code() != "invalid-credentials" {
			t.Fatalf("old address after the change: %d %q", pg.Status, pg.Code())
		}
		p.login(fresh, goodPW)
		if pg := p.get(c, "/konto"); pg.Status != 200 || !strings.Contains(pg.Body, fresh) {
			t.Fatalf("konto after the change: %d", pg.Status)
		}
		// The owner of the taken address still has it.
		p.login(taken, goodPW)
		assertAudit(t, p, "email-change-requested", "email-changed")
	})
}

func TestExportAndDeleteOwnAccount(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		addr := "nora@example.de"
		p.signUp(addr, goodPW)
		c := p.loginAs(addr, goodPW, firefoxUA)
		pg := p.get(c, "/konto/daten")
		if pg.Status != 200 || !strings.HasPrefix(pg.Header.Get("Content-Type"), "application/json") ||
			!strings.HasPrefix(pg.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %q %q", pg.Status, pg.Header.Get("Content-Type"), pg.Header.Get("Content-Disposition"))
		}
		var x struct {
			Account struct {
				Email string `json:"email"`
			} `json:"account"`
			Sessions []struct {
				Browser string `json:"user_agent"`
			} `json:"sessions"`
			Mails []struct {
				Subject string `json:"subject"`
			} `json:"mails"`
			Audit []struct {
				Event string `json:"event"`
			} `json:"audit_log"`
		}
		if err := json.Unmarshal([]byte(pg.Body), &x); err != nil {
			t.Fatal(err)
		}
		if x.Account.Email != addr || len(x.Sessions) != 1 || x.Sessions[0].Browser != firefoxUA || len(x.Mails) == 0 || len(x.Audit) < 3 {
			t.Fatalf("export content: %+v", x)
		}
		if strings.Contains(pg.Body, "$argon2") || strings.Contains(pg.Body, "hash") {
			t.Fatal("export holds a hash")
		}

		other := p.login(addr, goodPW)
		if pg := p.post(c, "/konto/loeschen", url.Values{"current_password": {otherPW}}); pg.Status != 401 || pg.Code() != "invalid-credentials" {
			t.Fatalf("delete with a wrong password: %d %q", pg.Status, pg.Code())
		}
		pg = p.post(c, "/konto/loeschen", url.Values{"current_password": {goodPW}})
		if pg.Status != 303 || pg.Header.Get("Location") != "/?hinweis=konto-geloescht" || sessionCookie(t, c, p) != "" {
			t.Fatalf("delete: %d %q", pg.Status, pg.Header.Get("Location"))
		}
		if home := p.get(c, pg.Header.Get("Location")); !strings.Contains(home.Body, "Ihr Konto ist gelöscht") {
			t.Fatal("the start page after the deletion does not say it worked")
		}
		if pg := p.get(other, "/konto"); pg.Status != 303 {
			t.Fatalf("session after deletion: %d", pg.Status)
		}
		if pg := p.post(p.newClient(), "/anmelden", url.Values{"email": {addr}, "password": {goodPW}}); pg.Code() != "invalid-credentials" {
			t.Fatalf("login after deletion: %q", pg.Code())
		}
		waitFor(t, func() bool { return p.subjectTo(addr, "Ihr Konto wurde gelöscht") })
		out, _, err := p.cli("audit")
		if err != nil || !strings.Contains(out, "account-deleted") || strings.Contains(out, addr) {
			t.Fatalf("audit after deletion (%v):\n%s", err, out)
		}
		// The address may register again, as a new account.
		n := p.mailsTo(addr)
		if pg := p.post(p.newClient(), "/registrieren", url.Values{"email": {addr}, "password": {otherPW}, "password_repeat": {otherPW}}); pg.Status != 200 {
			t.Fatalf("register again: %d %q", pg.Status, pg.Code())
		}
		waitFor(t, func() bool { return p.mailsTo(addr) > n })
		if !strings.Contains(p.SMTP.Messages()[len(p.SMTP.Messages())-1].Subject, "bestätigen") {
			t.Fatal("no confirmation mail for the new account")
		}
	})
}
