package document

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"

	"pforte/locale"
)

var testRulesEnglish = []string{
	"At least 12 characters",
	"At least 1 capital letter (A–Z, Ä, Ö, Ü)",
	"At least 1 special character, for example !@#$%^&*()_+-={};:<>/?~ or €",
}

// The English guide says in English what the German one says, page for
// page, as poppler reads it: the steps from the catalog, the error
// titles the pages show, the contact sentence, the page numbers.
func TestGuideInEnglish(t *testing.T) {
	s := testSender
	s.Contact = "Ms Beispiel, customer service"
	pdf, err := Guide(locale.English, s, "https://portal.hwk-ufr.de", testRulesEnglish, 90*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	text, pages := inspect(t, "guide-en.pdf", pdf)
	flat := strings.Join(strings.Fields(text), " ")
	containsAll(t, "English guide", text, flat, []string{
		"Customer portal: step-by-step guide",
		"1. Open the customer portal",
		"Click “Register” (https://portal.hwk-ufr.de/registrieren).",
		"Link the business with the PIN",
		"you are signed out automatically after 1 hour and 30 minutes without activity",
		"Automatic sign-out after 1 hour and 30 minutes",
		"At least 1 capital letter (A–Z, Ä, Ö, Ü)",
		"!@#$%^&*()_+-={};:<>/?~ or €",
		"Wrong email address or password",
		"PIN entry locked",
		"Please write to us at kundenlogin@hwk-ufr.de or call us: 0931 30908-0 (Ms Beispiel, customer service).",
		"Phone: 0931 30908-0",
		"Page 1 of " + pages,
		"97070 Würzburg",
	})
	for _, german := range []string{"Seite ", "Sie ", "Anleitung", "Passwort", "Schreiben", "Minuten"} {
		if strings.Contains(flat, german) {
			t.Errorf("English guide has German %q", german)
		}
	}
	de, err := Guide(locale.German, s, "https://portal.hwk-ufr.de", testRules, 90*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, dePages := inspect(t, "guide-de.pdf", de); pages == "1" || dePages == "1" {
		t.Errorf("guide pages: English %s, German %s", pages, dePages)
	}
}

// Every character of the documents' messages, in every language, has a
// glyph in the fonts that print them: a missing one would print as a box.
func TestDocumentFontsCarryEveryLanguage(t *testing.T) {
	cat := locale.Embedded()
	var buf sfnt.Buffer
	for name, data := range map[string][]byte{"Go Regular": goregular.TTF, "Go Bold": gobold.TTF} {
		f, err := sfnt.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range locale.Langs {
			n := 0
			for _, id := range cat.IDs(l) {
				if !strings.HasPrefix(id, "guide.") && !strings.HasPrefix(id, "document.") && !strings.HasPrefix(id, "code.") {
					continue
				}
				n++
				for _, r := range cat.Must(l, id) {
					if g, err := f.GlyphIndex(&buf, r); err != nil || g == 0 {
						t.Errorf("%s has no glyph for %q (%U) of %s in %s", name, r, r, id, l)
					}
				}
			}
			if n < 50 {
				t.Errorf("%s: only %d messages checked", l, n)
			}
		}
	}
}
