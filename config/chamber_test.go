package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestChamberSettings(t *testing.T) {
	dir := t.TempDir()
	png := filepath.Join(dir, "logo.png")
	// The smallest PNG header http.DetectContentType knows.
	os.WriteFile(png, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 0o644)
	c, err := Load(env(map[string]string{"PFORTE_CHAMBER_NAME": "Handwerkskammer für Unterfranken", "PFORTE_CHAMBER_COLOUR": "#7A1F2B",
		"PFORTE_LOGO": png, "PFORTE_CHAMBER_CONTACT": "Frau Beispiel", "PFORTE_LEGAL_DIR": dir, "PFORTE_BASE_URL": "https://portal.hwk-ufr.de"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Chamber.Colour != "#7a1f2b" || c.Chamber.LogoType != "image/png" || c.Chamber.Contact != "Frau Beispiel" || c.LegalDir != dir ||
		c.MailFrom != "Handwerkskammer für Unterfranken – Kundenportal <no-reply@portal.hwk-ufr.de>" {
		t.Fatalf("chamber: %+v, from %q", c.Chamber, c.MailFrom)
	}
	if d, _ := Load(env(nil)); d.Chamber.Colour != DefaultColour || d.Chamber.Logo != nil || d.LegalDir != "" {
		t.Fatalf("defaults: %+v", d.Chamber)
	}
	txt := filepath.Join(dir, "logo.txt")
	os.WriteFile(txt, []byte("kein Bild"), 0o644)
	for name, e := range map[string]map[string]string{
		"light colour":   {"PFORTE_CHAMBER_COLOUR": "#ffd700"},
		"not a colour":   {"PFORTE_CHAMBER_COLOUR": "blau"},
		"missing logo":   {"PFORTE_LOGO": filepath.Join(dir, "fehlt.png")},
		"logo not image": {"PFORTE_LOGO": txt},
		"missing legal":  {"PFORTE_LEGAL_DIR": filepath.Join(dir, "fehlt")},
	} {
		_, err := Load(env(e))
		var key string
		for k := range e {
			key = k
		}
		if err == nil || !strings.HasPrefix(err.Error(), key) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if c := Contrast(0x0b, 0x53, 0x94); c < 4.5 {
		t.Errorf("default colour contrast %.2f", c)
	}
}
