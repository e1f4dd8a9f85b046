package web

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"pforte"
	"pforte/config"
	"pforte/locale"
)

// TestFoldedPagesRenderTheSame: every page, with the messages folded in,
// writes what the page as written writes, in every language, signed in
// and out, with and without an error (a page whose data is missing here
// stops at the same place with the same error).
func TestFoldedPagesRenderTheSame(t *testing.T) {
	cat := testCatalog(t)
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"PFORTE_BASE_URL": "https://portal.example.de", "PFORTE_DATA_DIR": t.TempDir(),
			"PFORTE_CONTACT_EMAIL": "o'kontakt+1@example.de"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Chamber.Name, cfg.Chamber.Phone, cfg.Chamber.Street = "Handwerkskammer „Süd“ & <Co>", "+49 (0) 931 / 123", "Weg 1 <a>"
	s := testServer(t, cfg)
	folded, constants := s.pages, s.constants
	written, err := parsePages(cat)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 8, 15, 0, 0, time.UTC)
	member := &pforte.Account{Email: "jörg.o'brien+x@example.de", PasswordSetAt: at, Role: pforte.RoleAdmin}
	views := map[string]view{
		"signed out": {Title: "Anmelden", Form: map[string]string{"email": `a"<b>@example.de`}},
		"signed in":  {Title: "Konto", Account: member, IdleSeconds: 600, Notice: "Gespeichert & gut."},
		"error": {Title: "Fehler", Error: &pforte.Error{Code: pforte.Policy, Message: "Das Passwort erfüllt <nicht> alle Regeln.",
			Rules: []string{"min-length", "repeat"}, RetryAfter: 90}, ErrorField: "password"},
	}
	n := 0
	for _, l := range locale.Langs {
		rules := rulesOf(cfg.Policy, cat, l)
		for name, t1 := range folded.byLang[l] {
			for vname, v := range views {
				v.pageConstants = constants[l]
				v.rules, v.Rules, v.PolicyJSON, v.Codes = ruleLabels{cfg.Policy, cat, l}, rules.list, rules.json, codesOf(cat, l)
				v.Switch = []langLink{{Lang: l, Name: "Deutsch", URL: "/x?lang=de&a=%22", Current: true}}
				var got, want bytes.Buffer
				gerr := t1.Execute(&got, v)
				werr := written.byLang[l][name].Execute(&want, v)
				if got.String() != want.String() || fmt.Sprint(gerr) != fmt.Sprint(werr) {
					t.Errorf("%s %s, %s: folded (%v)\n%s", l, name, vname, gerr, firstDifference(got.String(), want.String()))
				}
				if werr == nil {
					n++
				}
			}
		}
	}
	t.Logf("%d pages rendered", n)
	if n < 100 {
		t.Errorf("only %d pages rendered without error", n)
	}
}

// The messages of the layout and /konto are folded in: none of their
// constant texts is looked up per request any more, while a message with a
// value of the page (the title) still is.
func TestMessagesFolded(t *testing.T) {
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	p := testServer(t, cfg).pages
	for _, l := range locale.Langs {
		var tree strings.Builder
		for _, tmpl := range p.byLang[l]["konto"].Templates() {
			if tmpl.Tree != nil {
				tree.WriteString(tmpl.Tree.Root.String())
			}
		}
		for _, id := range []string{"layout.skip", "layout.nav.help", "layout.nav", "account.email", "account.businesses", "layout.footer.imprint"} {
			if strings.Contains(tree.String(), `t "`+id+`"`) {
				t.Errorf("%s: %s is still looked up per request", l, id)
			}
		}
		if !strings.Contains(tree.String(), `t "layout.title"`) {
			t.Errorf("%s: the title's message, with the page's title, was folded", l)
		}
	}
}
