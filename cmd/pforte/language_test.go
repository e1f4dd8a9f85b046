package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pforte/store/storetest"
)

// Without a choice, Accept-Language decides; ?lang= chooses and its
// cookie keeps the choice; the code, status, path and field names stay.
func TestLanguageFromAcceptLanguageAndSwitch(t *testing.T) {
	p := startPortal(t, storetest.SQLiteURL(t), nil)
	get := func(c *http.Client, path, accept string) page {
		t.Helper()
		req, _ := http.NewRequest("GET", p.abs(path), nil)
		if accept != "" {
			req.Header.Set("Accept-Language", accept)
		}
		return p.do(c, req)
	}
	for accept, want := range map[string]string{"": "de", "de-DE,de;q=0.9": "de", "en-GB,en;q=0.8": "en", "en-US": "en",
		"fr-FR,en;q=0.5": "en", "fr-FR": "de", "nl,de;q=0.7,en;q=0.3": "de"} {
		pg := get(p.newClient(), "/anmelden", accept)
		if pg.Status != 200 || !strings.Contains(pg.Body, `<html lang="`+want+`">`) || pg.Header.Get("Content-Language") != want {
			t.Errorf("Accept-Language %q: status %d, Content-Language %q, want %s", accept, pg.Status, pg.Header.Get("Content-Language"), want)
		}
		if !strings.Contains(pg.Header.Get("Vary"), "Accept-Language") {
			t.Errorf("Accept-Language %q: Vary %q", accept, pg.Header.Get("Vary"))
		}
	}
	if pg := get(p.newClient(), "/anmelden", "en"); !strings.Contains(pg.Body, "<h1>Sign in</h1>") || !strings.Contains(pg.Body, `<label for="email">Email address</label>`) {
		t.Errorf("English sign-in page: %s", pg.Body)
	}
	if pg := get(p.newClient(), "/anmelden", ""); !strings.Contains(pg.Body, "<h1>Anmelden</h1>") || !strings.Contains(pg.Body, `<label for="email">E-Mail-Adresse</label>`) {
		t.Errorf("German sign-in page: %s", pg.Body)
	}

	// The switch beats the header, and the cookie keeps it.
	c := p.newClient()
	pg := get(c, "/registrieren?lang=en", "de-DE")
	if !strings.Contains(pg.Body, `<html lang="en">`) || !strings.Contains(pg.Header.Get("Set-Cookie"), "pforte_lang=en") {
		t.Fatalf("?lang=en: %q %s", pg.Header.Get("Set-Cookie"), pg.Body[:200])
	}
	if pg := get(c, "/passwort-vergessen", "de-DE"); !strings.Contains(pg.Body, `<html lang="en">`) || !strings.Contains(pg.Body, "Forgotten password") {
		t.Errorf("the cookie did not keep English: %s", pg.Body[:300])
	}
	if pg := get(c, "/registrieren?lang=xx", "de-DE"); !strings.Contains(pg.Body, `<html lang="en">`) {
		t.Errorf("an unknown ?lang= must leave the choice alone")
	}

	// The guide and the legal pages are English too: <html lang="en">,
	// English words, English pictures; the PDF follows the same choice.
	for path, want := range map[string]string{"/hilfe/anleitung": "<h1>Step-by-step guide</h1>", "/impressum": "<h1>Legal notice</h1>",
		"/datenschutz": "<h1>Privacy notice</h1>", "/barrierefreiheit": "<h1>Accessibility statement</h1>"} {
		pg := get(c, path, "de-DE")
		if pg.Status != 200 || !strings.Contains(pg.Body, `<html lang="en">`) || !strings.Contains(pg.Body, want) || pg.Header.Get("Content-Language") != "en" ||
			strings.Count(pg.Body, ` lang="de"`) != 1 { // the switch's link to German, nothing else
			t.Errorf("%s in English: %d %q", path, pg.Status, pg.Header.Get("Content-Language"))
		}
		if path != "/hilfe/anleitung" && !strings.Contains(pg.Body, "<strong>Sample:</strong>") {
			t.Errorf("%s: no English sample box", path)
		}
	}
	if pg := get(c, "/hilfe/anleitung", "de-DE"); !strings.Contains(pg.Body, `<img src="/hilfe/anleitung/en/registrieren.png" alt="The “Register” form`) ||
		!strings.Contains(pg.Body, "Click “Register” ("+p.env["PFORTE_BASE_URL"]+"/registrieren).") || strings.Contains(pg.Body, "Klicken Sie") {
		t.Errorf("English guide page: %s", pg.Body)
	}
	if pg := get(c, "/hilfe/anleitung.pdf", "de-DE"); pg.Status != 200 || pg.Header.Get("Content-Language") != "en" || !strings.HasPrefix(pg.Body, "%PDF-") {
		t.Errorf("English guide PDF: %d %q", pg.Status, pg.Header.Get("Content-Language"))
	}
	if pg := get(p.newClient(), "/hilfe/anleitung.pdf?lang=de", "en"); pg.Status != 200 || pg.Header.Get("Content-Language") != "de" {
		t.Errorf("German guide PDF: %d %q", pg.Status, pg.Header.Get("Content-Language"))
	}
	if pg := get(p.newClient(), "/hilfe/anleitung.pdf", "en-GB"); pg.Header.Get("Content-Language") != "en" {
		t.Errorf("guide PDF by Accept-Language: %q", pg.Header.Get("Content-Language"))
	}

	if pg := get(c, "/hilfe", "de-DE"); !strings.Contains(pg.Body, `<html lang="en">`) || !strings.Contains(pg.Body, "<h1>Help and frequently asked questions</h1>") ||
		!strings.Contains(pg.Body, `<dt id="fehler-invalid-credentials">Wrong email address or password</dt>`) {
		t.Errorf("English help page: %s", pg.Body[:600])
	}

	// In English, errors keep their code, status and field, and say it in English.
	pg = p.post(c, "/anmelden", url.Values{"email": {"niemand@example.de"}, "password": {"falsch"}})
	if pg.Status != 401 || pg.Code() != "invalid-credentials" || !strings.Contains(pg.Body, "The email address or password is wrong.") ||
		!strings.Contains(pg.Body, `<html lang="en">`) {
		t.Errorf("English login error: %d %s", pg.Status, pg.Code())
	}
	pg = p.post(c, "/registrieren", url.Values{"email": {"neu@example.de"}, "password": {"kurz"}, "password_repeat": {"kurz"}})
	if pg.Status != 422 || pg.Code() != "policy" || !strings.Contains(pg.Body, "At least 12 characters") {
		t.Errorf("English policy error: %d %s %v", pg.Status, pg.Code(), pg.Rules())
	}
	// A domain error with a value filled in keeps the value, in English.
	p.signUp("englisch@example.de", goodPW)
	m := p.login("englisch@example.de", goodPW)
	p.get(m, "/konto?lang=en")
	if pg := p.post(m, "/betrieb/pin-beantragen", url.Values{"business": {"kein!gültiger?wert"}}); pg.Code() != "pin-invalid" ||
		!strings.Contains(pg.Body, "That is not a business number: it consists of at most 20 digits, letters and hyphens.") {
		t.Errorf("English business number error: %d %s", pg.Status, pg.Code())
	}
	if pg := p.post(m, "/betrieb/pin-beantragen", url.Values{"business": {"9999-9999"}}); pg.Code() != "pin-invalid" ||
		!strings.Contains(pg.Body, "The business number 9999-9999 is not in the register. Please check the number.") {
		t.Errorf("English unknown business number: %d %s", pg.Status, pg.Code())
	}
	if pg := get(c, "/gibt-es-nicht", ""); pg.Status != 404 || pg.Code() != "not-found" || !strings.Contains(pg.Body, "Page not found") {
		t.Errorf("English 404: %d %s", pg.Status, pg.Code())
	}
}

// The switch is on every page: a click changes the language of the page
// and of the pages after it, through the cookie.
func TestBrowserLanguageSwitch(t *testing.T) {
	ctx := browser(t)
	p := startPortal(t, storetest.SQLiteURL(t), nil)
	step := stepper(t, ctx)
	// Before any choice the browser's own language decides (chromium
	// here asks for its locale, usually en-US).
	step(chromedp.Navigate(p.URL + "/anmelden"))
	want := "de"
	if strings.HasPrefix(eval[string](t, ctx, `navigator.language`), "en") {
		want = "en"
	}
	if got := eval[string](t, ctx, `document.documentElement.lang`); got != want {
		t.Errorf("before the switch: %q, browser asks for %q", got, want)
	}
	step(chromedp.Click(chromedp.CSS(`.lang-switch a[hreflang="de"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="de"]`)))
	if got := eval[string](t, ctx, `document.querySelector("h1").textContent`); got != "Anmelden" {
		t.Fatalf("German: %q", got)
	}
	step(chromedp.Click(chromedp.CSS(`.lang-switch a[hreflang="en"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"]`)))
	if got := eval[string](t, ctx, `document.querySelector("h1").textContent + "|" + document.querySelector('.lang-switch [aria-current]').textContent + "|" + location.pathname`); got != "Sign in|English|/anmelden" {
		t.Errorf("after switching to English: %q", got)
	}
	if got := eval[string](t, ctx, `document.cookie`); got != "" {
		t.Errorf("the language cookie should be HttpOnly, script sees %q", got)
	}
	// The next page, reached by a link, is English too: the cookie.
	step(chromedp.Click(chromedp.CSS(`a[href="/passwort-vergessen"]`)), chromedp.WaitVisible(chromedp.CSS(`form[action="/passwort-vergessen"]`)))
	if got := eval[string](t, ctx, `document.documentElement.lang + "|" + document.querySelector("h1").textContent`); got != "en|Forgotten password" {
		t.Errorf("next page: %q", got)
	}
	// The scripts speak English too: the checklist's states, the
	// password button, the rules the JSON hands to policy.js.
	step(chromedp.Navigate(p.URL+"/registrieren"), chromedp.WaitVisible(chromedp.CSS(`ul.checklist`)),
		chromedp.SendKeys(chromedp.CSS(`#password`), "abc"))
	if got := eval[string](t, ctx, `document.querySelector('li[data-check="upper"]').textContent + "|" + document.querySelector('li[data-check="lower"] span.state').textContent + "|" + document.querySelector(".password-toggle").textContent`); got != "At least one capital letter (A–Z, Ä, Ö, Ü …)not met|met|Show password" {
		t.Errorf("English scripts: %q", got)
	}
	if got := eval[string](t, ctx, `JSON.parse(document.getElementById("pforte-policy").textContent).rules[0].label`); !strings.HasPrefix(got, "At least") {
		t.Errorf("policy JSON in English: %q", got)
	}
	step(chromedp.Click(chromedp.CSS(`.lang-switch a[hreflang="de"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="de"]`)))
	step(chromedp.Navigate(p.URL + "/registrieren"))
	if got := eval[string](t, ctx, `document.querySelector(".password-toggle").textContent`); got != "Passwort anzeigen" {
		t.Errorf("German password button: %q", got)
	}
	if got := eval[string](t, ctx, `document.documentElement.lang + "|" + document.querySelector("h1").textContent`); got != "de|Registrieren" {
		t.Errorf("back in German: %q", got)
	}
}

// Mails go out in the language the member last used, with that
// Content-Language: registered in English, the confirmation is English;
// switched to German while signed in, the next mail is German.
func TestMailsInTheMembersLanguage(t *testing.T) {
	p := startPortal(t, storetest.SQLiteURL(t), nil)
	addr := "english@example.de"
	c := p.newClient()
	p.get(c, "/registrieren?lang=en")
	if pg := p.post(c, "/registrieren", url.Values{"email": {addr}, "password": {goodPW}, "password_repeat": {goodPW}}); pg.Status != 200 ||
		!strings.Contains(pg.Body, "Please check your inbox") {
		t.Fatalf("register in English: %d %s", pg.Status, pg.Code())
	}
	m := p.SMTP.WaitFor(t, addr, 10*time.Second)
	if got := m.Header.Get("Content-Language"); got != "en" {
		t.Errorf("confirmation mail: Content-Language %q", got)
	}
	if !strings.HasPrefix(m.Subject, "Please confirm your email address") || !strings.Contains(m.Text, "Hello,") ||
		!strings.Contains(m.Text, "Kind regards") || !strings.Contains(m.HTML, `<html lang="en">`) || strings.Contains(m.Text, "Sie") {
		t.Errorf("confirmation mail not in English: %q\n%s", m.Subject, m.Text)
	}
	link := p.linkIn(addr, "/registrieren/bestaetigen")
	form := p.get(c, link)
	if pg := p.post(c, "/registrieren/bestaetigen", url.Values{"token": {hidden(form.Body, "token")}}); pg.Status != 200 {
		t.Fatalf("confirm: %d", pg.Status)
	}

	// Signed in with the German switch: the account now speaks German.
	s := p.newClient()
	p.get(s, "/anmelden?lang=de")
	if pg := p.post(s, "/anmelden", url.Values{"email": {addr}, "password": {goodPW}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("login: %d %s", pg.Status, pg.Code())
	}
	before, received := p.mailsTo(addr), len(p.SMTP.Messages())
	p.post(p.newClient(), "/passwort-vergessen", url.Values{"email": {addr}})
	// Counted before the request: the mail may be delivered before it answers.
	msgs := p.SMTP.Wait(t, received+1, 10*time.Second)
	reset := msgs[len(msgs)-1]
	if p.mailsTo(addr) != before+1 || reset.Header.Get("Content-Language") != "de" || !strings.HasPrefix(reset.Subject, "Neues Passwort festlegen") {
		t.Errorf("reset mail after a German login: %q %q", reset.Header.Get("Content-Language"), reset.Subject)
	}

	// Switching while signed in changes the account's language, too.
	p.get(s, "/konto?lang=en")
	newPW := goodPW + "-neu"
	if pg := p.post(s, "/konto/passwort", url.Values{"current_password": {goodPW}, "password": {newPW}, "password_repeat": {newPW}}); pg.Status >= 400 {
		t.Fatalf("change password: %d %s", pg.Status, pg.Code())
	}
	msgs = p.SMTP.Wait(t, len(msgs)+1, 10*time.Second)
	changed := msgs[len(msgs)-1]
	if changed.Header.Get("Content-Language") != "en" || !strings.HasPrefix(changed.Subject, "Your password has been changed") ||
		!strings.Contains(changed.Text, "If this was not you, please set a new password") {
		t.Errorf("mail after switching to English: %q %q\n%s", changed.Header.Get("Content-Language"), changed.Subject, changed.Text)
	}
}

// stepper runs browser actions with a timeout, failing t on an error.
func stepper(t *testing.T, ctx context.Context) func(actions ...chromedp.Action[chromedp.Void]) {
	return func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
}
