package document

import "testing"

func TestPrintedHyphens(t *testing.T) {
	for in, want := range map[string]string{
		"Ihre E-Mail-Adresse.":                      "Ihre E\u00adMail\u00adAdresse.",
		"im Spam-Ordner nach.":                      "im Spam\u00adOrdner nach.",
		"Betriebsnummer 0815-4711":                  "Betriebsnummer 0815-4711",
		"an kundenlogin@hwk-ufr.de":                 "an kundenlogin@hwk-ufr.de",
		"www.hwk-ufr.de, 7KQ4-MX2P-9TZA":            "www.hwk-ufr.de, 7KQ4-MX2P-9TZA",
		"https://portal.example/passwort-vergessen": "https://portal.example/passwort-vergessen",
		"2–4 Werktage - so":                         "2–4 Werktage - so",
	} {
		if got := printedHyphens(in, false); got != want {
			t.Errorf("printedHyphens(%q) = %q, want %q", in, got, want)
		}
	}
	if got := printedHyphens("0815-4711 an kundenlogin@hwk-ufr.de - so", true); got != "0815\u00ad4711 an kundenlogin@hwk\u00adufr.de - so" {
		t.Errorf("on paper: %q", got)
	}
}
