package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"pforte/store/storetest"
)

// axeSource is axe-core from node_modules (npm install; .ci/run does it).
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core is required under CI (npm install): %v", err)
		}
		t.Skipf("axe-core not installed (npm install): %v", err)
	}
	return string(b)
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// TestAccessibility runs axe-core (WCAG 2.2 A and AA rules, which BITV
// 2.0 makes binding for public bodies) on every kind of page a member
// sees, with and without errors shown, in German and in English.
func TestAccessibility(t *testing.T) {
	axe := axeSource(t)
	for _, lang := range []string{"de", "en"} {
		t.Run(lang, func(t *testing.T) { accessibility(t, axe, lang) })
	}
}

func accessibility(t *testing.T, axe, lang string) {
	ctx := browser(t)
	p := startPortal(t, storetest.SQLiteURL(t), nil)
	p.signUp("barriere@example.de", goodPW)
	run := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	check := func(name string) {
		t.Helper()
		if got := eval[string](t, ctx, `document.documentElement.lang`); got != lang {
			t.Errorf("%s: <html lang=%q>, want %q", name, got, lang)
		}
		axeCheck(t, ctx, axe, name)
	}
	// The switch chooses the language; its cookie keeps it for every page.
	run(chromedp.Navigate(p.URL + "/?lang=" + lang))
	for _, path := range []string{"/", "/registrieren", "/anmelden", "/passwort-vergessen", "/hilfe", "/anmelden?abgelaufen=1", "/passwort-neu?token=unbekannt",
		"/impressum", "/datenschutz", "/barrierefreiheit", "/gibt-es-nicht", "/hilfe/anleitung"} {
		run(chromedp.Navigate(p.URL + path))
		check(path)
	}
	// A refused registration shows the broken rules.
	run(chromedp.Navigate(p.URL+"/registrieren"), chromedp.SendKeys(chromedp.CSS(`#email`), "a@example.de"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "kurz"), chromedp.Click(chromedp.CSS(`form[action="/registrieren"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-error-code="policy"]`)))
	check("registration refused")
	run(chromedp.Navigate(p.URL+"/anmelden"), chromedp.SendKeys(chromedp.CSS(`#email`), "barriere@example.de"),
		chromedp.SendKeys(chromedp.CSS(`#password`), goodPW), chromedp.Click(chromedp.CSS(`form[action="/anmelden"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`dl.facts`)))
	check("/konto")
	// The services' pages: the account page listing one, the logout
	// question, the refusal of a service for businesses.
	p.cli("clients", "add", "dienst", "--name", "Ein Dienst", "--redirect-uri", "https://d.example/cb", "--launch-url", "https://d.example/")
	p.cli("clients", "add", "betrieb", "--name", "Betriebsdienst", "--require-business", "--redirect-uri", "https://b.example/cb")
	for _, path := range []string{"/konto/passwort", "/betrieb/pin-beantragen", "/betrieb/verknuepfen", "/betrieb", "/konto",
		"/konto/sicherheit", "/konto/zwei-faktor", "/konto/email", "/konto/loeschen",
		"/oidc/abmelden?client_id=dienst",
		"/oidc/autorisieren?client_id=betrieb&redirect_uri=https://b.example/cb&response_type=code&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"} {
		run(chromedp.Navigate(p.URL + path))
		check(path)
	}
	// Errors beside their fields, a linked business, a letter on its way,
	// the question before unlinking, signed-in help and guide.
	run(chromedp.Navigate(p.URL+"/betrieb/verknuepfen"), chromedp.SendKeys(chromedp.CSS(`#business`), "4712"),
		chromedp.SendKeys(chromedp.CSS(`#pin`), "FALSCH"), chromedp.Click(chromedp.CSS(`form[action="/betrieb/verknuepfen"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-error-code="pin-invalid"]`)))
	check("link refused")
	p.mustCLI("businesses", "import", registerFile(t, "register.csv", registerCSV))
	pin := p.issuePIN("4712")
	run(chromedp.Navigate(p.URL+"/betrieb/verknuepfen"), chromedp.SendKeys(chromedp.CSS(`#business`), "4712"),
		chromedp.SendKeys(chromedp.CSS(`#pin`), pin), chromedp.Click(chromedp.CSS(`form[action="/betrieb/verknuepfen"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)))
	check("business page")
	run(chromedp.Navigate(p.URL+"/betrieb/pin-beantragen"), chromedp.SendKeys(chromedp.CSS(`#business`), "0815-4711"),
		chromedp.Click(chromedp.CSS(`form[action="/betrieb/pin-beantragen"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`p[role=status]`)))
	check("PIN requested")
	for _, path := range []string{"/konto", "/betrieb/4712/trennen", "/hilfe", "/hilfe/anleitung", "/gibt-es-nicht"} {
		run(chromedp.Navigate(p.URL + path))
		check(path + " (signed in)")
	}
	run(chromedp.Navigate(p.URL+"/konto/passwort"), chromedp.SendKeys(chromedp.CSS(`#current_password`), "falsch"),
		chromedp.SendKeys(chromedp.CSS(`#password`), goodPW+"x"), chromedp.SendKeys(chromedp.CSS(`#password_repeat`), goodPW+"x"),
		chromedp.Click(chromedp.CSS(`form[action="/konto/passwort"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`[data-error-code]`)))
	check("password change refused")
	// Buttons that look like links (end a session, remove a passkey) show
	// their text: no button colour behind it.
	run(chromedp.Navigate(p.URL + "/konto/sicherheit"))
	if !eval[bool](t, ctx, `(() => { const bs = [...document.querySelectorAll("button.link")];
		return bs.length > 0 && bs.every(b => { const s = getComputedStyle(b); return s.backgroundColor === "rgba(0, 0, 0, 0)" && s.color !== "rgb(255, 255, 255)"; }); })()`) {
		t.Error("/konto/sicherheit: a link-style button hides its text")
	}
	// The second factor: the recovery codes once, then the code step.
	run(chromedp.Navigate(p.URL + "/konto/zwei-faktor"))
	secret := eval[string](t, ctx, `document.querySelector("[data-totp-secret]").dataset.totpSecret`)
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	run(chromedp.SendKeys(chromedp.CSS(`#code`), code), chromedp.SendKeys(chromedp.CSS(`#current_password`), goodPW),
		chromedp.Click(chromedp.CSS(`form[action="/konto/zwei-faktor"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`ol.codes`)))
	check("recovery codes")
	run(chromedp.Click(chromedp.CSS(`header form[action="/abmelden"] button`)), chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "barriere@example.de"), chromedp.SendKeys(chromedp.CSS(`#password`), goodPW),
		chromedp.Click(chromedp.CSS(`form[action="/anmelden"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#code`)))
	check("/anmelden/zweiter-faktor")
	run(chromedp.SendKeys(chromedp.CSS(`#code`), "000000"), chromedp.Click(chromedp.CSS(`form[action="/anmelden/zweiter-faktor"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-error-code="mfa-invalid"]`)))
	check("second factor refused")
}

// axeCheck runs axe-core on the page open in ctx and reports each
// violation as an error named for the page.
func axeCheck(t *testing.T, ctx context.Context, axe, name string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axe+";true")); err != nil {
		t.Fatalf("inject axe: %v", err)
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](
		`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}).then(r => r.passes.length < 5 ? [{id: "axe-ran-too-few-rules", impact: "n/a", help: String(r.passes.length), nodes: []}] : r.violations)`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe: %v", name, err)
	}
	for _, x := range v {
		var where []string
		for _, n := range x.Nodes {
			for _, tg := range n.Target {
				if s, ok := tg.(string); ok {
					where = append(where, s)
				}
			}
		}
		t.Errorf("%s: %s (%s): %s at %s", name, x.ID, x.Impact, x.Help, strings.Join(where, ", "))
	}
}
