package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"pforte/locale"
	"pforte/store/storetest"
)

// keepPictures writes the page open in ctx, whole, at 1280 and 390 pixels
// wide into dir as NAME-WIDTH.png; nothing without a dir
// (PFORTE_SCREENSHOTS).
func keepPictures(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	if dir == "" {
		return
	}
	for _, width := range []int64{1280, 390} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserPageFindings walks through the page findings of issue 9 that
// a member sees, in chromium, with axe-core on each changed page (and,
// with PFORTE_SCREENSHOTS=DIR, a picture of each).
func TestBrowserPageFindings(t *testing.T) {
	axe := axeSource(t)
	ctx := browser(t)
	p := startPortal(t, storetest.SQLiteURL(t), nil)
	step := browserSteps(t, ctx)
	shots := os.Getenv("PFORTE_SCREENSHOTS")
	addr := "seite@example.de"
	p.signUp(addr, goodPW)
	look := func(name string) {
		t.Helper()
		axeCheck(t, ctx, axe, name)
		keepPictures(t, ctx, shots, name)
	}
	step(chromedp.Navigate(p.URL + "/?lang=de"))

	t.Run("a failed login hints at the new password", func(t *testing.T) {
		step(chromedp.Navigate(p.URL+"/anmelden"), chromedp.SendKeys(chromedp.CSS(`#email`), addr),
			chromedp.SendKeys(chromedp.CSS(`#password`), "Falsch-123456!"), chromedp.Click(chromedp.CSS(`form[action="/anmelden"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-hint="new-password"]`)))
		if hint := text(t, ctx, `[data-hint="new-password"]`); !strings.Contains(hint, "Umstellung") || !strings.Contains(hint, "Passwort vergessen") {
			t.Errorf("hint: %q", hint)
		}
		look("anmelden-fehlgeschlagen")
	})

	t.Run("an invalid link names its remedy", func(t *testing.T) {
		for _, c := range []struct{ path, kind, action string }{
			{"/passwort-neu?token=alt", "reset", "Neuen Link anfordern"},
			{"/registrieren/bestaetigen?token=alt", "confirm", "Bestätigungsmail erneut senden"},
			{"/konto/email/bestaetigen?token=alt", "email", "Adresse im Konto ändern"},
		} {
			step(chromedp.Navigate(p.URL+c.path), chromedp.WaitVisible(chromedp.CSS(`[data-link-kind="`+c.kind+`"]`)))
			if got := text(t, ctx, "main"); !strings.Contains(got, c.action) {
				t.Errorf("%s: %q", c.path, got)
			}
			look("link-" + c.kind)
		}
	})

	t.Run("a service's login page names the service", func(t *testing.T) {
		p.mustCLI("clients", "add", "bau", "--name", "Bauantrag <online> & Co", "--redirect-uri", "https://bau.example/cb")
		auth := "/oidc/autorisieren?client_id=bau&redirect_uri=https://bau.example/cb&response_type=code&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
		step(chromedp.Navigate(p.URL+auth), chromedp.WaitVisible(chromedp.CSS(`form[action="/anmelden"]`)))
		if h1 := text(t, ctx, "h1"); h1 != "Anmelden bei „Bauantrag <online> & Co“" {
			t.Errorf("h1: %q", h1)
		}
		if title := eval[string](t, ctx, `document.title`); !strings.HasPrefix(title, "Anmelden bei „Bauantrag <online> & Co“") {
			t.Errorf("title: %q", title)
		}
		look("anmelden-dienst")
	})

	step(chromedp.Navigate(p.URL+"/anmelden"), chromedp.SendKeys(chromedp.CSS(`#email`), addr),
		chromedp.SendKeys(chromedp.CSS(`#password`), goodPW), chromedp.Click(chromedp.CSS(`form[action="/anmelden"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`dl.facts`)))

	t.Run("signed in, the login page says as whom", func(t *testing.T) {
		step(chromedp.Navigate(p.URL+"/anmelden"), chromedp.WaitVisible(chromedp.CSS(`[data-signed-in-as]`)))
		if got := text(t, ctx, "[data-signed-in-as]"); got != "Sie sind bereits angemeldet als "+addr+"." {
			t.Errorf("%q", got)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll('main form[action="/anmelden"]').length`); n != 0 {
			t.Error("the login form is shown to a signed-in member")
		}
		look("anmelden-bereits")
		step(chromedp.Click(chromedp.CSS(`main a[href="/konto"]`)), chromedp.WaitVisible(chromedp.CSS(`dl.facts`)))
	})

	t.Run("the checklist agrees with a refusal for the previous password", func(t *testing.T) {
		step(chromedp.Navigate(p.URL+"/konto/passwort"), chromedp.SendKeys(chromedp.CSS(`#current_password`), goodPW),
			chromedp.SendKeys(chromedp.CSS(`#password`), goodPW), chromedp.SendKeys(chromedp.CSS(`#password_repeat`), goodPW),
			chromedp.Click(chromedp.CSS(`form[action="/konto/passwort"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-error-code="policy"] [data-rule="reused"]`)))
		got := checks(t, ctx)
		if got["reused"] != "false" {
			t.Errorf("the checklist has no unmet row for the previous password: %v", got)
		}
		refused := eval[[]string](t, ctx, `[...document.querySelectorAll('[data-error-code] [data-rule]')].map(e => e.dataset.rule)`)
		for rule, ok := range got {
			if want := map[bool]string{true: "false", false: "true"}[contains(refused, rule)]; ok != want {
				t.Errorf("checklist %s = %q but the error box names %v", rule, ok, refused)
			}
		}
		if label := text(t, ctx, `li[data-check="reused"]`); !strings.Contains(label, "bisheriges Passwort") {
			t.Errorf("reused row: %q", label)
		}
		look("passwort-wiederverwendet")
		// Typing a new one: the server checks it on submit.
		step(chromedp.SendKeys(chromedp.CSS(`#password`), "x"))
		if got := checks(t, ctx)["reused"]; got != "unknown" {
			t.Errorf("after typing, reused = %q", got)
		}
		// The row appears after such a refusal only.
		step(chromedp.Navigate(p.URL + "/konto/passwort"))
		if n := eval[int](t, ctx, `document.querySelectorAll('li[data-check="reused"]').length`); n != 0 {
			t.Error("the reused row is shown before any refusal")
		}
	})

	t.Run("a wrong code at set-up", func(t *testing.T) {
		step(chromedp.Navigate(p.URL+"/konto/zwei-faktor"), chromedp.SendKeys(chromedp.CSS(`#code`), "000000"),
			chromedp.SendKeys(chromedp.CSS(`#current_password`), goodPW),
			chromedp.Click(chromedp.CSS(`form[action="/konto/zwei-faktor"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-error-code="mfa-invalid"]`)))
		if box := text(t, ctx, `[data-error-code="mfa-invalid"]`); strings.Contains(box, "Wiederherstellungscode") {
			t.Errorf("set-up error names recovery codes: %q", box)
		}
		look("zwei-faktor-falscher-code")
	})

	t.Run("the countdown says minutes and seconds as the server does", func(t *testing.T) {
		for _, lang := range []locale.Lang{locale.German, locale.English} {
			step(chromedp.Navigate(p.URL + "/konto?lang=" + string(lang)))
			got := eval[[]string](t, ctx, `Array.from({length: 241}, (_, s) => pforteWait(s))`)
			for secs, g := range got {
				if want := locale.Wait(lang, secs); g != want {
					t.Errorf("%s: pforteWait(%d) = %q, server says %q", lang, secs, g, want)
				}
			}
		}
		step(chromedp.Navigate(p.URL + "/konto?lang=de"))
		if live := eval[string](t, ctx, `document.getElementById("idle-text").getAttribute("aria-live")`); live != "polite" {
			t.Errorf("idle warning: aria-live=%q", live)
		}
	})

	if shots == "" {
		return
	}
	// Pictures of the console pages that changed.
	p.mustCLI("businesses", "import", registerFile(t, "register.csv", registerCSV))
	p.issuePIN("4712")
	desk := p.staff("chefin@hwk.example", "admin", "pwd", "otp")
	// The member's cookie is HttpOnly: sign out before the staff session.
	step(chromedp.Navigate(p.URL+"/konto"), chromedp.Click(chromedp.CSS(`header form[action="/abmelden"] button`)), chromedp.WaitVisible(chromedp.CSS(`#email`)))
	signInBrowser(t, ctx, p, sessionCookie(t, desk, p))
	for _, path := range []string{"/verwaltung/protokoll", "/verwaltung/konten/" + p.accountID(addr), "/verwaltung/betriebe/4712", "/verwaltung/mitarbeiter"} {
		for _, lang := range []string{"de", "en"} {
			step(chromedp.Navigate(p.URL+path+"?"+url.Values{"lang": {lang}}.Encode()), chromedp.WaitVisible(chromedp.CSS(`nav.console-nav`)))
			keepPictures(t, ctx, shots, strings.ReplaceAll(strings.TrimPrefix(path, "/"), "/", "_")+"-"+lang)
		}
	}
}
