package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"pforte"
	"pforte/store"
	"pforte/store/storetest"
)

// The passwords of migration day. The legacy one meets the new policy,
// so that re-using it fails on "reused" alone.
const (
	legacyPW = "Sommer.Garten-2017"
	freshPW  = "Kiefer+Wolke83Blau"
	laterPW  = "Regen/Bogen64Turm"
)

const csvHeader = "email,created_at,last_login_at,confirmed,legacy_password_hash\n"

// bcryptOf hashes pw as the old portal did (at the lowest cost, for speed).
func bcryptOf(t testing.TB, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func writeFile(t testing.TB, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "konten.csv")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runPforte runs one pforte command against the database at dbURL, with
// no portal running.
func runPforte(t testing.TB, dbURL, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	env := map[string]string{"PFORTE_DATABASE": dbURL, "PFORTE_ARGON2": "m=8192,t=1,p=1", "PFORTE_LOG_LEVEL": "warn"}
	var out, errb bytes.Buffer
	err = run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

// mustCLI runs a command on the portal's database that must succeed and
// returns its stdout.
func (p *portal) mustCLI(args ...string) string {
	p.t.Helper()
	out, errOut, err := p.cli(args...)
	if err != nil {
		p.t.Fatalf("pforte %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// count reads the number in front of what (e.g. "Konten importiert").
func count(t *testing.T, out, what string) int {
	t.Helper()
	m := regexp.MustCompile(`(\d+) ` + regexp.QuoteMeta(what)).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q in %q", what, out)
	}
	var n int
	fmt.Sscan(m[1], &n)
	return n
}

// auditLog reads `pforte audit --json` of the portal's database.
func (p *portal) auditLog(args ...string) []auditEntry {
	p.t.Helper()
	out := p.mustCLI(append([]string{"audit", "--json"}, args...)...)
	var log []auditEntry
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var e auditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			p.t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		log = append(log, e)
	}
	return log
}

func events(log []auditEntry, ev pforte.Event) []auditEntry {
	var out []auditEntry
	for _, e := range log {
		if e.Event == string(ev) {
			out = append(out, e)
		}
	}
	return out
}

// TestMigrationDay is the chamber's migration day over HTTP, as the
// members live it: accounts imported from the old portal, every password
// expired, the old password recognised only to say so and to refuse its
// re-use, inactive accounts warned and purged, a purged address new again.
func TestMigrationDay(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		const (
			legacy  = "legacy@example.de"  // imported, active: goes through the reset
			unconf  = "offen@example.de"   // imported, never confirmed its address
			old     = "alt@example.de"     // last login before the cutoff
			never   = "nie@example.de"     // never logged in, created before the cutoff
			present = "bestand@example.de" // registered in Pforte before the import
			recent  = "frisch@example.de"  // imported, created after the cutoff, never logged in
		)
		p.signUp(present, freshPW)
		h := bcryptOf(t, legacyPW)
		file := writeFile(t, csvHeader+
			"Legacy@Example.DE,2014-02-01,2025-05-01T09:30:00+02:00,true,"+h+"\n"+
			unconf+",2016-03-01,2024-11-11,false,"+h+"\n"+
			old+",2012-01-01,2018-06-30,ja,"+bcryptOf(t, "Anderes.Passwort-1")+"\n"+
			never+",2016-05-05,,1,\n"+
			present+",2010-01-01,2018-01-01,true,"+h+"\n"+
			recent+",2020-01-01T12:00:00Z,,false,\n")

		// 1. Import: once, then again without any change.
		out := p.mustCLI("users", "import", file)
		if count(t, out, "Konten importiert") != 5 || count(t, out, "bereits vorhanden") != 1 {
			t.Fatalf("import: %s", out)
		}
		out = p.mustCLI("users", "import", file)
		if count(t, out, "Konten importiert") != 0 || count(t, out, "bereits vorhanden") != 6 {
			t.Fatalf("second import: %s", out)
		}
		if n := len(events(p.auditLog(), pforte.EventImported)); n != 1 {
			t.Fatalf("%d import entries in the audit log, want 1", n)
		}
		// The account that was there keeps its password and state.
		p.login(present, freshPW)

		// 2. Expire every password that is set: only the one registered in
		// Pforte has one; the imported ones are expired already.
		out = p.mustCLI("passwords", "expire")
		if count(t, out, "Passwort als abgelaufen") != 1 {
			t.Fatalf("expire: %s", out)
		}
		if out = p.mustCLI("passwords", "expire"); count(t, out, "Passwörter") != 0 {
			t.Fatalf("second expire: %s", out)
		}
		if e := events(p.auditLog(), pforte.EventPasswordsExpired); len(e) != 1 || !strings.HasPrefix(e[0].Detail, "1 ") {
			t.Fatalf("expire audit: %+v", e)
		}

		// 3. The right but expired (or legacy) password answers
		// password-expired with the way out; a wrong one, as ever,
		// invalid-credentials.
		c := p.newClient()
		for _, try := range []struct{ email, pw, code string }{
			{legacy, legacyPW, "password-expired"},
			{"  LEGACY@example.de", legacyPW, "password-expired"},
			{unconf, legacyPW, "password-expired"},
			{present, freshPW, "password-expired"},
			{legacy, legacyPW + "x", "invalid-credentials"},
			{legacy, freshPW, "invalid-credentials"},
			{present, legacyPW, "invalid-credentials"}, // its import row's hash was never used
			{never, legacyPW, "invalid-credentials"},
		} {
			pg := p.post(c, "/anmelden", url.Values{"email": {try.email}, "password": {try.pw}})
			want := map[string]int{"password-expired": 403, "invalid-credentials": 401}[try.code]
			if pg.Status != want || pg.Code() != try.code {
				t.Fatalf("login %s / %q: %d %q, want %d %q", try.email, try.pw, pg.Status, pg.Code(), want, try.code)
			}
		}
		pg := p.post(c, "/anmelden", url.Values{"email": {legacy}, "password": {legacyPW}})
		for _, want := range []string{
			"neue Passwort-Richtlinie",                                                                    // why
			"Mindestens 12 Zeichen", "Mindestens ein Sonderzeichen", "Anders als Ihr bisheriges Passwort", // the rules
			`action="/passwort-vergessen"`, `value="` + legacy + `"`, // the reset mail at once, address filled in
			`href="/hilfe#fehler-password-expired"`,
		} {
			if !strings.Contains(pg.Body, want) {
				t.Errorf("password-expired page lacks %q", want)
			}
		}
		if strings.Contains(pg.Body, legacyPW) {
			t.Error("the page repeats the password")
		}

		// 4. The reset mail, from that page's form; the legacy password is
		// refused as re-used (and only as that), a new one is set.
		if pg := p.post(c, "/passwort-vergessen", url.Values{"email": {legacy}}); pg.Status != 200 {
			t.Fatalf("forgot: %d %q", pg.Status, pg.Code())
		}
		link := p.linkIn(legacy, "/passwort-neu")
		form := p.get(c, link)
		if form.Status != 200 {
			t.Fatalf("reset form: %d %q", form.Status, form.Code())
		}
		token := hidden(form.Body, "token")
		reset := func(pw string) page {
			return p.post(c, "/passwort-neu", url.Values{"token": {token}, "password": {pw}, "password_repeat": {pw}})
		}
		if pg := reset(legacyPW); pg.Status != 422 || pg.Code() != "policy" || !slices.Equal(pg.Rules(), []string{"reused"}) {
			t.Fatalf("reset to the legacy password: %d %q %v", pg.Status, pg.Code(), pg.Rules())
		}
		if pg := reset(freshPW); pg.Status != 303 {
			t.Fatalf("reset: %d %q %v", pg.Status, pg.Code(), pg.Rules())
		}
		for _, pw := range []string{legacyPW} {
			if pg := p.post(p.newClient(), "/anmelden", url.Values{"email": {legacy}, "password": {pw}}); pg.Status != 401 || pg.Code() != "invalid-credentials" {
				t.Fatalf("old password after the reset: %d %q", pg.Status, pg.Code())
			}
		}
		// 5. The login is recorded and shown.
		before := time.Now().Add(-time.Second)
		member := p.login(legacy, freshPW)
		// /konto shows the login before this one: none yet at the first,
		// the first one at the second.
		lastLogin := regexp.MustCompile(`Letzte Anmeldung</dt><dd>([^<]*)</dd>`)
		konto := p.get(member, "/konto")
		if m := lastLogin.FindStringSubmatch(konto.Body); konto.Status != 200 || m == nil || m[1] != "Dies ist Ihre erste Anmeldung." {
			t.Fatalf("/konto: %d, last login %q", konto.Status, m)
		}
		konto = p.get(p.login(legacy, freshPW), "/konto")
		if m := lastLogin.FindStringSubmatch(konto.Body); konto.Status != 200 || m == nil || !strings.Contains(m[1], fmt.Sprint(time.Now().Year())) || !strings.Contains(m[1], "Uhr") {
			t.Fatalf("/konto after a second login: %d, last login %q", konto.Status, m)
		}
		db := p.openDB()
		if a, _ := db.Q().AccountByEmail(context.Background(), legacy); a.LastLoginAt.Before(before) || a.PreviousHash != h {
			t.Fatalf("after login: last login %v, previous hash kept: %v", a.LastLoginAt, a.PreviousHash == h)
		}
		// Changing the password refuses the legacy one (bcrypt, kept as the
		// previous) and the current one (argon2id).
		for _, pw := range []string{legacyPW, freshPW} {
			pg := p.post(member, "/konto/passwort", url.Values{"current_password": {freshPW}, "password": {pw}, "password_repeat": {pw}})
			if pg.Status != 422 || !slices.Equal(pg.Rules(), []string{"reused"}) {
				t.Fatalf("change to %q: %d %q %v", pw, pg.Status, pg.Code(), pg.Rules())
			}
		}
		if pg := p.post(member, "/konto/passwort", url.Values{"current_password": {freshPW}, "password": {laterPW}, "password_repeat": {laterPW}}); (pg.Status != 200 && pg.Status != 303) || pg.Code() != "" {
			t.Fatalf("change: %d %q", pg.Status, pg.Code())
		}
		// The account expired by `passwords expire`: its own (argon2id)
		// password is refused at the reset as well.
		p.post(c, "/passwort-vergessen", url.Values{"email": {present}})
		token = hidden(p.get(c, p.linkIn(present, "/passwort-neu")).Body, "token")
		if pg := reset(freshPW); pg.Status != 422 || !slices.Equal(pg.Rules(), []string{"reused"}) {
			t.Fatalf("reset to the expired argon2id password: %d %q %v", pg.Status, pg.Code(), pg.Rules())
		}
		if pg := reset(laterPW); pg.Status != 303 {
			t.Fatalf("reset: %d %q %v", pg.Status, pg.Code(), pg.Rules())
		}
		p.login(present, laterPW)

		// 6. Warn who a purge before 2019 would delete: alt@ and nie@. Once.
		out = p.mustCLI("users", "notify-inactive", "--last-login-before", "2019-01-01", "--delete-on", "2099-03-01")
		if count(t, out, "Konten benachrichtigt") != 2 || !strings.Contains(out, "pforte serve") {
			t.Fatalf("notify: %s", out)
		}
		if out = p.mustCLI("users", "notify-inactive", "--last-login-before", "2019-01-01"); count(t, out, "Konten benachrichtigt") != 0 {
			t.Fatalf("second notify: %s", out)
		}
		// The running portal's worker delivers them.
		if l := p.linkIn(old, "/anmelden"); l != p.URL+"/anmelden" {
			t.Fatalf("notice links to %q", l)
		}
		waitFor(t, func() bool { return p.mailsTo(never) == 1 })
		for _, msg := range p.SMTP.Messages() {
			if msg.To == old && (!strings.Contains(msg.Subject, "gelöscht") || !strings.Contains(msg.Text, "1. März 2099")) {
				t.Errorf("notice: %q\n%s", msg.Subject, msg.Text)
			}
		}

		// 7. Purge: the dry run lists and changes nothing; the purge deletes.
		out = p.mustCLI("users", "purge", "--last-login-before", "2019-01-01", "--dry-run")
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || !slices.Contains(lines, old) ||
			!slices.Contains(lines, never) || count(t, out, "Konten würden gelöscht") != 2 {
			t.Fatalf("dry run: %s", out)
		}
		oldAcct, err := db.Q().AccountByEmail(context.Background(), old)
		if err != nil {
			t.Fatalf("the dry run deleted: %v", err)
		}
		out = p.mustCLI("users", "purge", "--last-login-before", "2019-01-01")
		if count(t, out, "Konten gelöscht") != 2 {
			t.Fatalf("purge: %s", out)
		}
		if out = p.mustCLI("users", "purge", "--last-login-before", "2019-01-01"); count(t, out, "Konten gelöscht") != 0 {
			t.Fatalf("second purge: %s", out)
		}
		for _, e := range []string{legacy, unconf, present, recent} {
			if _, err := db.Q().AccountByEmail(context.Background(), e); err != nil {
				t.Errorf("%s purged: %v", e, err)
			}
		}
		purged := events(p.auditLog(), pforte.EventPurged)
		if len(purged) != 2 {
			t.Fatalf("purge audit: %+v", purged)
		}
		for _, e := range p.auditLog("--account", fmt.Sprint(oldAcct.ID)) {
			if e.Email != "" || strings.Contains(e.Detail, "@") {
				t.Errorf("the purged account's address is still in the audit log: %+v", e)
			}
		}
		if pg := p.post(p.newClient(), "/anmelden", url.Values{"email": {old}, "password": {"Anderes.Passwort-1"}}); pg.Code() != "invalid-credentials" {
			t.Fatalf("purged account's login: %d %q", pg.Status, pg.Code())
		}

		// 8. The purged address registers anew: a confirmation mail, not
		// "you already have an account".
		mails := p.mailsTo(old)
		p.signUp(old, laterPW)
		if p.mailsTo(old) != mails+1 {
			t.Fatalf("%d mails after registering, want %d", p.mailsTo(old), mails+1)
		}
		for _, msg := range p.SMTP.Messages() {
			if msg.To == old && strings.HasPrefix(msg.Subject, "Registrierung mit Ihrer E-Mail-Adresse") {
				t.Errorf("the new registration got the already-registered mail: %q", msg.Subject)
			}
		}
		p.login(old, laterPW)
		again, _ := db.Q().AccountByEmail(context.Background(), old)
		if again.ID == oldAcct.ID || len(p.auditLog("--account", old)) != 3 { // registered, confirmed, login-succeeded
			t.Fatalf("the new account (id %d, old %d) inherits history: %+v", again.ID, oldAcct.ID, p.auditLog("--account", old))
		}
	})
}

// openDB opens the portal's database beside the running portal.
func (p *portal) openDB() *store.DB {
	p.t.Helper()
	db, err := store.Open(context.Background(), p.DBURL)
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { db.Close() })
	return db
}

// TestUsersImportRefusesBadFiles: a bad file imports nothing, and every
// bad line is named on stderr with its number.
func TestUsersImportRefusesBadFiles(t *testing.T) {
	h := bcryptOf(t, legacyPW)
	good := "gut@example.de,2015-01-01,2020-01-01,true," + h + "\n"
	tests := []struct {
		name, file string
		want       []string // on stderr
	}{
		{"empty file", "", []string{"leer"}},
		{"missing header", good, []string{"Zeile 1: Kopfzeile fehlt"}},
		{"reordered header", "email,last_login_at,created_at,confirmed,legacy_password_hash\n" + good, []string{"Zeile 1: Kopfzeile", "in dieser Reihenfolge"}},
		{"bad dates", csvHeader + good + "a@example.de,2015-31-01,,true,\nb@example.de,2015-01-01,01.02.2019,true,\nc@example.de,,,true,\n",
			[]string{"Zeile 3: created_at", "Zeile 4: last_login_at", "Zeile 5: created_at fehlt"}},
		{"bad hashes", csvHeader + good +
			"a@example.de,2015-01-01,,true,$argon2id$v=19$m=65536\n" +
			"b@example.de,2015-01-01,,true,{SSHA}abcdefgh\n" +
			"c@example.de,2015-01-01,,true,$1$salt$hash\n" +
			"d@example.de,2015-01-01,,true,$2x$" + h[4:] + "\n" +
			"e@example.de,2015-01-01,,true," + h + "x\n",
			[]string{"Zeile 3: legacy_password_hash", "Zeile 4: legacy_password_hash", "Zeile 5: legacy_password_hash",
				"Zeile 6: legacy_password_hash", "Zeile 7: legacy_password_hash"}},
		{"duplicate rows", csvHeader + good + "x@example.de,2015-01-01,,true,\nGUT@example.de,2016-01-01,,false,\n",
			[]string{"Zeile 4: die Adresse gut@example.de steht schon in Zeile 2"}},
		{"non-UTF-8", csvHeader + good + "m\xfcller@example.de,2015-01-01,,true,\n", []string{"Zeile 3: kein gültiges UTF-8"}},
		{"bad address and flag", csvHeader + good + "kein-at,2015-01-01,,true,\nok@example.de,2015-01-01,,wahr,\n",
			[]string{"Zeile 3: email", "Zeile 4: confirmed"}},
	}
	storetest.Each(t, func(t *testing.T, dbURL string) {
		for _, tt := range tests {
			file := writeFile(t, tt.file)
			out, errOut, err := runPforte(t, dbURL, "", "users", "import", file)
			if err == nil || exitCode(err) != 1 {
				t.Errorf("%s: err %v (exit %d), want exit 1", tt.name, err, exitCode(err))
			}
			if out != "" {
				t.Errorf("%s: stdout %q", tt.name, out)
			}
			all := errOut + "\n" + fmt.Sprint(err)
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("%s: stderr lacks %q:\n%s", tt.name, w, all)
				}
			}
			if n := strings.Count(errOut, "\n"); n != len(tt.want) && tt.name != "empty file" && tt.name != "reordered header" {
				t.Errorf("%s: %d lines reported, want %d:\n%s", tt.name, n, len(tt.want), errOut)
			}
		}
		// Nothing of it reached the database (the good row of every file
		// imports now, as the first account).
		if _, _, err := runPforte(t, dbURL, "", "migrate"); err != nil {
			t.Fatal(err)
		}
		out, errOut, err := runPforte(t, dbURL, csvHeader+good, "users", "import", "-")
		if err != nil || !strings.HasPrefix(out, "1 Konto importiert, 0 bereits") {
			t.Fatalf("good file from stdin: %v %q %q", err, out, errOut)
		}
		if _, errOut, err := runPforte(t, dbURL, "", "users", "import", filepath.Join(t.TempDir(), "fehlt.csv")); err == nil {
			t.Errorf("missing file imported: %s", errOut)
		}
	})
}

// TestUsersImportLarge imports 20,000 rows (the 100,000 of the
// benchmark are too slow for every test run) and runs it twice.
func TestUsersImportLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large import")
	}
	file := writeFile(t, bigCSV(t, 20_000))
	storetest.Each(t, func(t *testing.T, dbURL string) {
		if _, _, err := runPforte(t, dbURL, "", "migrate"); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		out, errOut, err := runPforte(t, dbURL, "", "users", "import", file)
		if err != nil || count(t, out, "Konten importiert") != 20_000 {
			t.Fatalf("import: %v %s %s", err, out, errOut)
		}
		t.Logf("20,000 rows imported in %v", time.Since(start).Round(time.Millisecond))
		out, _, err = runPforte(t, dbURL, "", "users", "import", file)
		if err != nil || count(t, out, "Konten importiert") != 0 || count(t, out, "bereits vorhanden") != 20_000 {
			t.Fatalf("second import: %v %s", err, out)
		}
		out, _, _ = runPforte(t, dbURL, "", "users", "purge", "--dry-run", "--last-login-before", "2019-01-01")
		if count(t, out, "Konten würden gelöscht") != 10_000 {
			t.Fatalf("dry run: %s", out[max(0, len(out)-200):])
		}
		start = time.Now()
		out, _, err = runPforte(t, dbURL, "", "users", "purge", "--last-login-before", "2019-01-01")
		if err != nil || count(t, out, "Konten gelöscht") != 10_000 {
			t.Fatalf("purge: %v %s", err, out)
		}
		t.Logf("10,000 accounts purged in %v", time.Since(start).Round(time.Millisecond))
	})
}

// bigCSV is a file of n accounts, every second one inactive since 2018,
// a third with a legacy hash (one hash: bcrypt is slow on purpose).
func bigCSV(t testing.TB, n int) string {
	h := bcryptOf(t, legacyPW)
	var b strings.Builder
	b.WriteString(csvHeader)
	for i := range n {
		last := "2024-03-01T10:00:00+01:00"
		if i%2 == 0 {
			last = "2018-03-01"
		}
		hash := ""
		if i%3 == 0 {
			hash = h
		}
		fmt.Fprintf(&b, "mitglied%06d@betrieb-%d.example.de,2012-01-01,%s,%t,%s\n", i, i%97, last, i%5 != 0, hash)
	}
	return b.String()
}

// BenchmarkImport100k is `pforte users import` of 100,000 rows into an
// empty, migrated database: reading and checking the file, one
// transaction of multi-row INSERTs.
func BenchmarkImport100k(b *testing.B) {
	file := writeFile(b, bigCSV(b, 100_000))
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				dbURL := storetest.SQLiteURL(b)
				if dialect == "postgres" {
					dbURL = storetest.PostgresURL(b)
				}
				if _, _, err := runPforte(b, dbURL, "", "migrate"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				out, errOut, err := runPforte(b, dbURL, "", "users", "import", file)
				if err != nil || !strings.HasPrefix(out, "100000 Konten importiert") {
					b.Fatalf("%v %s %s", err, out, errOut)
				}
			}
			b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// TestCommandLineErrors: a wrong command line is a usage error (exit 2)
// with a message naming the problem, and touches nothing.
func TestCommandLineErrors(t *testing.T) {
	dbURL := storetest.SQLiteURL(t)
	future := time.Now().AddDate(0, 0, 2).Format(time.DateOnly)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"users"}, "users import"},
		{[]string{"users", "frob"}, `unbekannter Befehl "frob"`},
		{[]string{"users", "import"}, "genau eine DATEI"},
		{[]string{"users", "import", "a.csv", "b.csv"}, "genau eine DATEI"},
		{[]string{"users", "purge"}, "--last-login-before DATUM fehlt"},
		{[]string{"users", "purge", "--last-login-before", "2019-13-01"}, "kein Datum"},
		{[]string{"users", "purge", "--last-login-before", "01.01.2019"}, "JJJJ-MM-TT"},
		{[]string{"users", "purge", "--last-login-before", future}, "Zukunft"},
		{[]string{"users", "purge", "--last-login-before", "2019-01-01", "--force"}, "not defined: -force"},
		{[]string{"users", "purge", "--last-login-before", "2019-01-01", "extra"}, "unerwartetes Argument"},
		{[]string{"users", "notify-inactive"}, "--last-login-before DATUM fehlt"},
		{[]string{"users", "notify-inactive", "--last-login-before", "2019-01-01", "--delete-on", "2001-01-01"}, "--delete-on muss in der Zukunft"},
		{[]string{"users", "notify-inactive", "--last-login-before", "2019-01-01", "--delete-on", "bald"}, "kein Datum"},
		{[]string{"passwords"}, "passwords expire"},
		{[]string{"passwords", "renew"}, "passwords expire"},
		{[]string{"passwords", "expire", "--set-before", "gestern"}, "kein Datum"},
		{[]string{"passwords", "expire", "jetzt"}, "unerwartetes Argument"},
		{[]string{"audit", "--since", "letzte Woche"}, "kein Datum"},
		{[]string{"audit", "--account", "niemand"}, "weder eine E-Mail-Adresse"},
		{[]string{"audit", "--limit", "-1"}, "nicht negativ"},
	} {
		_, errOut, err := runPforte(t, dbURL, "", tt.args...)
		var ue usageError
		if !errors.As(err, &ue) || exitCode(err) != 2 || !strings.Contains(err.Error()+errOut, tt.want) {
			t.Errorf("pforte %s: %v (exit %d), stderr %q; want a usage error with %q", strings.Join(tt.args, " "), err, exitCode(err), errOut, tt.want)
		}
	}
	for _, args := range [][]string{{"users", "purge", "-h"}, {"audit", "--help"}, {"passwords", "expire", "-h"}} {
		if _, errOut, err := runPforte(t, dbURL, "", args...); err != nil || !strings.Contains(errOut, "Aufruf: pforte") {
			t.Errorf("pforte %s: %v %q", strings.Join(args, " "), err, errOut)
		}
	}
	if _, err := os.Stat(strings.TrimPrefix(dbURL, "sqlite:")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a usage error created the database: %v", err)
	}
}

// TestAuditCommand: newest first, filtered by account and time, as text
// and as JSON lines.
func TestAuditCommand(t *testing.T) {
	eachPortal(t, nil, func(t *testing.T, p *portal) {
		p.signUp("a@example.de", freshPW)
		p.signUp("b@example.de", freshPW)
		p.login("a@example.de", freshPW)
		log := p.auditLog()
		if len(log) < 5 || log[0].Event != "login-succeeded" || log[0].Email != "a@example.de" {
			t.Fatalf("log: %+v", log)
		}
		for i := 1; i < len(log); i++ {
			if log[i].At.After(log[i-1].At) {
				t.Fatalf("not newest first: %+v", log)
			}
		}
		mine := p.auditLog("--account", "A@Example.de")
		if len(mine) != 3 || mine[2].Event != "registered" {
			t.Fatalf("--account: %+v", mine)
		}
		if len(p.auditLog("--account", fmt.Sprint(mine[0].AccountID))) != 3 {
			t.Fatal("--account by id")
		}
		if len(p.auditLog("--limit", "2")) != 2 {
			t.Fatal("--limit")
		}
		if got := p.auditLog("--since", time.Now().Add(time.Hour).Format(time.RFC3339)); len(got) != 0 {
			t.Fatalf("--since the future: %+v", got)
		}
		if got := p.auditLog("--since", time.Now().Add(-time.Hour).Format(time.RFC3339)); len(got) != len(log) {
			t.Fatalf("--since an hour ago: %d of %d", len(got), len(log))
		}
		text := p.mustCLI("audit", "--account", "b@example.de")
		lines := strings.Split(strings.TrimSpace(text), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "ZEIT") || !strings.Contains(lines[1], "confirmed") ||
			!strings.Contains(lines[2], "registered") || strings.Index(lines[1], "b@example.de") != strings.Index(lines[0], "E-MAIL") {
			t.Fatalf("text:\n%s", text)
		}
		if _, _, err := p.cli("audit", "--account", "niemand@example.de"); err == nil || !strings.Contains(err.Error(), "kein Konto") {
			t.Fatalf("unknown account: %v", err)
		}
	})
}

// TestPasswordsExpireSetBefore expires only what was set before the date.
func TestPasswordsExpireSetBefore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		if _, _, err := runPforte(t, dbURL, "", "migrate"); err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx := context.Background()
		for i, set := range []string{"2018-05-01", "2019-05-01", "2024-05-01"} {
			at, _ := pforte.ParseDate(set)
			a := &pforte.Account{Email: fmt.Sprintf("p%d@example.de", i), PasswordHash: "h", PasswordSetAt: at, CreatedAt: at}
			if err := db.Q().CreateAccount(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		for _, step := range []struct {
			before string
			want   int
		}{{"2019-06-01", 2}, {"2019-06-01", 0}, {"", 1}, {"", 0}} {
			args := []string{"passwords", "expire"}
			if step.before != "" {
				args = append(args, "--set-before", step.before)
			}
			out, errOut, err := runPforte(t, dbURL, "", args...)
			if err != nil || !strings.HasPrefix(out, pforte.GermanCount(step.want, "Passwort", "Passwörter")+" als abgelaufen") {
				t.Fatalf("%v: %v %q %q, want %d", args, err, out, errOut, step.want)
			}
		}
		log, _ := db.Q().AuditLog(ctx, store.AuditFilter{})
		if len(log) != 2 || log[0].Event != pforte.EventPasswordsExpired || !strings.HasPrefix(log[1].Detail, "2 abgelaufen (Passwörter gesetzt vor 2019-06-01") {
			t.Fatalf("audit: %+v", log)
		}
	})
}
