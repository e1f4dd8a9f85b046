package main

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"pforte"
)

const registerCSV = "number,name,street,postcode,city\n" +
	"0815-4711,Bäckerei Größl & Söhne GmbH,Maßbacher Straße 12,97688,Bad Kissingen\n" +
	"4712,Zimmerei Anders,Am Hang 3,97070,Würzburg\n"

// registerFile puts content into a new file in the test's temp dir.
func registerFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// poppler finds a poppler-utils tool; "" (and a log line) where it is
// missing, except on CI, where it must be installed.
func poppler(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		msg := tool + " (poppler-utils) is not installed, skipping the PDF checks: apt-get install -y poppler-utils"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Log(msg)
		return ""
	}
	return path
}

var letterPIN = regexp.MustCompile(`\b([2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4})\b`)

// readLetter checks that the PDF at path is one page holding each of
// wants, and returns the PIN printed on it ("" without poppler-utils).
func readLetter(t *testing.T, path string, wants ...string) string {
	t.Helper()
	pdfinfo, pdftotext := poppler(t, "pdfinfo"), poppler(t, "pdftotext")
	if pdfinfo == "" || pdftotext == "" {
		return ""
	}
	info, err := exec.Command(pdfinfo, path).CombinedOutput()
	if err != nil || !regexp.MustCompile(`(?m)^Pages:\s+1$`).Match(info) {
		t.Fatalf("pdfinfo %s: %v\n%s", path, err, info)
	}
	text, err := exec.Command(pdftotext, "-layout", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext %s: %v\n%s", path, err, text)
	}
	// The prose hyphens are printed as the font's short hyphen (U+00AD).
	text = []byte(strings.ReplaceAll(string(text), "\u00ad", "-"))
	for _, w := range wants {
		if !strings.Contains(string(text), w) {
			t.Errorf("letter lacks %q:\n%s", w, text)
		}
	}
	m := letterPIN.FindAllString(string(text), -1)
	if len(m) != 1 {
		t.Fatalf("want one PIN in the letter, found %q:\n%s", m, text)
	}
	return m[0]
}

// issuePIN runs `pforte pins issue` and returns the PIN, its last line.
func (p *portal) issuePIN(number string) string {
	p.t.Helper()
	out, errOut, err := p.cli("pins", "issue", number)
	if err != nil {
		p.t.Fatalf("pins issue %s: %v\n%s", number, err, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

func TestBusinessesImportCommand(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		file := registerFile(t, "register.csv", registerCSV)
		for _, want := range []string{"2 neu, 0 geändert, 0 unverändert", "0 neu, 0 geändert, 2 unverändert"} {
			out, errOut, err := p.cli("businesses", "import", file)
			if err != nil || !strings.Contains(out, want) {
				t.Fatalf("import: %v %q %q, want %q", err, out, errOut, want)
			}
		}
		moved := strings.Replace(registerCSV, "Am Hang 3", "Talweg 9", 1) + "77,Neu GmbH,Weg 1,97070,Würzburg\n"
		if out, _, err := p.cli("businesses", "import", registerFile(t, "moved.csv", moved)); err != nil ||
			!strings.Contains(out, "1 neu, 1 geändert, 1 unverändert") {
			t.Fatalf("changed import: %v %q", err, out)
		}

		// A bad file: every bad line on stderr, nothing written, not even
		// its good rows.
		bad := registerCSV + "88,Gut GmbH,Weg 1,97070,Würzburg\n" + "89,,Weg 1,97070,Würzburg\n" + "4712,Doppelt,Weg,1,X\n" + "90,Kurz,Weg\n"
		_, errOut, err := p.cli("businesses", "import", registerFile(t, "bad.csv", bad))
		if err == nil || exitCode(err) == 0 {
			t.Fatal("bad file imported")
		}
		for _, want := range []string{"Zeile 5: Name fehlt", "Zeile 6: Betriebsnummer 4712 kommt doppelt vor (schon in Zeile 3)", "Zeile 7: 3 Felder statt 5"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}
		if _, _, err := p.cli("pins", "issue", "88"); err == nil {
			t.Error("a row of a refused file was imported")
		}
		for name, content := range map[string]string{
			"empty.csv":     "",
			"header.csv":    "name,number,street,postcode,city\n1,A,W,1,X\n",
			"latin1.csv":    "number,name,street,postcode,city\n1,B\xe4ckerei,W,1,X\n",
			"semicolon.csv": "number;name;street;postcode;city\n1;A;W;1;X\n",
		} {
			if _, errOut, err := p.cli("businesses", "import", registerFile(t, name, content)); err == nil {
				t.Errorf("%s imported: %s", name, errOut)
			}
		}
		if _, _, err := p.cli("businesses", "import", filepath.Join(t.TempDir(), "missing.csv")); err == nil {
			t.Error("a missing file imported")
		}
		for _, args := range [][]string{{"businesses", "import"}, {"pins", "issue"}, {"pins", "issue", "1", "2"},
			{"letters", "render"}, {"letters", "render", "--out"}, {"letters", "render", "--out", t.TempDir(), "extra"}, {"letters"}} {
			if _, _, err := p.cli(args...); err == nil || exitCode(err) != 2 {
				t.Errorf("%q: %v, want a usage error", args, err)
			}
		}
	})
}

func TestBusinessLinkFlow(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		if _, errOut, err := p.cli("businesses", "import", registerFile(t, "register.csv", registerCSV)); err != nil {
			t.Fatalf("import: %v %s", err, errOut)
		}
		member, other := "inhaber@baeckerei.example", "gesellin@example.de"
		p.signUp(member, goodPW)
		p.signUp(other, goodPW)
		anon := p.newClient()
		for _, path := range []string{"/betrieb", "/betrieb/4712/", "/betrieb/pin-beantragen", "/betrieb/verknuepfen"} {
			if pg := p.get(anon, path); pg.Status != 303 || !strings.HasPrefix(pg.Header.Get("Location"), "/anmelden") {
				t.Errorf("%s without a session: %d %s", path, pg.Status, pg.Header.Get("Location"))
			}
		}
		c := p.login(member, goodPW)

		// No link yet: 403, and the way to a PIN.
		pg := p.get(c, "/betrieb")
		if pg.Status != 403 || pg.Code() != "forbidden" || !strings.Contains(pg.Body, `href="/betrieb/pin-beantragen"`) {
			t.Fatalf("/betrieb without a link: %d %q", pg.Status, pg.Code())
		}

		// Request a PIN: an unknown number is named, a known one queues
		// a letter and shows only postcode and town.
		if pg := p.get(c, "/betrieb/pin-beantragen"); pg.Status != 200 || !strings.Contains(pg.Body, `name="business"`) {
			t.Fatalf("request form: %d", pg.Status)
		}
		if pg := p.post(c, "/betrieb/pin-beantragen", url.Values{"business": {"9999"}}); pg.Status != 422 || pg.Code() != "pin-invalid" {
			t.Fatalf("unknown number: %d %q", pg.Status, pg.Code())
		}
		mails := p.mailsTo(member)
		for range 2 {
			pg = p.post(c, "/betrieb/pin-beantragen", url.Values{"business": {"0815-4711"}})
			if pg.Status != 200 || !strings.Contains(pg.Body, "97688 Bad Kissingen") || !strings.Contains(pg.Body, "2–4 Werktage") ||
				strings.Contains(pg.Body, "Maßbacher") || strings.Contains(pg.Body, "Größl") {
				t.Fatalf("request: %d %q\n%s", pg.Status, pg.Code(), pg.Body)
			}
		}
		if pg := p.get(c, "/hilfe"); !strings.Contains(pg.Body, `id="fehler-pin-invalid"`) {
			t.Error("the help page does not explain pin-invalid")
		}
		// /konto says that the letter is being prepared.
		if pg := p.get(c, "/konto"); !strings.Contains(pg.Body, `data-pending="0815-4711"`) || !strings.Contains(pg.Body, "PIN beantragt am") {
			t.Errorf("/konto does not show the pending request:\n%s", pg.Body)
		}

		// The operator renders the letters: one, however often it was asked for.
		// The test portal's URL is on loopback: refused unless asked for.
		dir := filepath.Join(t.TempDir(), "briefe")
		if _, _, err := p.cli("letters", "render", "--out", dir); err == nil || !strings.Contains(err.Error(), "Entwicklungsadresse") {
			t.Fatalf("letters render with a loopback base URL: %v", err)
		}
		if files, _ := filepath.Glob(filepath.Join(dir, "*.pdf")); len(files) != 0 {
			t.Fatalf("refused render wrote %v", files)
		}
		out, errOut, err := p.cli("letters", "render", "--out", dir, "--development-url")
		if err != nil || !strings.Contains(out, "1 PIN-Brief geschrieben") {
			t.Fatalf("letters render: %v %q %q", err, out, errOut)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "pin-0815-4711-*.pdf"))
		if len(files) != 1 || !strings.Contains(out, files[0]) {
			t.Fatalf("letter files %v, output %q", files, out)
		}
		if out, _, _ := p.cli("letters", "render", "--out", dir, "--development-url"); !strings.Contains(out, "Keine offenen PIN-Anträge") {
			t.Fatalf("second render: %q", out)
		}
		if pg := p.get(c, "/konto"); !strings.Contains(pg.Body, "Brief unterwegs seit") {
			t.Errorf("/konto does not say the letter is on its way:\n%s", pg.Body)
		}
		// Asked again while the letter is in the post: no new letter, its
		// PIN stays good, and the page says when it went out.
		pg = p.post(c, "/betrieb/pin-beantragen", url.Values{"business": {"0815-4711"}})
		if pg.Status != 200 || !strings.Contains(pg.Body, "bereits unterwegs") || !strings.Contains(pg.Body, pforte.GermanDate(time.Now())) {
			t.Fatalf("request while the letter is on its way: %d", pg.Status)
		}
		if out, _, _ := p.cli("letters", "render", "--out", dir, "--development-url"); !strings.Contains(out, "Keine offenen PIN-Anträge") {
			t.Fatalf("a request while the letter is on its way queued another: %q", out)
		}
		pin := readLetter(t, files[0], "Bäckerei Größl & Söhne GmbH", "Maßbacher Straße 12", "97688 Bad Kissingen", "0815-4711", "in…@b….example")
		if pin == "" {
			pin = p.issuePIN("0815-4711") // no poppler-utils here: the operator's way
		}
		if p.mailsTo(member) != mails {
			t.Error("a mail went to the requester")
		}

		// Link: a wrong PIN is refused, the letter's PIN typed loosely works.
		if pg := p.post(c, "/betrieb/verknuepfen", url.Values{"business": {"0815-4711"}, "pin": {"23456789ABCD"}}); pg.Status != 422 || pg.Code() != "pin-invalid" {
			t.Fatalf("wrong PIN: %d %q", pg.Status, pg.Code())
		}
		typed := strings.ToLower(strings.ReplaceAll(pin, "-", " "))
		pg = p.post(c, "/betrieb/verknuepfen", url.Values{"business": {"0815-4711"}, "pin": {typed}})
		if pg.Status != 303 || pg.Header.Get("Location") != "/betrieb/0815-4711/?verknuepft=1" {
			t.Fatalf("link: %d %q %s", pg.Status, pg.Code(), pg.Header.Get("Location"))
		}
		if pg := p.get(c, "/betrieb"); pg.Status != 200 || !strings.Contains(pg.Body, "Bäckerei Größl &amp; Söhne GmbH") {
			t.Fatalf("/betrieb: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(c, "/betrieb/0815-4711/?verknuepft=1"); pg.Status != 200 || !strings.Contains(pg.Body, "Maßbacher Straße 12") {
			t.Fatalf("business page: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(c, "/betrieb/0815-4711"); pg.Status != 301 || pg.Header.Get("Location") != "/betrieb/0815-4711/" {
			t.Fatalf("without slash: %d %s", pg.Status, pg.Header.Get("Location"))
		}
		if pg := p.get(c, "/betrieb/4712/"); pg.Status != 403 || pg.Code() != "forbidden" {
			t.Fatalf("unlinked business: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(c, "/betrieb/9999/"); pg.Status != 403 || pg.Code() != "forbidden" {
			t.Fatalf("unknown business: %d %q", pg.Status, pg.Code())
		}

		// The PIN is used up; another member gets nowhere with it.
		o := p.login(other, goodPW)
		if pg := p.post(o, "/betrieb/verknuepfen", url.Values{"business": {"0815-4711"}, "pin": {pin}}); pg.Status != 422 || pg.Code() != "pin-invalid" {
			t.Fatalf("used PIN: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(o, "/betrieb/0815-4711/"); pg.Status != 403 || pg.Code() != "forbidden" {
			t.Fatalf("other member: %d %q", pg.Status, pg.Code())
		}

		// pins issue: a new PIN voids the one before; one business, two members.
		if _, errOut, err := p.cli("pins", "issue", "9999"); err == nil || !strings.Contains(err.Error()+errOut, "nicht im Register") {
			t.Fatalf("pins issue for an unknown number: %v %q", err, errOut)
		}
		first, second := p.issuePIN("0815-4711"), p.issuePIN("0815-4711")
		if pg := p.post(o, "/betrieb/verknuepfen", url.Values{"business": {"0815-4711"}, "pin": {first}}); pg.Code() != "pin-invalid" {
			t.Fatalf("voided PIN: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(o, "/betrieb/verknuepfen", url.Values{"business": {"0815-4711"}, "pin": {second}}); pg.Status != 303 {
			t.Fatalf("second member links: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(o, "/betrieb/0815-4711/"); pg.Status != 200 {
			t.Fatalf("second member's business page: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(c, "/betrieb/verknuepfen", url.Values{"business": {"4712"}, "pin": {p.issuePIN("4712")}}); pg.Status != 303 {
			t.Fatalf("second business: %d %q", pg.Status, pg.Code())
		}

		// /konto lists the links and removes one.
		pg = p.get(c, "/konto")
		if !strings.Contains(pg.Body, `href="/betrieb/0815-4711/trennen"`) || !strings.Contains(pg.Body, "Zimmerei Anders") {
			t.Fatalf("konto lacks the businesses:\n%s", pg.Body)
		}
		// Unlinking asks first; the question's form posts the unlink.
		if pg := p.get(c, "/betrieb/0815-4711/trennen"); pg.Status != 200 || !strings.Contains(pg.Body, `action="/betrieb/0815-4711/trennen"`) {
			t.Fatalf("unlink question: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(c, "/betrieb/0815-4711/trennen", nil); pg.Status != 200 || strings.Contains(pg.Body, `href="/betrieb/0815-4711/trennen"`) {
			t.Fatalf("unlink: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(c, "/betrieb/0815-4711/"); pg.Status != 403 {
			t.Fatalf("after unlink: %d", pg.Status)
		}
		if pg := p.post(c, "/betrieb/0815-4711/trennen", nil); pg.Status != 404 {
			t.Fatalf("unlink twice: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(c, "/betrieb/4712/"); pg.Status != 200 {
			t.Fatalf("the other link went too: %d", pg.Status)
		}
		assertAudit(t, p, "businesses-imported", "pin-requested", "pin-letter-rendered", "pin-issued", "pin-failed",
			"business-linked", "business-unlinked")
	})
}

func TestPINLockoutAndBadInput(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		if _, errOut, err := p.cli("businesses", "import", registerFile(t, "register.csv", registerCSV)); err != nil {
			t.Fatalf("import: %v %s", err, errOut)
		}
		p.signUp("pruefer@example.de", goodPW)
		c := p.login("pruefer@example.de", goodPW)
		pin := p.issuePIN("4712")
		link := func(number, pin string) page {
			return p.post(c, "/betrieb/verknuepfen", url.Values{"business": {number}, "pin": {pin}})
		}

		// Bad input: each answered with its code, none links.
		huge := strings.Repeat("A", 5000)
		for _, in := range []struct {
			number, pin string
			status      int
			code        string
		}{
			{"4712", huge, 400, "bad-request"},
			{huge, pin, 400, "bad-request"},
			{"", "", 422, "pin-invalid"},
			{"47/12", pin, 422, "pin-invalid"},
			{strings.Repeat("4", 100), pin, 422, "pin-invalid"},
		} {
			if pg := link(in.number, in.pin); pg.Status != in.status || pg.Code() != in.code {
				t.Errorf("link %.20q %.20q: %d %q, want %d %s", in.number, in.pin, pg.Status, pg.Code(), in.status, in.code)
			}
		}
		for _, in := range []string{"", "08/15", strings.Repeat("9", 100)} {
			if pg := p.post(c, "/betrieb/pin-beantragen", url.Values{"business": {in}}); pg.Status != 422 || pg.Code() != "pin-invalid" {
				t.Errorf("request %.20q: %d %q", in, pg.Status, pg.Code())
			}
		}
		if pg := p.post(c, "/betrieb/pin-beantragen", url.Values{"business": {huge}}); pg.Status != 400 || pg.Code() != "bad-request" {
			t.Errorf("huge request: %d %q", pg.Status, pg.Code())
		}

		// Five wrong PINs (an overlong one among them) lock the business for
		// an hour, for the right PIN too; the page never echoes a PIN.
		wrong := []string{"23456789ABCD", "23456789ABCE", strings.Repeat("Z", 100), "2345 6789 abcf"}
		for i, w := range wrong {
			if pg := link("4712", w); pg.Status != 422 || pg.Code() != "pin-invalid" || strings.Contains(pg.Body, w) {
				t.Fatalf("wrong PIN %d: %d %q", i+1, pg.Status, pg.Code())
			}
		}
		pg := link("4712", "23456789ABCG")
		if pg.Status != 422 || pg.Code() != "pin-invalid" {
			t.Fatalf("fifth wrong PIN: %d %q", pg.Status, pg.Code())
		}
		pg = link("4712", pin)
		if pg.Status != 429 || pg.Code() != "pin-locked" || pg.Header.Get("Retry-After") != "3600" {
			t.Fatalf("right PIN after five wrong ones: %d %q Retry-After %q", pg.Status, pg.Code(), pg.Header.Get("Retry-After"))
		}
		// Another business is not locked.
		if pg := link("0815-4711", p.issuePIN("0815-4711")); pg.Status != 303 {
			t.Fatalf("other business: %d %q", pg.Status, pg.Code())
		}
		assertAudit(t, p, "pin-failed", "pin-locked")
	})
}

func TestStaffSeeEveryBusiness(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		if _, errOut, err := p.cli("businesses", "import", registerFile(t, "register.csv", registerCSV)); err != nil {
			t.Fatalf("import: %v %s", err, errOut)
		}
		p.signUp("sachbearbeiter@hwk.example", goodPW)
		if _, errOut, err := p.cli("staff", "grant", "sachbearbeiter@hwk.example", "--role", "support"); err != nil {
			t.Fatalf("staff grant: %v %s", err, errOut)
		}
		// Staff rights need a second factor in the session (see
		// TestStaffRightsNeedASecondFactor for the password alone).
		c := p.sessionOf("sachbearbeiter@hwk.example", "pwd", "otp")
		if pg := p.get(c, "/betrieb"); pg.Status != 200 || !strings.Contains(pg.Body, `name="nummer"`) {
			t.Fatalf("/betrieb for staff: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(c, "/betrieb?nummer=+4712+"); pg.Status != 303 || pg.Header.Get("Location") != "/betrieb/4712/" {
			t.Fatalf("open by number: %d %s", pg.Status, pg.Header.Get("Location"))
		}
		if pg := p.get(c, "/betrieb/4712/"); pg.Status != 200 || !strings.Contains(pg.Body, "Zimmerei Anders") {
			t.Fatalf("staff on a business page: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(c, "/betrieb/9999/"); pg.Status != 404 || pg.Code() != "not-found" {
			t.Fatalf("staff on an unknown number: %d %q", pg.Status, pg.Code())
		}
	})
}
