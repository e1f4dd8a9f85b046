package userimport

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"pforte"
)

func legacyHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func TestReadGood(t *testing.T) {
	h := legacyHash(t, "Sommer.Garten-2017")
	h2y := "$2y$" + h[4:]
	file := "\uFEFFEmail, created_at ,last_login_at,confirmed,legacy_password_hash\r\n" +
		"Max.Mustermann@Example.DE,2015-03-01,2018-12-24T10:00:00+01:00,true," + h + "\r\n" +
		"jörg@bäckerei.de,2016-01-01T08:00:00Z,,0,\r\n" +
		"\r\n" + // blank lines are skipped
		"\"anna@example.de\",2017-05-05,2019-01-01,Ja, " + h2y + " \r\n" +
		"otto@example.de,2017-05-05,,nein,\n"
	rows, err := Read(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows", len(rows))
	}
	r := rows[0]
	if r.Line != 2 || r.Email != "max.mustermann@example.de" || !r.Confirmed || r.LegacyHash != h ||
		!r.LastLoginAt.Equal(time.Date(2018, 12, 24, 9, 0, 0, 0, time.UTC)) ||
		!r.CreatedAt.Equal(time.Date(2015, 2, 28, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("row 1: %+v", r)
	}
	if r := rows[1]; r.Line != 3 || r.Email != "jörg@bäckerei.de" || r.Confirmed || r.LegacyHash != "" || !r.LastLoginAt.IsZero() {
		t.Errorf("row 2: %+v", r)
	}
	if r := rows[2]; r.Line != 5 || !r.Confirmed || r.LegacyHash != h2y {
		t.Errorf("row 3: %+v", r)
	}
	now := time.Now()
	a := rows[0].Account(now)
	if a.PasswordHash != "" || !a.PasswordExpired() || !a.PasswordExpiredAt.Equal(now) || a.PreviousHash != h ||
		!a.ConfirmedAt.Equal(a.CreatedAt) || !a.LastLoginAt.Equal(r.LastLoginAt) {
		t.Errorf("account: %+v", a)
	}
	if a := rows[1].Account(now); a.Confirmed() {
		t.Errorf("unconfirmed row became confirmed: %+v", a)
	}
}

// TestReadBad checks that every bad line is reported, with its number,
// and that no rows come back when any line is bad.
func TestReadBad(t *testing.T) {
	h := legacyHash(t, "Sommer.Garten-2017")
	head := strings.Join(Header, ",") + "\n"
	tests := []struct {
		name, file string
		want       []string // each a part of one error, in order
	}{
		{"missing header", "max@example.de,2015-03-01,,true,\n", []string{"Zeile 1: Kopfzeile fehlt"}},
		{"reordered header", "created_at,email,last_login_at,confirmed,legacy_password_hash\nx\n", []string{"erwartet genau email,created_at,last_login_at,confirmed,legacy_password_hash (in dieser Reihenfolge)"}},
		{"short header", "email,created_at\n", []string{"Zeile 1: Kopfzeile"}},
		{"header only", head, []string{"Zeile 1: die Datei enthält nur die Kopfzeile"}},
		{"latin-1 header", "email,cr\xe9ated_at,last_login_at,confirmed,legacy_password_hash\n", []string{"Zeile 1: Kopfzeile ist kein gültiges UTF-8"}},
		{"many bad rows", head +
			"ok@example.de,2015-03-01,,true,\n" + // line 2 fine
			"kein-at,2015-03-01,,true,\n" + // 3
			"a@example.de,01.03.2015,,true,\n" + // 4
			"b@example.de,2015-03-01,gestern,true,\n" + // 5
			"c@example.de,2015-03-01,,vielleicht,\n" + // 6
			"d@example.de,2015-03-01,,true,\"$argon2id$v=19$m=8192,t=1,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5\"\n" + // 7
			"e@example.de,2015-03-01,,true,5f4dcc3b5aa765d61d8327deb882cf99\n" + // 8
			"f@example.de,2015-03-01,,true,$2x$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234\n" + // 9
			"g@example.de,2015-03-01,,true," + h[:40] + "\n" + // 10: cut off
			"OK@Example.de,2016-01-01,,false,\n" + // 11: same as line 2
			"m\xfcller@example.de,2015-03-01,,true,\n" + // 12: Latin-1
			"h@example.de,2015-03-01,,true\n" + // 13: 4 fields
			"i@example.de,,,maybe,\n" + // 14: two problems
			"j@example.de,2015-02-30,,true,\n" + // 15
			"k@example.de,2099-01-01,,t,\n", // 16: in the future
			[]string{"Zeile 3: email", "Zeile 4: created_at", "Zeile 5: last_login_at", "Zeile 6: confirmed",
				"Zeile 7: legacy_password_hash", "Zeile 8: legacy_password_hash", "Zeile 9: legacy_password_hash",
				"Zeile 10: legacy_password_hash", "Zeile 11: die Adresse ok@example.de steht schon in Zeile 2",
				"Zeile 12: kein gültiges UTF-8", "Zeile 13: 4 Felder statt 5", "Zeile 14: created_at fehlt",
				"Zeile 14: confirmed", "Zeile 15: created_at", "Zeile 16: created_at 2099-01-01 liegt in der Zukunft"}},
		{"bad quoting", head + "a@example.de,2015-03-01,,true,\n\"b@example.de,2015-03-01,,true,\n",
			[]string{"Zeile 3: kein gültiges CSV"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := Read(strings.NewReader(tt.file))
			if rows != nil {
				t.Errorf("rows returned despite errors: %+v", rows)
			}
			var errs pforte.LineErrors
			if !errors.As(err, &errs) {
				t.Fatalf("got %v, want Errors", err)
			}
			if len(errs) != len(tt.want) {
				t.Errorf("%d errors, want %d:\n%v", len(errs), len(tt.want), lines(errs))
			}
			for i, w := range tt.want {
				if i < len(errs) && !strings.HasPrefix(errs[i].Error(), w) && !strings.Contains(errs[i].Error(), w) {
					t.Errorf("error %d = %q, want %q", i, errs[i].Error(), w)
				}
			}
		})
	}
}

func lines(errs pforte.LineErrors) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error() + "\n")
	}
	return b.String()
}

func TestReadEmpty(t *testing.T) {
	for _, f := range []string{"", "\n\n"} {
		if _, err := Read(strings.NewReader(f)); !errors.Is(err, ErrEmpty) {
			t.Errorf("Read(%q) = %v, want ErrEmpty", f, err)
		}
	}
}

// repeat is an endless (or n-byte) stream of b.
type repeat struct {
	b byte
	n int
}

func (r *repeat) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := len(p)
	if r.n > 0 {
		k = min(k, r.n)
		r.n -= k
	}
	for i := range p[:k] {
		p[i] = r.b
	}
	return k, nil
}

func TestReadIsBounded(t *testing.T) {
	head := strings.NewReader("email,created_at,last_login_at,confirmed,legacy_password_hash\n")
	// One huge field: refused at its line's bound, named, not repeated.
	_, err := Read(io.MultiReader(head, &repeat{b: 'a', n: 200 << 20}))
	var le pforte.LineErrors
	if !errors.As(err, &le) || le[0].Line != 2 || !strings.Contains(err.Error(), "länger als 4 KB") || len(err.Error()) > 200 {
		t.Fatalf("a 200 MB field: %.300v", err)
	}
	// An endless file stops at the file's bound.
	defer func(old int) { maxFile = old }(maxFile)
	maxFile = 1 << 20
	_, err = Read(io.MultiReader(strings.NewReader("email,created_at,last_login_at,confirmed,legacy_password_hash\n"), &repeat{b: '\n', n: -1}))
	if err == nil || !strings.Contains(err.Error(), "größer als 1 MB") {
		t.Fatalf("an endless file: %v", err)
	}
	// A long value in a bad row is quoted by a short prefix only.
	long := strings.Repeat("x", 1500)
	_, err = Read(strings.NewReader("email,created_at,last_login_at,confirmed,legacy_password_hash\n" + long + "@example.de," + long + ",,true,\n"))
	if !errors.As(err, &le) || len(le) != 2 || len(err.Error()) > 300 || !strings.Contains(le[0].Msg, `"xxxx`) || !strings.Contains(le[0].Msg, "…") {
		t.Fatalf("long values: %.500v", err)
	}
	for _, e := range le {
		if len(e.Msg) > 300 {
			t.Errorf("line %d: message of %d bytes", e.Line, len(e.Msg))
		}
	}
}

// A bcrypt hash above the cost Pforte checks is a bad row: it would make
// every failed login as slow as checking it.
func TestReadRefusesCostlyBcrypt(t *testing.T) {
	h := legacyHash(t, "Sommer2018")
	for cost, ok := range map[string]bool{"10": true, "12": true, "13": false, "14": false, "31": false} {
		file := "email,created_at,last_login_at,confirmed,legacy_password_hash\nalt@example.de,2015-03-01,,true," + h[:4] + cost + h[6:] + "\n"
		_, err := Read(strings.NewReader(file))
		if ok != (err == nil) || (!ok && !strings.Contains(err.Error(), "höchstens 12")) {
			t.Errorf("cost %s: %v", cost, err)
		}
	}
}
