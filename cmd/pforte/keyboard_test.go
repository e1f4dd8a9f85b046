package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"pforte/store/storetest"
)

// focusState describes the focused element: whether it matches the
// selector asked for, and how its focus shows.
type focusState struct {
	Match   bool    `json:"match"`
	Tag     string  `json:"tag"`
	Text    string  `json:"text"`
	Outline string  `json:"outline"`
	Width   float64 `json:"width"`
	Height  float64 `json:"height"`
	Inline  bool    `json:"inline"`
	Visible bool    `json:"visible"`
}

const focusJS = `(() => {
  const el = document.activeElement;
  const cs = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  const shows = (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2) || cs.boxShadow !== "none";
  return {match: el.matches(SELECTOR), tag: el.tagName, text: (el.innerText || el.id || "").slice(0, 40),
    outline: shows ? "visible" : cs.outlineStyle + " " + cs.outlineWidth + " " + cs.boxShadow,
    width: r.width, height: r.height, inline: el.tagName === "A" && !!el.closest("p, li, dd"),
    visible: r.bottom > 0 && r.right > 0 && r.left < innerWidth};
})()`

// TestKeyboardOnly goes from the start page through registration, the
// confirmation, the login and the PIN link with the keyboard alone: Tab
// to move, typing, Enter. Every element that takes focus shows it, and
// every control is big enough to hit (WCAG 2.4.7, 2.5.8).
func TestKeyboardOnly(t *testing.T) {
	ctx := browser(t)
	p := startPortal(t, storetest.SQLiteURL(t), nil)
	p.mustCLI("businesses", "import", registerFile(t, "register.csv", registerCSV))
	step := browserSteps(t, ctx)
	key := func(keys string) {
		t.Helper()
		step(chromedp.KeyEvent(keys))
	}
	// tabTo presses Tab until the element matching selector has focus,
	// checking each element on the way.
	tabTo := func(selector string) {
		t.Helper()
		for range 80 {
			key("\t")
			f := eval[focusState](t, ctx, strings.Replace(focusJS, "SELECTOR", jsString(selector), 1))
			if f.Tag == "BODY" {
				continue
			}
			if f.Outline != "visible" {
				t.Errorf("%s %q: focus not visible (%s)", f.Tag, f.Text, f.Outline)
			}
			if !f.Visible {
				t.Errorf("%s %q: focused but off screen", f.Tag, f.Text)
			}
			if min := map[bool]float64{true: 16, false: 24}[f.Inline]; f.Width < 24 || f.Height < min {
				t.Errorf("%s %q: target %.0f×%.0f px, below 24×24", f.Tag, f.Text, f.Width, f.Height)
			}
			if f.Match {
				return
			}
		}
		t.Fatalf("Tab never reached %s on %s", selector, eval[string](t, ctx, "location.pathname"))
	}
	typeInto := func(selector, text string) {
		t.Helper()
		tabTo(selector)
		key(text)
	}
	waitFor := func(selector string) {
		t.Helper()
		step(chromedp.WaitVisible(chromedp.CSS(selector)))
	}

	addr := "tastatur@example.de"
	step(chromedp.Navigate(p.URL + "/"))
	// The first Tab shows the skip link.
	key("\t")
	if f := eval[focusState](t, ctx, strings.Replace(focusJS, "SELECTOR", `'a.skip'`, 1)); !f.Match || !f.Visible {
		t.Fatalf("first Tab: %+v", f)
	}
	tabTo(`main a[href="/registrieren"]`)
	key("\r")
	waitFor(`form[action="/registrieren"]`)
	typeInto("#email", addr)
	typeInto("#password", goodPW)
	typeInto("#password_repeat", goodPW)
	tabTo(`form[action="/registrieren"] button[type=submit]`)
	key("\r")
	waitFor(`p[role=status]`)

	// The mail's link is opened as a member would, from the mail program.
	step(chromedp.Navigate(p.linkIn(addr, "/registrieren/bestaetigen")))
	tabTo(`form[action="/registrieren/bestaetigen"] button[type=submit]`)
	key("\r")
	waitFor(`main a[href="/anmelden"]`)
	tabTo(`main a[href="/anmelden"]`)
	key("\r")
	waitFor(`form[action="/anmelden"]`)
	typeInto("#email", addr)
	typeInto("#password", goodPW)
	key("\r") // Enter in the field sends the form
	waitFor(`dl.facts`)

	// The show-password button works from the keyboard too.
	step(chromedp.Navigate(p.URL + "/konto/passwort"))
	typeInto("#current_password", goodPW)
	tabTo(`#current_password + button.password-toggle`)
	key(" ")
	if got := eval[string](t, ctx, `document.getElementById("current_password").type + " " + document.activeElement.getAttribute("aria-pressed")`); got != "text true" {
		t.Errorf("show password: %q", got)
	}

	pin := p.issuePIN("4712")
	step(chromedp.Navigate(p.URL + "/konto"))
	tabTo(`main a[href="/betrieb/verknuepfen"]`)
	key("\r")
	waitFor(`form[action="/betrieb/verknuepfen"]`)
	typeInto("#business", "4712")
	typeInto("#pin", pin)
	key("\r")
	waitFor(`p.notice`)
	if !strings.Contains(text(t, ctx, "h1"), "Zimmerei Anders") {
		t.Fatalf("after the PIN: %q", text(t, ctx, "h1"))
	}
}
