package document

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"pforte/locale"
)

var testSender = Sender{
	Name:     "Handwerkskammer für Unterfranken",
	Street:   "Rennweger Ring 3",
	Postcode: "97070",
	City:     "Würzburg",
	Email:    "kundenlogin@hwk-ufr.de",
	Phone:    "0931 30908-0",
	Web:      "www.hwk-ufr.de",
}

var testLetter = Letter{
	BusinessNumber: "0815-4711",
	BusinessName:   "Bäckerei Größl & Söhne GmbH",
	Street:         "Maßbacher Straße 12",
	Postcode:       "97688",
	City:           "Bad Kissingen",
	PIN:            "7KQ4MX2P9TZA",
	Expires:        time.Date(2026, 3, 31, 23, 59, 59, 0, time.UTC),
	Date:           time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC),
	BaseURL:        "https://portal.hwk-ufr.de/",
	RequestedBy:    "an…@b….de",
	RequestedAt:    time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC),
}

var testRules = []string{
	"mindestens 12 Zeichen",
	"mindestens 1 Großbuchstabe (A–Z, Ä, Ö, Ü)",
	"mindestens 1 Kleinbuchstabe (a–z, ä, ö, ü, ß)",
	"mindestens 1 Zahl",
	"mindestens 1 Sonderzeichen, zum Beispiel !@#$%^&*()_+-={};:<>/?~ oder €",
	"nicht Ihr bisheriges Passwort",
}

// poppler finds a poppler-utils tool, or skips the test where it is
// missing (and fails on CI, where it must be installed).
func poppler(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		msg := tool + " (poppler-utils) is not installed: apt-get install -y poppler-utils"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// inspect writes pdf to a file and returns its text and page count, as
// poppler reads them: an independent check that the PDF parses.
func inspect(t *testing.T, name string, pdf []byte) (text string, pages string) {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("%s: no %%PDF header: %q", name, pdf[:min(len(pdf), 16)])
	}
	pdftotext, pdfinfo := poppler(t, "pdftotext"), poppler(t, "pdfinfo")
	dir := t.TempDir()
	if out := os.Getenv("DOCUMENT_OUT"); out != "" {
		dir = out // keep the files for a look
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := exec.Command(pdfinfo, file).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo %s: %v\n%s", name, err, info)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo %s: no page count:\n%s", name, info)
	}
	txt, err := exec.Command(pdftotext, "-layout", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext %s: %v\n%s", name, err, txt)
	}
	if strings.Contains(string(info), "Syntax Error") || strings.Contains(string(txt), "Syntax Error") {
		t.Errorf("%s: poppler reports syntax errors:\n%s", name, info)
	}
	// The prose hyphens are printed as the font's short hyphen (U+00AD).
	return strings.ReplaceAll(string(txt), "\u00ad", "-"), string(m[1])
}

func TestLetterPDF(t *testing.T) {
	pdf, err := LetterPDF(testSender, testLetter)
	if err != nil {
		t.Fatal(err)
	}
	text, pages := inspect(t, "letter.pdf", pdf)
	if pages != "1" {
		t.Errorf("letter has %s pages, want 1", pages)
	}
	containsAll(t, "letter", text, text, []string{
		"Bäckerei Größl & Söhne GmbH",
		"Maßbacher Straße 12",
		"97688 Bad Kissingen",
		"7KQ4-MX2P-9TZA",
		"0815-4711",
		"Sehr geehrte Damen und Herren,",
		"Mit freundlichen Grüßen",
		"gültig bis zum 31.03.2026",
		"03.03.2026",
		"https://portal.hwk-ufr.de/anmelden",
		"https://portal.hwk-ufr.de/betrieb/verknuepfen",
		"Bindestriche",
		"Handwerkskammer für Unterfranken · Rennweger Ring 3 · 97070 Würzburg", // return line
		"kundenlogin@hwk-ufr.de",
		"am 02.03.2026",
		"an…@b….de",
		"Sie kennen dieses Benutzerkonto nicht",
	})
}

func TestLetterPDFLongNameStaysOnOnePage(t *testing.T) {
	l := testLetter
	l.BusinessName = strings.Repeat("Elektroinstallationsmeisterbetrieb Überlandwerk ", 4)
	l.BaseURL = "https://kundenportal.handwerkskammer-fuer-unterfranken.example/ein/sehr/langer/pfad/zum/portal"
	pdf, err := LetterPDF(testSender, l)
	if err != nil {
		t.Fatal(err)
	}
	text, pages := inspect(t, "long.pdf", pdf)
	if pages != "1" {
		t.Errorf("letter has %s pages, want 1", pages)
	}
	// The window must still show the town, whatever the name.
	if !strings.Contains(text, "97688 Bad Kissingen") {
		t.Errorf("long letter lacks the town:\n%s", text)
	}
}

func TestLetterPDFRefusesIncompleteLetters(t *testing.T) {
	for name, change := range map[string]func(*Letter){
		"no PIN":     func(l *Letter) { l.PIN = " " },
		"no expiry":  func(l *Letter) { l.Expires = time.Time{} },
		"no baseURL": func(l *Letter) { l.BaseURL = "" },
	} {
		l := testLetter
		change(&l)
		if _, err := LetterPDF(testSender, l); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestGuide(t *testing.T) {
	pdf, err := Guide(locale.German, testSender, "https://portal.hwk-ufr.de", testRules, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	text, pages := inspect(t, "guide.pdf", pdf)
	if pages == "1" {
		t.Errorf("guide has only one page")
	}
	flat := strings.Join(strings.Fields(text), " ")
	containsAll(t, "guide", text, flat, []string{
		"Schritt-für-Schritt-Anleitung",
		"https://portal.hwk-ufr.de/registrieren",
		"https://portal.hwk-ufr.de/passwort-vergessen",
		"https://portal.hwk-ufr.de/betrieb/verknuepfen",
		"nach 10 Minuten ohne Aktivität automatisch abgemeldet",
		"mindestens 1 Großbuchstabe (A–Z, Ä, Ö, Ü)",
		"!@#$%^&*()_+-={};:<>/?~ oder €",
		"Keine Zugriffsberechtigung",
		"PIN-Eingabe gesperrt",
		"Seite 1 von " + pages,
		"kundenlogin@hwk-ufr.de",
		"97070 Würzburg",
	})
}

// containsAll checks that searched holds every string of wants, and shows
// the whole text once if it does not.
func containsAll(t *testing.T, name, text, searched string, wants []string) {
	t.Helper()
	failed := false
	for _, want := range wants {
		if !strings.Contains(searched, want) {
			t.Errorf("%s text lacks %q", name, want)
			failed = true
		}
	}
	if failed {
		t.Logf("%s text:\n%s", name, text)
	}
}

func TestGroupPIN(t *testing.T) {
	for in, want := range map[string]string{
		"7KQ4MX2P9TZA":   "7KQ4-MX2P-9TZA",
		"7kq4-mx2p-9tza": "7kq4-mx2p-9tza",
		"7KQ4 MX2P 9T":   "7KQ4-MX2P-9T",
		"1234":           "1234",
	} {
		if got := groupPIN(in); got != want {
			t.Errorf("groupPIN(%q) = %q, want %q", in, got, want)
		}
	}
}

// Letters are rendered in parallel by nobody today, but the shared parsed
// fonts must stay safe if they are: run with -race.
func TestLetterPDFConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := LetterPDF(testSender, testLetter); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func BenchmarkLetterPDF(b *testing.B) {
	for b.Loop() {
		if _, err := LetterPDF(testSender, testLetter); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLettersPDFOneSheetEach(t *testing.T) {
	long := testLetter
	long.BusinessNumber, long.PIN = "4712", "ABCD-EFGH-JKMN"
	long.BusinessName = strings.Repeat("Elektroinstallationsmeisterbetrieb Überlandwerk ", 4)
	third := testLetter
	third.BusinessNumber, third.PIN, third.City = "99", "2345-6789-ABCD", "Schweinfurt"
	pdf, err := LettersPDF(testSender, []Letter{testLetter, long, third})
	if err != nil {
		t.Fatal(err)
	}
	text, pages := inspect(t, "letters.pdf", pdf)
	if pages != "3" {
		t.Fatalf("batch of 3 letters has %s pages", pages)
	}
	sheets := strings.Split(text, "\f")
	for i, want := range []string{"7KQ4-MX2P-9TZA", "ABCD-EFGH-JKMN", "2345-6789-ABCD"} {
		if !strings.Contains(sheets[i], want) || !strings.Contains(sheets[i], "Sehr geehrte Damen und Herren,") {
			t.Errorf("sheet %d lacks its PIN %s", i+1, want)
		}
	}
	if _, err := LettersPDF(testSender, nil); err == nil {
		t.Error("an empty batch rendered")
	}
}

// TestContactSentences: the contact is a whole sentence, never the broken
// "wenden Sie sich bitte per E-Mail an … an uns", and names the contact
// person with the phone number.
func TestContactSentences(t *testing.T) {
	s := testSender
	s.Contact = "Frau Beispiel, Kundenservice"
	letter, err := LetterPDF(s, testLetter)
	if err != nil {
		t.Fatal(err)
	}
	guide, err := Guide(locale.German, s, "https://portal.hwk-ufr.de", testRules, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for name, pdf := range map[string][]byte{"letter.pdf": letter, "guide.pdf": guide} {
		text, _ := inspect(t, name, pdf)
		flat := strings.Join(strings.Fields(text), " ")
		if strings.Contains(flat, "an uns.") || strings.Contains(flat, "wenden Sie sich") {
			t.Errorf("%s: broken contact sentence:\n%s", name, flat)
		}
		containsAll(t, name, text, flat, []string{"Schreiben Sie uns bitte eine E-Mail an kundenlogin@hwk-ufr.de oder rufen Sie uns an: 0931 30908-0 (Frau Beispiel, Kundenservice)."})
	}
}
