// Package userimport reads the accounts that a chamber brings along from
// its old portal: a CSV file with the header of CONTRACT §1,
//
//	email,created_at,last_login_at,confirmed,legacy_password_hash
//
// Every row is checked before anything is written, and every bad row is
// reported with its line number, so that an operator fixes the file once
// and not one error per run. Imported accounts carry no usable password:
// the old one is expired, and its bcrypt hash, if given, is kept only to
// refuse its re-use.
package userimport

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"pforte"
	"pforte/password"
)

// Header is the header row the file must start with, columns in this order.
var Header = []string{"email", "created_at", "last_login_at", "confirmed", "legacy_password_hash"}

// Row is one checked account of the file.
type Row struct {
	Line        int // line of the file where the row starts
	Email       string
	CreatedAt   time.Time
	LastLoginAt time.Time // zero: never logged in
	Confirmed   bool
	LegacyHash  string // a bcrypt hash, or ""
}

// Account is the account that row becomes, imported at now: its password
// expired at now and its legacy hash kept as the previous one.
func (r Row) Account(now time.Time) pforte.Account {
	a := pforte.Account{
		Email:             r.Email,
		Role:              pforte.RoleMember,
		PasswordExpiredAt: now,
		PreviousHash:      r.LegacyHash,
		CreatedAt:         r.CreatedAt,
		LastLoginAt:       r.LastLoginAt,
	}
	if r.Confirmed {
		// The old system knew when, we do not: the creation is the best guess.
		a.ConfirmedAt = r.CreatedAt
	}
	return a
}

// ErrEmpty is returned for a file without a single line.
var ErrEmpty = errors.New("die Datei ist leer: erwartet eine Kopfzeile " + strings.Join(Header, ",") + " und eine Zeile je Konto")

// Read reads and checks a whole file. It returns all rows, or pforte.LineErrors
// listing every bad line (or ErrEmpty, or a read error); never a part.
func Read(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(&bounded{r: r, line: 1})
	cr.FieldsPerRecord = -1 // counted below, to report each line
	cr.ReuseRecord = true
	var (
		errs  pforte.LineErrors
		rows  []Row
		lines = map[string]int{} // normalised address → line of its first row
	)
	header := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			errs = append(errs, pforte.LineError{Line: pe.StartLine, Msg: "kein gültiges CSV: " + pe.Err.Error()})
			if header {
				return nil, errs
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if header {
			header = false
			if err := checkHeader(rec); err != nil {
				return nil, pforte.LineErrors{{Line: line, Msg: err.Error()}}
			}
			continue
		}
		row, problems := parseRow(rec)
		row.Line = line
		if row.Email != "" {
			if first, dup := lines[row.Email]; dup {
				problems = append(problems, fmt.Sprintf("die Adresse %s steht schon in Zeile %d", row.Email, first))
			} else {
				lines[row.Email] = line
			}
		}
		for _, p := range problems {
			errs = append(errs, pforte.LineError{Line: line, Msg: p})
		}
		if len(problems) == 0 {
			rows = append(rows, row)
		}
	}
	switch {
	case header:
		return nil, ErrEmpty
	case len(errs) > 0:
		return nil, errs
	case len(rows) == 0:
		return nil, pforte.LineErrors{{Line: 1, Msg: "die Datei enthält nur die Kopfzeile, kein Konto"}}
	}
	return rows, nil
}

// checkHeader accepts exactly Header (any case, spaces around names and a
// byte order mark from spreadsheet programs are fine).
func checkHeader(rec []string) error {
	want := strings.Join(Header, ",")
	if !validUTF8(rec) {
		return fmt.Errorf("Kopfzeile ist kein gültiges UTF-8; erwartet %s", want)
	}
	got := make([]string, len(rec))
	for i, f := range rec {
		got[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(f, "\uFEFF")))
	}
	if strings.Join(got, ",") == want {
		return nil
	}
	if len(got) > 0 && strings.Contains(got[0], "@") {
		return fmt.Errorf("Kopfzeile fehlt: die erste Zeile muss %s lauten", want)
	}
	return fmt.Errorf("Kopfzeile %s falsch: erwartet genau %s (in dieser Reihenfolge)", pforte.Quote(strings.Join(got, ",")), want)
}

func validUTF8(rec []string) bool {
	for _, f := range rec {
		if !utf8.ValidString(f) {
			return false
		}
	}
	return true
}

// parseRow checks one data row and lists everything wrong with it.
func parseRow(rec []string) (Row, []string) {
	var r Row
	if len(rec) != len(Header) {
		return r, []string{fmt.Sprintf("%d Felder statt %d (%s)", len(rec), len(Header), strings.Join(Header, ","))}
	}
	if !validUTF8(rec) {
		return r, []string{"kein gültiges UTF-8 (die Datei muss UTF-8-kodiert sein)"}
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	f := func(i int) string { return strings.TrimSpace(rec[i]) }

	if email, err := pforte.NormalizeEmail(f(0)); err != nil {
		bad("email: %s ist keine gültige E-Mail-Adresse", pforte.Quote(f(0)))
	} else {
		r.Email = email
	}
	if f(1) == "" {
		bad("created_at fehlt")
	} else if t, err := pforte.ParseDate(f(1)); err != nil {
		bad("created_at: %v", err)
	} else {
		r.CreatedAt = t
	}
	if f(2) != "" {
		if t, err := pforte.ParseDate(f(2)); err != nil {
			bad("last_login_at: %v", err)
		} else {
			r.LastLoginAt = t
		}
	}
	switch strings.ToLower(f(3)) {
	case "true", "t", "1", "ja", "j", "yes", "y":
		r.Confirmed = true
	case "false", "f", "0", "nein", "n", "no", "":
		// Empty: not known to be confirmed. It does not matter much: an
		// imported account proves its address with the reset mail anyway.
	default:
		bad("confirmed: %s, erwartet true oder false (auch t/f, 1/0, ja/nein)", pforte.Quote(f(3)))
	}
	// A date in the future is a broken export: such an account would
	// never count as inactive.
	if limit := time.Now().Add(24 * time.Hour); r.CreatedAt.After(limit) {
		bad("created_at %s liegt in der Zukunft", f(1))
	} else if r.LastLoginAt.After(limit) {
		bad("last_login_at %s liegt in der Zukunft", f(2))
	}
	if h := f(4); h != "" {
		if err := checkLegacy(h); err != nil {
			bad("legacy_password_hash: %v", err)
		} else {
			r.LegacyHash = h
		}
	}
	return r, problems
}

// checkLegacy accepts a well-formed bcrypt hash only: the one legacy format
// Pforte can check a password against. Anything else would never match,
// so the re-use check would silently not work.
func checkLegacy(h string) error {
	const bcryptLen = 60 // "$2b$" + 2 cost digits + "$" + 53 characters of salt and hash
	if err := password.CheckLegacy(h); err != nil || len(h) != bcryptLen ||
		strings.Trim(h[7:], "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != "" {
		return errors.New("kein bcrypt-Hash ($2a$, $2b$ oder $2y$, 60 Zeichen); andere Formate kann Pforte nicht prüfen")
	}
	// Every failed login pays for a check at the highest cost in use, so
	// one costly hash would slow down every failed login.
	if c := password.LegacyCost(h); c > password.MaxLegacyCost {
		return fmt.Errorf("bcrypt-Kosten %d sind zu hoch (höchstens %d): jede fehlgeschlagene Anmeldung würde sonst so lange dauern; bitte die Zeile ohne Hash importieren", c, password.MaxLegacyCost)
	}
	return nil
}

// Bounds of an account file: a chamber's accounts are a few megabytes (a
// row is well under 200 bytes; 100,000 accounts are about 12 MB), and no
// row comes near maxLine. Reading stops at once at either bound, so a
// broken or hostile file costs neither time nor memory.
var maxFile = 256 << 20 // a variable for the test only

const maxLine = 4 << 10

// bounded passes a file through to the CSV reader and fails as soon as it
// is longer than maxFile or one of its lines longer than maxLine.
type bounded struct {
	r          io.Reader
	total, len int
	line       int // the line being read
}

func (b *bounded) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	for i, c := range p[:n] {
		b.total++
		if b.total > maxFile {
			return i, fmt.Errorf("die Datei ist größer als %d MB", maxFile>>20)
		}
		if c == '\n' {
			b.line++
			b.len = 0
			continue
		}
		if b.len++; b.len > maxLine {
			return i, pforte.LineErrors{{Line: b.line, Msg: fmt.Sprintf("die Zeile ist länger als %d KB: keine Kontenliste", maxLine>>10)}}
		}
	}
	return n, err
}
