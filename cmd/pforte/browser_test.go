package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pforte/store/storetest"
)

// browser starts headless Debian chromium for one test. Under CI it must
// exist; elsewhere the test skips with a message.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is required under CI (apt-get install chromium)")
		}
		t.Skip("chromium not installed: skipping the browser test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()),
		// A German member's browser: the pages answer its Accept-Language.
		chromedp.Flag("lang", "de-DE"), chromedp.Flag("accept-lang", "de-DE,de"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start the browser
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// checks reads the live checklist: rule id → data-ok.
func checks(t *testing.T, ctx context.Context) map[string]string {
	return eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll("li[data-check]")].map(li => [li.dataset.check, li.dataset.ok || ""]))`)
}

func TestBrowserChecklistAndIdleWarning(t *testing.T) {
	ctx := browser(t)
	p := startPortal(t, storetest.SQLiteURL(t), map[string]string{"PFORTE_SESSION_IDLE": "5s"})
	step := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, actions...); err != nil {
			t.Fatal(err)
		}
	}

	// The checklist ticks the rules as the person types.
	addr := "jörg.weiß@example.de"
	step(chromedp.Navigate(p.URL+"/registrieren"), chromedp.WaitVisible(chromedp.CSS(`ul.checklist`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), addr), chromedp.SendKeys(chromedp.CSS(`#password`), "abc"))
	got := checks(t, ctx)
	if got["lower"] != "true" || got["upper"] != "false" || got["min-length"] != "false" || got["digit"] != "false" {
		t.Fatalf("after 'abc': %v", got)
	}
	step(chromedp.SendKeys(chromedp.CSS(`#password`), "Ä9 jörg.weiß"))
	if got := checks(t, ctx); got["upper"] != "true" || got["digit"] != "true" || got["special"] != "true" || got["context"] != "false" {
		t.Fatalf("after abcÄ9 jörg.weiß: %v", got)
	}
	eval[bool](t, ctx, `document.getElementById("password").value = ""; true`)
	step(chromedp.SendKeys(chromedp.CSS(`#password`), goodPW),
		chromedp.SendKeys(chromedp.CSS(`#password_repeat`), goodPW))
	for rule, ok := range checks(t, ctx) {
		if rule == "common" {
			if ok != "unknown" {
				t.Errorf("common should wait for the server: %q", ok)
			}
		} else if ok != "true" {
			t.Errorf("rule %s not met for a good password: %q", rule, ok)
		}
	}
	// The form goes out (an umlaut address in a text field) and the server
	// answers with the check-your-mail page.
	step(chromedp.Click(chromedp.CSS(`form[action="/registrieren"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`p[role=status]`)))

	link := p.linkIn(addr, "/registrieren/bestaetigen")
	step(chromedp.Navigate(link), chromedp.Click(chromedp.CSS(`form[action="/registrieren/bestaetigen"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`a.button[href="/anmelden"]`)))
	step(chromedp.Navigate(p.URL+"/anmelden"), chromedp.SendKeys(chromedp.CSS(`#email`), addr),
		chromedp.SendKeys(chromedp.CSS(`#password`), goodPW), chromedp.Click(chromedp.CSS(`form[action="/anmelden"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`dl.facts`)))

	// One minute (here: half the 5 s) before the timeout the page warns;
	// one click keeps the session.
	start := time.Now()
	step(chromedp.WaitVisible(chromedp.CSS(`#idle-warning`)))
	if d := time.Since(start); d < 2*time.Second {
		t.Fatalf("warning came after %v, too early", d)
	}
	step(chromedp.Click(chromedp.CSS(`#idle-warning button`)))
	waitFor(t, func() bool { return eval[bool](t, ctx, `document.getElementById("idle-warning").hidden`) })
	time.Sleep(3 * time.Second) // past the original timeout
	step(chromedp.Navigate(p.URL + "/konto"))
	if url := eval[string](t, ctx, `location.pathname`); url != "/konto" {
		t.Fatalf("stay signed in did not keep the session: at %s", url)
	}
	// Without a click the page leads to the login page, which says why.
	step(chromedp.WaitVisible(chromedp.CSS(`[data-error-code="session-expired"]`)))
	if !strings.HasPrefix(eval[string](t, ctx, `location.pathname`), "/anmelden") {
		t.Fatal("not on the login page after the timeout")
	}
}
