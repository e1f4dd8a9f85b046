package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"pforte"
	"pforte/store/storetest"
)

// errorBox is the error summary of a page (the element with
// data-error-code), "" when there is none.
func errorBox(body string) string {
	i := strings.Index(body, `data-error-code="`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	if j := strings.Index(rest, "</div>"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// The page findings of issue 9 that a page without a browser shows.
func TestPageFindings(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		addr := "meister@example.de"
		p.signUp(addr, goodPW)

		t.Run("an invalid link leads to the remedy of its kind", func(t *testing.T) {
			anon := p.newClient()
			for _, c := range []struct {
				method, path, kind, remedy string
			}{
				{"GET", "/passwort-neu?token=abgelaufen", "reset", `href="/passwort-vergessen"`},
				{"POST", "/passwort-neu", "reset", `href="/passwort-vergessen"`},
				{"GET", "/registrieren/bestaetigen?token=abgelaufen", "confirm", `action="/registrieren/erneut-senden"`},
				{"POST", "/registrieren/bestaetigen", "confirm", `action="/registrieren/erneut-senden"`},
				{"GET", "/konto/email/bestaetigen?token=abgelaufen", "email", `href="/konto/email"`},
				{"POST", "/konto/email/bestaetigen", "email", `href="/konto/email"`},
			} {
				var pg page
				if c.method == "GET" {
					pg = p.get(anon, c.path)
				} else {
					pg = p.post(anon, c.path, url.Values{"token": {"abgelaufen"}, "password": {goodPW + "x"}, "password_repeat": {goodPW + "x"}})
				}
				if pg.Status != 410 || pg.Code() != "token-invalid" || !strings.Contains(pg.Body, `data-link-kind="`+c.kind+`"`) || !strings.Contains(pg.Body, c.remedy) {
					t.Errorf("%s %s: %d %q, kind %s or %s missing", c.method, c.path, pg.Status, pg.Code(), c.kind, c.remedy)
				}
			}
			// Each kind names its own remedy, not the others'.
			if pg := p.get(anon, "/passwort-neu?token=x"); strings.Contains(pg.Body, `action="/registrieren/erneut-senden"`) || !strings.Contains(pg.Body, "Neuen Link anfordern") {
				t.Error("the reset link's page offers the confirmation mail, or no new link")
			}
			// The resend form there works as the one on the login page.
			if pg := p.post(anon, "/registrieren/erneut-senden", url.Values{"email": {"niemand@example.de"}}); pg.Status != 200 {
				t.Errorf("resend from the error page: %d %s", pg.Status, pg.Code())
			}
		})

		t.Run("a wrong code at set-up names no recovery codes", func(t *testing.T) {
			c := p.login(addr, goodPW)
			if pg := p.get(c, "/konto/zwei-faktor"); pg.Status != 200 {
				t.Fatalf("set-up page: %d", pg.Status)
			}
			pg := p.post(c, "/konto/zwei-faktor", url.Values{"code": {"000000"}, "current_password": {goodPW}})
			box := errorBox(pg.Body)
			if pg.Status != 422 || pg.Code() != "mfa-invalid" || strings.Contains(box, "Wiederherstellungscode") || !strings.Contains(box, "sechsstelligen Code") {
				t.Errorf("set-up with a wrong code: %d %q %s", pg.Status, pg.Code(), box)
			}
			en := p.newClient()
			en.Jar = c.Jar
			req, _ := http.NewRequest("POST", p.URL+"/konto/zwei-faktor?lang=en", strings.NewReader(url.Values{"code": {"000000"}, "current_password": {goodPW}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if box := errorBox(p.do(en, req).Body); strings.Contains(box, "recovery") || !strings.Contains(box, "six-digit code") {
				t.Errorf("in English: %s", box)
			}
		})

		t.Run("a failed login hints at the new password, the same for everyone", func(t *testing.T) {
			wrong := p.post(p.newClient(), "/anmelden", url.Values{"email": {addr}, "password": {"Falsch-123456!"}})
			unknown := p.post(p.newClient(), "/anmelden", url.Values{"email": {"niemand@example.de"}, "password": {"Falsch-123456!"}})
			for _, pg := range []page{wrong, unknown} {
				if pg.Status != 401 || !strings.Contains(pg.Body, `data-hint="new-password"`) || !strings.Contains(pg.Body, "Umstellung") {
					t.Errorf("failed login: %d, hint missing", pg.Status)
				}
			}
			if stripAddr(wrong.Body, addr) != stripAddr(unknown.Body, "niemand@example.de") {
				t.Error("the pages of a wrong password and an unknown address differ")
			}
			if pg := p.get(p.newClient(), "/anmelden"); strings.Contains(pg.Body, `data-hint="new-password"`) {
				t.Error("the hint is shown before any failed login")
			}
		})

		t.Run("signed in already, the login page says so", func(t *testing.T) {
			c := p.login(addr, goodPW)
			pg := p.get(c, "/anmelden")
			if pg.Status != 200 || !strings.Contains(pg.Body, "data-signed-in-as") || !strings.Contains(pg.Body, "<strong>"+addr+"</strong>") ||
				strings.Contains(pg.Body, `action="/anmelden"`) || !strings.Contains(pg.Body, `href="/konto"`) || !strings.Contains(pg.Body, `action="/abmelden"`) {
				t.Errorf("signed-in login page: %d\n%s", pg.Status, pg.Body)
			}
			if pg := p.get(p.newClient(), "/anmelden"); !strings.Contains(pg.Body, `action="/anmelden"`) {
				t.Error("no form for a visitor")
			}
			// A link to a page of the portal goes on to it; one elsewhere does not.
			if pg := p.get(c, "/anmelden?next=/konto/sicherheit"); pg.Status != 303 || pg.Header.Get("Location") != "/konto/sicherheit" {
				t.Errorf("signed in, next=/konto/sicherheit: %d to %q", pg.Status, pg.Header.Get("Location"))
			}
			if pg := p.get(c, "/anmelden?next=//evil.example/"); pg.Status != 200 || !strings.Contains(pg.Body, "data-signed-in-as") {
				t.Errorf("signed in, next elsewhere: %d to %q", pg.Status, pg.Header.Get("Location"))
			}
		})

		t.Run("the export explains its keys", func(t *testing.T) {
			for lang, want := range map[string]string{"de": "Angemeldet", "en": "Signed in"} {
				c := p.login(addr, goodPW)
				pg := p.get(c, "/konto/daten?lang="+lang)
				var x map[string]json.RawMessage
				if err := json.Unmarshal([]byte(pg.Body), &x); err != nil {
					t.Fatalf("%s: %v", lang, err)
				}
				var about struct {
					Language string
					Text     string
					Keys     map[string]string
				}
				if err := json.Unmarshal(x["about"], &about); err != nil || about.Language != lang || about.Text == "" {
					t.Fatalf("%s: about %s %v", lang, x["about"], err)
				}
				for k := range x {
					if k != "about" && about.Keys[k] == "" {
						t.Errorf("%s: key %s is not explained", lang, k)
					}
				}
				var audit []struct {
					Event     string `json:"event"`
					EventText string `json:"event_text"`
				}
				if err := json.Unmarshal(x["audit_log"], &audit); err != nil {
					t.Fatal(err)
				}
				found := false
				for _, l := range audit {
					if l.EventText == "" {
						t.Errorf("%s: event %s without words", lang, l.Event)
					}
					found = found || (l.Event == "login-succeeded" && l.EventText == want)
				}
				if !found {
					t.Errorf("%s: no login-succeeded as %q in %s", lang, want, x["audit_log"])
				}
			}
		})
	})
}

// A service's sign-in names the service on the login page, escaped, in
// both languages, and prompt=login still asks a signed-in member for the
// password.
func TestPageFindingsServiceName(t *testing.T) {
	p := startPortal(t, storetest.SQLiteURL(t), nil)
	addr := "dienst@example.de"
	p.signUp(addr, goodPW)
	r := newRP(t, p, "bau", "--name", `Bau<portal> & „Co“`)
	anon := p.newClient()
	f, pg := r.authorize(anon)
	if pg.Status != 200 || !strings.Contains(pg.Body, "<h1>Anmelden bei „Bau&lt;portal&gt; &amp; „Co““</h1>") || strings.Contains(pg.Body, "<portal>") {
		t.Errorf("German login page for the service: %d\n%s", pg.Status, pg.Body)
	}
	// A wrong password keeps the service's name on the page.
	u, _ := url.Parse(f.Login)
	if pg := p.post(anon, "/anmelden", url.Values{"email": {addr}, "password": {"Falsch-123456!"}, "next": {u.Query().Get("next")}}); pg.Status != 401 ||
		!strings.Contains(pg.Body, "<h1>Anmelden bei „Bau&lt;portal&gt; &amp; „Co““</h1>") {
		t.Errorf("refused login for the service: %d", pg.Status)
	}
	en := p.newClient()
	p.get(en, "/?lang=en")
	if _, pg := r.authorize(en); !strings.Contains(pg.Body, "<h1>Sign in to “Bau&lt;portal&gt; &amp; „Co“”</h1>") {
		t.Errorf("English login page for the service:\n%s", pg.Body)
	}
	// A plain login page names no service.
	if pg := p.get(p.newClient(), "/anmelden"); !strings.Contains(pg.Body, "<h1>Anmelden</h1>") {
		t.Error("the portal's own login page is not titled Anmelden")
	}
	// Signed in, prompt=login needs the password again: the form, not
	// "bereits angemeldet".
	c := p.login(addr, goodPW)
	f, pg = r.authorize(c, mapOpts(map[string]string{"prompt": "login"})...)
	if f.Login == "" || !strings.Contains(pg.Body, `action="/anmelden"`) || strings.Contains(pg.Body, "data-signed-in-as") || !strings.Contains(pg.Body, "Anmelden bei") {
		t.Fatalf("prompt=login while signed in: %d\n%s", pg.Status, pg.Body)
	}
	r.login(c, f, addr, goodPW)
	if f.Callback == nil || f.Callback.Query().Get("code") == "" {
		t.Fatal("no code after the fresh login")
	}

	// With a second factor, its step names the service too.
	secret := regexp.MustCompile(`data-totp-secret="([A-Z2-7]+)"`).FindStringSubmatch(p.get(c, "/konto/zwei-faktor").Body)
	if secret == nil {
		t.Fatal("no secret to set up")
	}
	code, err := totp.GenerateCode(secret[1], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if pg := p.post(c, "/konto/zwei-faktor", url.Values{"code": {code}, "current_password": {goodPW}}); pg.Status != 200 {
		t.Fatalf("set up the app: %d %s", pg.Status, pg.Code())
	}
	b := p.newClient()
	f, _ = r.authorize(b)
	u, _ = url.Parse(f.Login)
	if pg := p.post(b, "/anmelden", url.Values{"email": {addr}, "password": {goodPW}, "next": {u.Query().Get("next")}}); pg.Header.Get("Location") != "/anmelden/zweiter-faktor" {
		t.Fatalf("no second step: %d %s", pg.Status, pg.Header.Get("Location"))
	}
	if pg := p.get(b, "/anmelden/zweiter-faktor"); !strings.Contains(pg.Body, "„Bau&lt;portal&gt; &amp; „Co““ nutzt Ihr Konto") {
		t.Errorf("the second step does not name the service:\n%s", pg.Body)
	}
}

// The console speaks words, not codes, counts in the right number, and
// shows a PIN's last valid minute in Berlin time.
func TestPageFindingsConsole(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		admin := p.staff("chefin@example.de", "admin", "pwd", "otp")
		p.staff("hilfe@example.de", "support", "pwd", "otp")
		member := "mitglied@example.de"
		p.signUp(member, goodPW)
		p.post(p.newClient(), "/anmelden", url.Values{"email": {member}, "password": {"Falsch-123456!"}})

		pg := p.get(admin, "/verwaltung/protokoll")
		if pg.Status != 200 || !strings.Contains(pg.Body, "<td>Anmeldung fehlgeschlagen</td>") || strings.Contains(pg.Body, "<td>login-failed</td>") {
			t.Errorf("audit log shows codes: %d", pg.Status)
		}
		if !strings.Contains(pg.Body, `<option value="login-failed">Anmeldung fehlgeschlagen</option>`) {
			t.Error("the event filter does not offer the events in words")
		}
		if pg := p.get(admin, "/verwaltung/protokoll?event=login-failed"); !strings.Contains(pg.Body, `<option value="login-failed" selected>`) {
			t.Error("the chosen event is not kept in the filter")
		}
		pg = p.get(admin, "/verwaltung/mitarbeiter")
		if !strings.Contains(pg.Body, "<td>Support</td>") || !strings.Contains(pg.Body, "<td>Administration</td>") || strings.Contains(pg.Body, "<td>support</td>") {
			t.Error("staff list shows role codes")
		}
		pg = p.get(admin, "/verwaltung/konten/"+p.accountID(member))
		if !strings.Contains(pg.Body, "1 Fehlversuch, nicht gesperrt") || strings.Contains(pg.Body, "1 Fehlversuche") || !strings.Contains(pg.Body, "Mitglied (keine Rolle)") {
			t.Errorf("account page: plural or role wrong: %s", regexp.MustCompile(`data-field="throttle">[^<]*`).FindString(pg.Body))
		}
		p.post(p.newClient(), "/anmelden", url.Values{"email": {member}, "password": {"Falsch-123456!"}})
		if pg := p.get(admin, "/verwaltung/konten/"+p.accountID(member)); !strings.Contains(pg.Body, "2 Fehlversuche, nicht gesperrt") {
			t.Error("two failures are not counted in the plural")
		}

		// The PIN works through the last day: its last minute is shown.
		p.mustCLI("businesses", "import", registerFile(t, "register.csv", registerCSV))
		p.issuePIN("4712")
		pins, err := p.openDB().Q().PINsOf(context.Background(), "4712", 10)
		if err != nil || len(pins) != 1 {
			t.Fatalf("PINs: %v %d", err, len(pins))
		}
		last := pins[0].ExpiresAt.Add(-time.Nanosecond).In(pforte.DateZone)
		want := last.Format("02.01.2006") + " 23:59"
		if last.Hour() != 23 || last.Minute() != 59 {
			t.Fatalf("the PIN ends at %v, not at midnight in Berlin", pins[0].ExpiresAt)
		}
		pg = p.get(admin, "/verwaltung/betriebe/4712")
		if cell := regexp.MustCompile(`data-pin-valid-until>([^<]*)<`).FindStringSubmatch(pg.Body); cell == nil || cell[1] != want {
			t.Errorf("PIN valid until %v, want %s", cell, want)
		}
	})
}
