package legal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pforte/locale"
)

var facts = Facts{Name: "Handwerkskammer Musterstadt", Street: "Musterstraße 1", Postcode: "12345", City: "Musterstadt",
	Email: "kontakt@example.org", BaseURL: "https://portal.example.org", SessionIdle: 10 * time.Minute,
	Representative: "Präsidentin Erika Beispiel"}

func TestSamplesFilledFromFacts(t *testing.T) {
	all, err := Load("", facts)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range locale.Langs {
		for _, name := range Names {
			p := all[l][name]
			if !p.Sample || p.Fallback || p.Lang != l || p.Title == "" || !strings.Contains(string(p.HTML), "Handwerkskammer Musterstadt") {
				t.Errorf("%s %s: %+v", l, name, p)
			}
			if strings.Contains(string(p.HTML), "{{") || strings.Contains(string(p.HTML), "<h1") {
				t.Errorf("%s %s: template left over or second h1: %s", l, name, p.HTML)
			}
		}
	}
	pages := all[locale.German]
	imp := string(pages["impressum"].HTML)
	if !strings.Contains(imp, "Präsidentin Erika Beispiel") || !strings.Contains(imp, "bitte ergänzen: zuständiges Landesministerium") {
		t.Errorf("impressum: given fact or gap missing:\n%s", imp)
	}
	if !strings.Contains(string(pages["datenschutz"].HTML), "10 Minuten") || !strings.Contains(string(pages["barrierefreiheit"].HTML), "Schlichtungsstelle") {
		t.Error("datenschutz or barrierefreiheit incomplete")
	}
	// The same facts, gaps and durations in English.
	en := all[locale.English]
	if p := en["impressum"]; p.Title != "Legal notice" || !strings.Contains(string(p.HTML), "Präsidentin Erika Beispiel") ||
		!strings.Contains(string(p.HTML), "to be completed: competent state ministry") || strings.Contains(string(p.HTML), "ergänzen") {
		t.Errorf("English impressum:\n%s", p.HTML)
	}
	if p := en["datenschutz"]; p.Title != "Privacy notice" || !strings.Contains(string(p.HTML), "After 10 minutes without activity") {
		t.Errorf("English datenschutz:\n%s", p.HTML)
	}
	if p := en["barrierefreiheit"]; p.Title != "Accessibility statement" || !strings.Contains(string(p.HTML), "conciliation body") {
		t.Errorf("English barrierefreiheit:\n%s", p.HTML)
	}
}

// The operator's English file is shown in English; without one, English
// readers get the operator's German text (marked as German, under an
// English title), never the sample that the operator replaced.
func TestOperatorTextsInEnglish(t *testing.T) {
	dir := t.TempDir()
	for file, text := range map[string]string{
		"impressum.md":           "# Impressum der Kammer\n\nWir sind die Kammer.\n",
		"impressum.en.md":        "# Legal notice of the chamber\n\nWe are the chamber.\n",
		"datenschutz.md":         "# Datenschutz\n\nNur auf Deutsch.\n",
		"barrierefreiheit.en.md": "# Accessibility\n\nOnly in English.\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	all, err := Load(dir, facts)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		l                locale.Lang
		name, title, has string
		text             locale.Lang
		fallback, sample bool
	}{
		{locale.German, "impressum", "Impressum der Kammer", "Wir sind die Kammer.", locale.German, false, false},
		{locale.English, "impressum", "Legal notice of the chamber", "We are the chamber.", locale.English, false, false},
		{locale.German, "datenschutz", "Datenschutz", "Nur auf Deutsch.", locale.German, false, false},
		{locale.English, "datenschutz", "Privacy notice", "Nur auf Deutsch.", locale.German, true, false},
		{locale.German, "barrierefreiheit", "Erklärung zur Barrierefreiheit", "bitte ergänzen", locale.German, false, true},
		{locale.English, "barrierefreiheit", "Accessibility", "Only in English.", locale.English, false, false},
	} {
		p := all[c.l][c.name]
		if p.Title != c.title || !strings.Contains(string(p.HTML), c.has) || p.Lang != c.text || p.Fallback != c.fallback || p.Sample != c.sample {
			t.Errorf("%s %s: %+v", c.l, c.name, p)
		}
	}
	if got := all[locale.English]["impressum"].Source; got != filepath.Join(dir, "impressum.en.md") {
		t.Errorf("source %q", got)
	}
}

func TestOperatorTextsRenderedSafely(t *testing.T) {
	dir := t.TempDir()
	text := "# Impressum der Kammer\n\nWir sind **die Kammer**.\n\n<script>alert(1)</script>\n\n[Klick](javascript:alert(2)) <b onclick=x>fett</b>\n"
	if err := os.WriteFile(filepath.Join(dir, "impressum.md"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	all, err := Load(dir, facts)
	if err != nil {
		t.Fatal(err)
	}
	pages := all[locale.German]
	p := pages["impressum"]
	html := string(p.HTML)
	if p.Sample || p.Title != "Impressum der Kammer" || !strings.Contains(html, "<strong>die Kammer</strong>") {
		t.Fatalf("operator text: %+v", p)
	}
	for _, bad := range []string{"<script", "javascript:", "onclick", "<b "} {
		if strings.Contains(html, bad) {
			t.Errorf("unsafe %q kept: %s", bad, html)
		}
	}
	// The other two fall back to the samples.
	if !pages["datenschutz"].Sample || !pages["barrierefreiheit"].Sample {
		t.Error("missing files should give the samples")
	}
	// A file that cannot be read is an error, not a silent sample.
	if err := os.Mkdir(filepath.Join(dir, "datenschutz.md"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, facts); err == nil {
		t.Error("unreadable datenschutz.md accepted")
	}
}
