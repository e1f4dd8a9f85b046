package main

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pforte/store/storetest"
)

// browserSteps runs chromedp actions with a timeout, failing the test.
func browserSteps(t *testing.T, ctx context.Context) func(actions ...chromedp.Action[chromedp.Void]) {
	return func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
}

func text(t *testing.T, ctx context.Context, selector string) string {
	t.Helper()
	return eval[string](t, ctx, `(document.querySelector(`+jsString(selector)+`) || {innerText: ""}).innerText`)
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// TestBrowserFixedFaults walks, in chromium, through the faults issue 9
// found: each must stay fixed.
func TestBrowserFixedFaults(t *testing.T) {
	ctx := browser(t)
	p := startPortal(t, storetest.SQLiteURL(t), nil)
	step := browserSteps(t, ctx)
	p.mustCLI("businesses", "import", registerFile(t, "register.csv", registerCSV))
	addr := "meisterin@example.de"
	p.signUp(addr, goodPW)
	pin := p.issuePIN("4712")

	step(chromedp.Navigate(p.URL+"/anmelden"), chromedp.SendKeys(chromedp.CSS(`#email`), addr),
		chromedp.SendKeys(chromedp.CSS(`#password`), goodPW), chromedp.Click(chromedp.CSS(`form[action="/anmelden"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`dl.facts`)))
	step(chromedp.Navigate(p.URL+"/betrieb/verknuepfen"), chromedp.SendKeys(chromedp.CSS(`#business`), "4712"),
		chromedp.SendKeys(chromedp.CSS(`#pin`), pin), chromedp.Click(chromedp.CSS(`form[action="/betrieb/verknuepfen"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)))

	t.Run("1 unlink is visible and asks first", func(t *testing.T) {
		step(chromedp.Navigate(p.URL+"/konto"), chromedp.WaitVisible(chromedp.CSS(`a[href="/betrieb/4712/trennen"]`)))
		colour := eval[string](t, ctx, `getComputedStyle(document.querySelector('a[href="/betrieb/4712/trennen"]')).color`)
		if colour == "rgb(255, 255, 255)" {
			t.Fatalf("unlink is white on white")
		}
		step(chromedp.Click(chromedp.CSS(`a[href="/betrieb/4712/trennen"]`)), chromedp.WaitVisible(chromedp.CSS(`button.danger`)))
		if !strings.Contains(text(t, ctx, "main"), "neue PIN") {
			t.Errorf("the question does not say what a new link costs: %s", text(t, ctx, "main"))
		}
		// Asking unlinked nothing: "Nein" leads back, the link is still there.
		step(chromedp.Click(chromedp.CSS(`a.button-secondary`)), chromedp.WaitVisible(chromedp.CSS(`a[href="/betrieb/4712/trennen"]`)))
		step(chromedp.Click(chromedp.CSS(`a[href="/betrieb/4712/trennen"]`)), chromedp.WaitVisible(chromedp.CSS(`button.danger`)),
			chromedp.Click(chromedp.CSS(`button.danger`)), chromedp.WaitVisible(chromedp.CSS(`p.notice`)))
		if n := eval[int](t, ctx, `document.querySelectorAll('a[href="/betrieb/4712/trennen"]').length`); n != 0 {
			t.Fatal("still linked after the confirmed unlink")
		}
	})

	t.Run("2 a mistyped repeat is not a policy failure", func(t *testing.T) {
		step(chromedp.Navigate(p.URL+"/registrieren"), chromedp.SendKeys(chromedp.CSS(`#email`), "neu@example.de"),
			chromedp.SendKeys(chromedp.CSS(`#password`), goodPW), chromedp.SendKeys(chromedp.CSS(`#password_repeat`), goodPW+"x"),
			chromedp.Click(chromedp.CSS(`form[action="/registrieren"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-error-code="policy"]`)))
		box := text(t, ctx, `[data-error-code="policy"]`)
		if !strings.Contains(box, "stimmen nicht überein") || strings.Contains(box, "Richtlinie") || strings.Contains(box, "Beide Eingaben stimmen überein") {
			t.Errorf("error box: %q", box)
		}
		if eval[int](t, ctx, `document.querySelectorAll('[data-error-code="policy"] [data-rule="repeat"]').length`) != 1 {
			t.Error("the repeat rule is not named as data-rule")
		}
		if got := eval[string](t, ctx, `document.getElementById("password_repeat").getAttribute("aria-invalid") + " " + document.getElementById("password_repeat").getAttribute("aria-describedby")`); got != "true password_repeat-error" {
			t.Errorf("repeat field: %q", got)
		}
		if !strings.Contains(text(t, ctx, "#password_repeat-error"), "stimmen nicht überein") {
			t.Error("no message beside the repeat field")
		}
		// The checklist agrees with the box: every rule met but the repeat.
		for rule, ok := range checks(t, ctx) {
			if want := map[bool]string{true: "false", false: "true"}[rule == "repeat"]; ok != want {
				t.Errorf("checklist %s = %q, want %q", rule, ok, want)
			}
		}
	})

	t.Run("3 an unknown number is not called an invalid PIN", func(t *testing.T) {
		step(chromedp.Navigate(p.URL+"/betrieb/pin-beantragen"), chromedp.SendKeys(chromedp.CSS(`#business`), "999999"),
			chromedp.Click(chromedp.CSS(`form[action="/betrieb/pin-beantragen"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-error-code="pin-invalid"]`)))
		box := text(t, ctx, `[data-error-code="pin-invalid"]`)
		if strings.Contains(box, "PIN ungültig") || !strings.Contains(box, "nicht im Register") {
			t.Errorf("error box: %q", box)
		}
		if eval[string](t, ctx, `document.getElementById("business").getAttribute("aria-invalid")`) != "true" {
			t.Error("number field not marked invalid")
		}
	})

	t.Run("5 help and 404 know the signed-in member", func(t *testing.T) {
		for _, path := range []string{"/hilfe", "/gibt-es-nicht"} {
			step(chromedp.Navigate(p.URL + path))
			nav := text(t, ctx, "header nav")
			if !strings.Contains(nav, "Abmelden") || strings.Contains(nav, "Anmelden\n") || strings.Contains(nav, "Registrieren") {
				t.Errorf("%s: header shows %q", path, nav)
			}
		}
		if main := text(t, ctx, "main"); strings.Contains(main, "Passwort vergessen") || !strings.Contains(main, "Mein Konto") {
			t.Errorf("404 offers: %q", main)
		}
	})

	t.Run("6 a used confirmation link leads to the login", func(t *testing.T) {
		link := p.linkIn(addr, "/registrieren/bestaetigen")
		if pg := p.get(p.newClient(), link); pg.Status != 200 || pg.Code() != "" {
			t.Fatalf("used link: %d %q", pg.Status, pg.Code())
		}
		step(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`main a[href="/anmelden"]`)))
		if main := text(t, ctx, "main"); !strings.Contains(main, "bereits bestätigt") {
			t.Errorf("second opening says: %q", main)
		}
	})
}

// TestCommandsRefuseMissingSQLite: an operator's command run against an
// SQLite file that does not exist says so, with the absolute path, and
// creates nothing; migrate creates it.
func TestCommandsRefuseMissingSQLite(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"PFORTE_DATA_DIR": dir}
	getenv := func(k string) string { return env[k] }
	for _, args := range [][]string{{"passwords", "expire"}, {"audit"}, {"pins", "issue", "4712"}, {"letters", "render", "--out", t.TempDir()}} {
		var out, errOut strings.Builder
		err := run(context.Background(), args, getenv, strings.NewReader(""), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "pforte.db")) || !strings.Contains(err.Error(), "gibt es nicht") {
			t.Errorf("%v: %v", args, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "pforte.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused command created the database: %v", err)
	}
	var out strings.Builder
	if err := run(context.Background(), []string{"migrate"}, getenv, strings.NewReader(""), &out, &out); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"audit"}, getenv, strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("audit after migrate: %v", err)
	}
}

// TestBrowserCountdowns: the wait after too many attempts and the idle
// warning count down, in a polite live region.
func TestBrowserCountdowns(t *testing.T) {
	ctx := browser(t)
	p := startPortal(t, storetest.SQLiteURL(t), map[string]string{"PFORTE_SESSION_IDLE": "6s"})
	step := browserSteps(t, ctx)
	addr := "warten@example.de"
	p.signUp(addr, goodPW)
	c := p.newClient()
	for range 5 {
		p.post(c, "/anmelden", url.Values{"email": {addr}, "password": {"Falsch-Passwort1!"}})
	}
	step(chromedp.Navigate(p.URL+"/anmelden"), chromedp.SendKeys(chromedp.CSS(`#email`), addr),
		chromedp.SendKeys(chromedp.CSS(`#password`), goodPW), chromedp.Click(chromedp.CSS(`form[action="/anmelden"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-error-code="throttled"] [data-countdown]`)))
	box := text(t, ctx, `[data-error-code="throttled"]`)
	if strings.Count(box, "Sekunden") != 1 {
		t.Errorf("the wait is said %d times: %q", strings.Count(box, "Sekunden"), box)
	}
	first := text(t, ctx, `[data-countdown]`)
	waitFor(t, func() bool { return text(t, ctx, `[data-countdown]`) != first })
	if live := eval[string](t, ctx, `document.querySelector("[data-countdown]").closest("[aria-live]").getAttribute("aria-live")`); live != "polite" {
		t.Errorf("countdown region: aria-live=%q", live)
	}

	// Signed in, the idle warning counts down the seconds left.
	other := "bleiben@example.de"
	p.signUp(other, goodPW)
	step(chromedp.Navigate(p.URL+"/anmelden"), chromedp.SendKeys(chromedp.CSS(`#email`), other),
		chromedp.SendKeys(chromedp.CSS(`#password`), goodPW), chromedp.Click(chromedp.CSS(`form[action="/anmelden"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`dl.facts`)), chromedp.WaitVisible(chromedp.CSS(`#idle-warning`)))
	first = text(t, ctx, `[data-idle-countdown]`)
	if first != "3 Sekunden" && first != "2 Sekunden" {
		t.Errorf("idle warning starts at %q", first)
	}
	waitFor(t, func() bool { return text(t, ctx, `[data-idle-countdown]`) != first })
}

// TestMessagesSaidOnce: each error says its message once, in words that
// fit the form, beside the field it is about; "check your mail" names the
// address typed.
func TestMessagesSaidOnce(t *testing.T) {
	p := startPortal(t, storetest.SQLiteURL(t), nil)
	addr := "einmal@example.de"
	c := p.newClient()
	if pg := p.post(c, "/registrieren", url.Values{"email": {addr}, "password": {goodPW}, "password_repeat": {goodPW}}); !strings.Contains(pg.Body, "<strong>"+addr+"</strong>") {
		t.Errorf("check-your-mail page does not name %s", addr)
	}
	p.signUp("einmal2@example.de", goodPW)
	main := func(body string) string {
		start, end := strings.Index(body, "<main"), strings.Index(body, "</main>")
		return body[start:end]
	}
	count := func(body, s string) int { return strings.Count(main(body), s) }

	pg := p.post(c, "/anmelden", url.Values{"email": {"einmal2@example.de"}, "password": {"Falsch-Passwort1!"}})
	if n := count(pg.Body, "E-Mail-Adresse oder Passwort"); n != 2 || count(pg.Body, "falsch:") != 0 || !strings.Contains(pg.Body, `id="password-error"`) {
		// twice: in the summary and beside the field, never as "Titel: Text"
		t.Errorf("wrong login: said %d times\n%s", n, main(pg.Body))
	}
	pg = p.get(c, "/anmelden?abgelaufen=1")
	if n := count(pg.Body, "abgelaufen") + count(pg.Body, "automatisch abgemeldet"); n != 2 { // "Ihre Sitzung ist abgelaufen. … automatisch abgemeldet."
		t.Errorf("session expired said %d times:\n%s", n, main(pg.Body))
	}
	member := p.login("einmal2@example.de", goodPW)
	pg = p.post(member, "/konto/passwort", url.Values{"current_password": {"falsch"}, "password": {otherPW}, "password_repeat": {otherPW}})
	if pg.Code() != "invalid-credentials" || strings.Contains(main(pg.Body), "E-Mail-Adresse oder Passwort") ||
		!strings.Contains(pg.Body, "Das aktuelle Passwort ist falsch.") || !strings.Contains(pg.Body, `aria-describedby="current_password-error"`) {
		t.Errorf("wrong current password:\n%s", main(pg.Body))
	}
}
