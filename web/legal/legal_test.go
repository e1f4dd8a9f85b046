package legal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var facts = Facts{Name: "Handwerkskammer Musterstadt", Street: "Musterstraße 1", Postcode: "12345", City: "Musterstadt",
	Email: "kontakt@example.org", BaseURL: "https://portal.example.org", SessionIdle: "10 Minuten",
	Representative: "Präsidentin Erika Beispiel"}

func TestSamplesFilledFromFacts(t *testing.T) {
	pages, err := Load("", facts)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Names {
		p := pages[name]
		if !p.Sample || p.Title == "" || !strings.Contains(string(p.HTML), "Handwerkskammer Musterstadt") {
			t.Errorf("%s: %+v", name, p)
		}
		if strings.Contains(string(p.HTML), "{{") || strings.Contains(string(p.HTML), "<h1") {
			t.Errorf("%s: template left over or second h1: %s", name, p.HTML)
		}
	}
	imp := string(pages["impressum"].HTML)
	if !strings.Contains(imp, "Präsidentin Erika Beispiel") || !strings.Contains(imp, "bitte ergänzen: zuständiges Landesministerium") {
		t.Errorf("impressum: given fact or gap missing:\n%s", imp)
	}
	if !strings.Contains(string(pages["datenschutz"].HTML), "10 Minuten") || !strings.Contains(string(pages["barrierefreiheit"].HTML), "Schlichtungsstelle") {
		t.Error("datenschutz or barrierefreiheit incomplete")
	}
}

func TestOperatorTextsRenderedSafely(t *testing.T) {
	dir := t.TempDir()
	text := "# Impressum der Kammer\n\nWir sind **die Kammer**.\n\n<script>alert(1)</script>\n\n[Klick](javascript:alert(2)) <b onclick=x>fett</b>\n"
	if err := os.WriteFile(filepath.Join(dir, "impressum.md"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	pages, err := Load(dir, facts)
	if err != nil {
		t.Fatal(err)
	}
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
