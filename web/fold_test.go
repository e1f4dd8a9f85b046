package web

import (
	"bytes"
	"fmt"
	"html/template"
	"reflect"
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

// A template that declares or assigns $ folds nothing through $: there $
// may be other data than the view, of the request.
func TestFoldLeavesAReboundDollarAlone(t *testing.T) {
	cat, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{`{{with $ := .Data}}{{$.Contact}}{{end}}`, `{{$ = .Data}}{{$.Contact}}`} {
		tmpl := template.Must(template.New("layout.html").Funcs(funcsIn(cat, locale.German)).Parse(src))
		if err := foldMessages(tmpl, cat, locale.German, pageConstants{Contact: "kontakt@kammer.de"}); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := tmpl.Execute(&b, view{Data: struct{ Contact string }{"per-request@example.de"}}); err != nil {
			t.Fatal(err)
		}
		if b.String() != "per-request@example.de" {
			t.Errorf("%s: %q, want the request's value", src, b.String())
		}
	}
}

// Folding reads .Contact, $.Lang … from pageConstants: that is right only
// while the view has no field or method of such a name of its own, which
// the template would reach instead.
func TestViewDoesNotShadowPageConstants(t *testing.T) {
	vt := reflect.TypeOf(view{})
	embed, ok := vt.FieldByName("pageConstants")
	if !ok {
		t.Fatal("view does not embed pageConstants")
	}
	ct := reflect.TypeOf(pageConstants{})
	for i := range ct.NumField() {
		name := ct.Field(i).Name
		if f, ok := vt.FieldByName(name); !ok || len(f.Index) != 2 || f.Index[0] != embed.Index[0] {
			t.Errorf("view.%s is not pageConstants.%s", name, name)
		}
		for _, typ := range []reflect.Type{vt, reflect.PointerTo(vt)} {
			if _, ok := typ.MethodByName(name); ok {
				t.Errorf("%s has a method %s, which hides pageConstants.%s", typ, name, name)
			}
		}
	}
}
