package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pforte/document"
	"pforte/locale"
	"pforte/store/storetest"
	"pforte/web"
)

var updateGuide = flag.Bool("update", false, "TestGuidePictures: write the guide's pictures to document/pictures")

// TestGuidePictures walks through the guide's steps in chromium on the
// real portal, once in each language, and pictures each step's page. With
// -update it writes the pictures and the hashes of the pages they show to
// document/pictures (LANG/ID.png, sources.txt), the one command that
// renews the guide:
//
//	go test ./cmd/pforte -run TestGuidePictures -update
//
// Without -update it checks that every step can be walked as described.
func TestGuidePictures(t *testing.T) {
	ctx := browser(t)
	// The chamber's own look, when set, so that an operator can picture
	// the guide with it (and build the binary again).
	env := map[string]string{"PFORTE_BASE_URL": "http://localhost:8080"}
	for _, k := range []string{"PFORTE_CHAMBER_NAME", "PFORTE_CHAMBER_STREET", "PFORTE_CHAMBER_POSTCODE", "PFORTE_CHAMBER_CITY",
		"PFORTE_CHAMBER_PHONE", "PFORTE_CHAMBER_COLOUR", "PFORTE_LOGO", "PFORTE_CONTACT_EMAIL"} {
		if v := os.Getenv(k); v != "" {
			env[k] = v
		}
	}
	shots := map[string][]byte{}
	var sources []string
	for _, l := range locale.Langs {
		for id, png := range pictureSteps(t, ctx, l, env) {
			shots[document.PicturePath(l, id)] = png
		}
		for _, st := range document.GuideSteps(l, "http://localhost:8080", time.Minute) {
			if shots[document.PicturePath(l, st.ID)] == nil {
				t.Errorf("step %s/%s was not pictured", l, st.ID)
				continue
			}
			hash, err := web.GuidePictureSource(st.Template, l)
			if err != nil {
				t.Fatal(err)
			}
			sources = append(sources, string(l)+"/"+st.ID+" "+hash)
		}
	}
	if !*updateGuide || t.Failed() {
		return
	}
	dir := filepath.Join("..", "..", "document")
	for path, png := range shots {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, path), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(sources)
	content := "# Written by: go test ./cmd/pforte -run TestGuidePictures -update\n" + strings.Join(sources, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "pictures", "sources.txt"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d pictures to %s", len(shots), filepath.Join(dir, "pictures"))
}

// pictureSteps walks the guide's steps in language l on a portal of its
// own and pictures each step's page, by step ID.
func pictureSteps(t *testing.T, ctx context.Context, l locale.Lang, env map[string]string) map[string][]byte {
	t.Helper()
	cat := locale.Embedded()
	p := startPortal(t, storetest.SQLiteURL(t), env)
	p.mustCLI("businesses", "import", registerFile(t, "register.csv", registerCSV))
	step := browserSteps(t, ctx)
	shots := map[string][]byte{}
	shot := func(id string, height int64) {
		t.Helper()
		eval[bool](t, ctx, `document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); true`)
		step(chromedp.EmulateViewport(960, height))
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("picture %s/%s: %v", l, id, err)
		}
		shots[id] = png
	}
	heading := func(want string) {
		t.Helper()
		if cat.Has(l, want) {
			want = cat.Must(l, want)
		}
		if got := text(t, ctx, "h1"); got != want {
			t.Fatalf("%s on %s: heading %q, want %q", l, eval[string](t, ctx, "location.pathname"), got, want)
		}
	}
	addr, pw := "anna.beispiel@baeckerei-beispiel.de", goodPW
	submit := func(action string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`form[action="` + action + `"] button[type=submit]`))
	}

	// Choose the language (headless chromium asks for English); the
	// cookie keeps it for the pages after.
	step(chromedp.Navigate(p.URL + "/?lang=" + string(l)))
	heading("start.title")
	shot("startseite", 760)

	step(chromedp.Navigate(p.URL+"/registrieren"), chromedp.SendKeys(chromedp.CSS(`#email`), addr),
		chromedp.SendKeys(chromedp.CSS(`#password`), pw), chromedp.SendKeys(chromedp.CSS(`#password_repeat`), pw))
	heading("register.title")
	shot("registrieren", 1180)
	step(submit("/registrieren"), chromedp.WaitVisible(chromedp.CSS(`p[role=status]`)))
	heading("mailsent.title")
	shot("postfach", 600)

	step(chromedp.Navigate(strings.Replace(p.linkIn(addr, "/registrieren/bestaetigen"), "http://localhost:8080", p.URL, 1)))
	heading("confirm.title")
	shot("bestaetigen", 520)
	step(submit("/registrieren/bestaetigen"), chromedp.WaitVisible(chromedp.CSS(`main a[href="/anmelden"]`)))

	step(chromedp.Navigate(p.URL+"/anmelden"), chromedp.SendKeys(chromedp.CSS(`#email`), addr), chromedp.SendKeys(chromedp.CSS(`#password`), pw))
	heading("login.title")
	shot("anmelden", 700)
	step(submit("/anmelden"), chromedp.WaitVisible(chromedp.CSS(`dl.facts`)))
	heading("account.title")
	shot("konto", 860)

	step(chromedp.Navigate(p.URL+"/betrieb/pin-beantragen"), chromedp.SendKeys(chromedp.CSS(`#business`), "0815-4711"))
	heading("pin.title")
	shot("pin-beantragen", 700)
	step(submit("/betrieb/pin-beantragen"), chromedp.WaitVisible(chromedp.CSS(`p[role=status]`)))
	heading("pin.requested.title")
	shot("pin-beantragt", 760)

	pin := p.issuePIN("0815-4711")
	step(chromedp.Navigate(p.URL+"/betrieb/verknuepfen?business=0815-4711"), chromedp.SendKeys(chromedp.CSS(`#pin`), pin))
	heading("link.title")
	shot("verknuepfen", 760)
	step(submit("/betrieb/verknuepfen"), chromedp.WaitVisible(chromedp.CSS(`p.notice`)))
	heading("Bäckerei Größl & Söhne GmbH")
	shot("betrieb", 640)

	step(chromedp.Click(chromedp.CSS(`header form[action="/abmelden"] button`)), chromedp.WaitVisible(chromedp.CSS(`form[action="/anmelden"]`)),
		chromedp.Navigate(p.URL+"/passwort-vergessen"), chromedp.SendKeys(chromedp.CSS(`#email`), addr))
	heading("forgot.title")
	shot("passwort-vergessen", 560)
	return shots
}
