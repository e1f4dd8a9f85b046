package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pforte/store/storetest"
)

// signInBrowser gives the browser the session id (set by script on the
// portal's origin, as a login would set the cookie) and has it choose
// German (headless chromium asks for English).
func signInBrowser(t *testing.T, ctx context.Context, p *portal, id string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.Navigate(p.URL+"/hilfe?lang=de")); err != nil {
		t.Fatal(err)
	}
	eval[bool](t, ctx, fmt.Sprintf(`document.cookie = "pforte_session=%s; path=/; SameSite=Lax"; true`, id))
}

// TestBrowserConsoleSupportCase: a member cannot sign in; support finds
// the account in the console, sends the reset link with one button, and
// the member gets the mail and sets a new password with it.
func TestBrowserConsoleSupportCase(t *testing.T) {
	ctx := browser(t)
	p := startPortal(t, storetest.SQLiteURL(t), nil)
	const member = "jörg.weiß@bäckerei-beispiel.de"
	p.signUp(member, goodPW)
	desk := p.staff("hilfe@hwk.example", "support", "pwd", "otp")
	signInBrowser(t, ctx, p, sessionCookie(t, desk, p))
	step := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	step(chromedp.Navigate(p.URL+"/verwaltung"), chromedp.Click(chromedp.CSS(`nav.console-nav a[href="/verwaltung/konten"]`)),
		// By keyboard: type, Enter.
		chromedp.WaitVisible(chromedp.CSS(`#q`)), chromedp.SendKeys(chromedp.CSS(`#q`), "weiß@bäckerei\r"),
		chromedp.WaitVisible(chromedp.CSS(`table.list`)))
	if n := eval[int](t, ctx, `document.querySelectorAll("tr[data-account-id]").length`); n != 1 {
		t.Fatalf("%d hits", n)
	}
	step(chromedp.Click(chromedp.CSS(`tr[data-account-id] a`)), chromedp.WaitVisible(chromedp.CSS(`dd[data-field=email]`)))
	if got := eval[string](t, ctx, `document.querySelector("dd[data-field=email]").textContent`); got != member {
		t.Fatalf("account page of %q", got)
	}
	// The button by keyboard too: focus, Enter.
	step(chromedp.Focus(chromedp.CSS(`form[action$="/passwort-link-senden"] button`)),
		chromedp.SendKeys(chromedp.CSS(`form[action$="/passwort-link-senden"] button`), "\r"), chromedp.WaitVisible(chromedp.CSS(`p.notice`)))
	if !strings.Contains(eval[string](t, ctx, `document.querySelector("p.notice").textContent`), "neuen Passworts") {
		t.Fatalf("no notice after sending the link: %q", eval[string](t, ctx, `document.querySelector("p.notice").textContent`))
	}
	// The member's side: the mail with the link, and the new password.
	link := p.linkIn(member, "/passwort-neu")
	if pg := p.post(p.newClient(), link, url.Values{"password": {otherPW}, "password_repeat": {otherPW}}); pg.Status != 303 {
		t.Fatalf("reset: %d %q", pg.Status, pg.Code())
	}
	p.login(member, otherPW)
	// The account page now tells the story, with the helper's name.
	step(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`tr[data-event="reset-done"]`)))
	if !strings.Contains(eval[string](t, ctx, `document.querySelector('tr[data-event="staff-reset-sent"]').textContent`), "hilfe@hwk.example") {
		t.Fatal("audit trail does not name the helper")
	}
}

// TestConsoleAccessibility runs axe-core on every console page, with data
// in it, in German and in English (?lang=), and — with
// PFORTE_SCREENSHOTS=DIR — keeps a picture of each at 1280 and 390 pixels
// wide.
func TestConsoleAccessibility(t *testing.T) {
	axe := axeSource(t)
	ctx := browser(t)
	p := startPortal(t, storetest.SQLiteURL(t), nil)
	if _, errOut, err := p.cli("businesses", "import", registerFile(t, "register.csv", registerCSV)); err != nil {
		t.Fatalf("import: %v %s", err, errOut)
	}
	p.signUp("kunde@example.de", goodPW)
	p.post(p.login("kunde@example.de", goodPW), "/betrieb/pin-beantragen", url.Values{"business": {"4712"}})
	p.mustCLI("clients", "add", "pruefung", "--name", "Prüfungsanmeldung", "--redirect-uri", "https://pruefung.example/cb")
	desk := p.staff("chefin@hwk.example", "admin", "pwd", "otp")
	signInBrowser(t, ctx, p, sessionCookie(t, desk, p))
	id := p.accountID("kunde@example.de")
	shots := os.Getenv("PFORTE_SCREENSHOTS")
	// The first link of the console's navigation, in each language.
	overview := map[string]string{"de": "Übersicht", "en": "Overview"}
	for _, lang := range []string{"de", "en"} {
		for _, page := range []string{"/verwaltung", "/verwaltung/konten?q=example", "/verwaltung/konten/" + id, "/verwaltung/betriebe?q=4",
			"/verwaltung/betriebe/4712", "/verwaltung/briefe", "/verwaltung/post", "/verwaltung/protokoll", "/verwaltung/mitarbeiter",
			"/verwaltung/dienste", "/verwaltung/protokoll?since=gestern"} {
			path := page + "?lang=" + lang
			if strings.Contains(page, "?") {
				path = page + "&lang=" + lang
			}
			consolePageIn(t, ctx, axe, p.URL+path, path, lang, overview[lang], shots)
		}
	}
}

// consolePageIn opens a console page, checks that it speaks lang (<html
// lang> and the navigation) and has no axe violation, and keeps its
// pictures in shots (if set).
func consolePageIn(t *testing.T, ctx context.Context, axe, target, path, lang, overview, shots string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	err := chromedp.Do(tctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(target), chromedp.WaitVisible(chromedp.CSS(`nav.console-nav`)))
	cancel()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if got := eval[string](t, ctx, `document.documentElement.lang`); got != lang {
		t.Errorf("%s: <html lang=%q>", path, got)
	}
	if got := eval[string](t, ctx, `document.querySelector("nav.console-nav a").textContent`); got != overview {
		t.Errorf("%s: the navigation starts with %q, not %q", path, got, overview)
	}
	axeCheck(t, ctx, axe, path)
	keepPictures(t, ctx, shots, strings.NewReplacer("/", "_", "?", "_", "=", "_", "&", "_").Replace(strings.TrimPrefix(path, "/")))
}
