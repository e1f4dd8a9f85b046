package locale

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"pforte"
	"pforte/policy"

	"github.com/nicksnyder/go-i18n/v2/i18n"
)

// Every message exists in every language: a page or mail never shows a
// message ID, and never half German. The password rules' German labels
// are the policy's own (policy.Label), so rule.ID only has to name a rule.
func TestEveryMessageInEveryLanguage(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{policy.RuleReused: true, policy.RuleRepeat: true}
	for _, r := range policy.Default().Rules() {
		rules[r.ID] = true
	}
	for _, l := range Langs {
		for _, id := range c.IDs(l) {
			if rule, ok := strings.CutPrefix(id, "rule."); ok {
				if !rules[rule] {
					t.Errorf("%s: %q names no password rule", l, id)
				}
				continue
			}
			for _, other := range Langs {
				if !c.Has(other, id) {
					t.Errorf("message %q is in %q but not in %q", id, l, other)
				}
			}
		}
	}
	for id := range rules {
		for _, l := range Langs {
			if l != German && !c.Has(l, "rule."+id) {
				t.Errorf("password rule %q has no label in %q", id, l)
			}
		}
	}
	for _, info := range pforte.Codes {
		if got := c.Info(English, info.Code); got.Title == CodeTitle(info.Code) || got.Remedy == info.Remedy {
			t.Errorf("code %s has no English title or remedy: %+v", info.Code, got)
		}
	}
}

// The check above fails for a catalog that lacks a message in one language.
func TestLoadFindsAOneLanguageMessage(t *testing.T) {
	c, err := load(fstest.MapFS{
		"de/a.toml": {Data: []byte("\"both\" = \"Beide\"\n\"only\" = \"Nur Deutsch\"\n")},
		"en/a.toml": {Data: []byte("\"both\" = \"Both\"\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Has(German, "only") || c.Has(English, "only") {
		t.Fatal("catalog lost track of the one-language message")
	}
	if _, err := c.T(English, "only"); err == nil {
		t.Error("a message missing in English must be an error, not German")
	}
	if _, err := load(fstest.MapFS{"de/a.toml": {Data: []byte("\"x\" = \"1\"\n")}, "de/b.toml": {Data: []byte("\"x\" = \"2\"\n")}}); err == nil {
		t.Error("a message defined twice must be refused")
	}
}

func TestTranslateShowsADomainErrorInTheLanguage(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	german := "E-Mail-Adresse oder Passwort ist falsch."
	if got := c.Translate(German, german); got != german {
		t.Errorf("German: %q", got)
	}
	if got := c.Translate(English, german); got != "The email address or password is wrong." {
		t.Errorf("English: %q", got)
	}
	if got := c.Translate(English, "Zu x@example.de gibt es kein Konto."); got != "There is no account for x@example.de." {
		t.Errorf("a text with details keeps them: %q", got)
	}
	if got := c.Translate(English, "Das ist keine Betriebsnummer: Sie besteht aus höchstens 20 Ziffern, Buchstaben und Bindestrichen."); got != "That is not a business number: it consists of at most 20 digits, letters and hyphens." {
		t.Errorf("a text with a number: %q", got)
	}
	if got := c.Translate(English, "Ein Text, den es nicht gibt."); got != "Ein Text, den es nicht gibt." {
		t.Errorf("a text the catalog lacks stays as it is: %q", got)
	}
	if got := c.Translate(English, fmt.Sprintf("Den Dienst %q gibt es nicht.", "portal-x")); got != `There is no service "portal-x".` {
		t.Errorf("a quoted value: %q", got)
	}
	if got, _ := c.T(English, "login.idle", "Idle", Duration(English, 90*time.Minute)); got != "For your security, you are signed out automatically after 1 hour and 30 minutes without activity." {
		t.Errorf("filled message: %q", got)
	}
}

func TestMatch(t *testing.T) {
	for accept, want := range map[string]Lang{
		"":                         German,
		"en":                       English,
		"en-GB,en;q=0.9":           English,
		"en-US,de;q=0.5":           English,
		"de-DE,de;q=0.9,en;q=0.8":  German,
		"fr-FR,fr;q=0.9":           German,
		"fr-FR,en;q=0.5":           English,
		"de-AT":                    German,
		"*":                        German,
		"this is not a header ;;;": German,
	} {
		if got := Match(accept); got != want {
			t.Errorf("Match(%q) = %q, want %q", accept, got, want)
		}
	}
	for s, want := range map[string]bool{"de": true, "en": true, "fr": false, "": false, "EN": false} {
		if _, ok := Parse(s); ok != want {
			t.Errorf("Parse(%q) = %v", s, ok)
		}
	}
}

func TestEnglishWords(t *testing.T) {
	at := time.Date(2025, 3, 3, 13, 5, 0, 0, time.UTC)
	if got := DateTime(English, at); got != "Monday, 3 March 2025, 14:05 (CET)" {
		t.Errorf("DateTime: %q", got)
	}
	if got := DateTime(German, at); got != pforte.GermanDateTime(at) {
		t.Errorf("German DateTime: %q", got)
	}
	for d, want := range map[time.Duration]string{time.Second: "1 minute", time.Hour: "1 hour", 72 * time.Hour: "72 hours", 90 * time.Minute: "1 hour and 30 minutes", 150 * time.Second: "3 minutes"} {
		if got := Duration(English, d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
	for secs, want := range map[int]string{1: "1 second", 30: "30 seconds", 600: "10 minutes"} {
		if got := Wait(English, secs); got != want {
			t.Errorf("Wait(%d) = %q, want %q", secs, got, want)
		}
	}
}

// A domain error's German message in the catalog must be the domain's
// text word for word, or the page would never find its English: each one
// (without filled-in values) is a literal in the project's Go code.
func TestErrorMessagesAreTheDomainsTexts(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	var code strings.Builder
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "locale" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			b, err := os.ReadFile(path)
			code.Write(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, id := range c.IDs(German) {
		if !strings.HasPrefix(id, "err.") {
			continue
		}
		text := c.Must(German, id)
		if id == "err.session-expired" {
			continue
		}
		n++
		// A message with values is the domain's format: {{.Name}} is %s or %d there.
		raw, _ := c.byGermanText(id)
		formats := []string{text}
		if strings.Contains(raw, "{{") {
			quoted := regexp.MustCompile(`"`+placeholder.String()+`"`).ReplaceAllString(raw, "%q")
			formats = []string{placeholder.ReplaceAllString(quoted, "%s"), placeholder.ReplaceAllString(quoted, "%d")}
		}
		found := false
		for _, f := range formats {
			found = found || strings.Contains(code.String(), `"`+f+`"`)
		}
		if !found {
			t.Errorf("%s: no Go code says %q", id, formats[0])
		}
	}
	if n < 20 {
		t.Errorf("only %d error messages checked", n)
	}
}

// byGermanText is the German text of message id as written, before
// values are filled in.
func (c *Catalog) byGermanText(id string) (string, bool) {
	for text, x := range c.byGerman {
		if x == id {
			return text, true
		}
	}
	return "", false
}

// The texts T keeps ready for messages without values are what go-i18n
// writes for them, in every language.
func TestPlainTextsAreTheCatalogs(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range Langs {
		for _, id := range c.IDs(l) {
			got, err := c.T(l, id)
			want, werr := c.localizers[l].Localize(&i18n.LocalizeConfig{MessageID: id})
			if c.plural[l][id] {
				if _, ok := c.plain[l][id]; ok {
					t.Errorf("%s %s: a message with plural forms kept as plain text", l, id)
				}
				continue
			}
			n++
			if got != want || (err == nil) != (werr == nil) {
				t.Errorf("%s %s: T %q (%v), go-i18n %q (%v)", l, id, got, err, want, werr)
			}
		}
	}
	if n < 200 {
		t.Errorf("only %d plain messages checked", n)
	}
}
