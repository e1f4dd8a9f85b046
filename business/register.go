package business

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"pforte"
)

// RegisterHeader is the header row a register file must start with
// (CONTRACT §1), in this order.
var RegisterHeader = []string{"number", "name", "street", "postcode", "city"}

// maxRegisterFile bounds a register file; a chamber's register is a few
// megabytes at most.
const maxRegisterFile = 64 << 20

// Longest values of a register row: enough for any real name or address,
// and a bound on what a letter's window has to show.
const (
	maxName     = 200
	maxStreet   = 200
	maxPostcode = 10
	maxCity     = 100
)

// ParseRegister reads a register file (CSV, UTF-8, header row
// number,name,street,postcode,city) and checks every row before anything
// is written: a bad file yields pforte.LineErrors with every bad line, and no
// businesses. Values are trimmed and put in Unicode NFC, numbers
// normalised (pforte.NormalizeBusinessNumber), so that re-importing the
// same register, whatever the tool that saved it, changes nothing.
func ParseRegister(r io.Reader) ([]pforte.Business, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxRegisterFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxRegisterFile {
		return nil, fmt.Errorf("die Datei ist größer als %d MB", maxRegisterFile>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // the byte order mark spreadsheets write
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("die Datei ist leer; erwartet wird eine Kopfzeile " + strings.Join(RegisterHeader, ",") + " und eine Zeile je Betrieb")
	}
	if bad := invalidUTF8(data); len(bad) > 0 {
		return nil, bad
	}

	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1    // counted below, with a clearer message
	cr.TrimLeadingSpace = true // `1, "Name, mit Komma"` is meant as CSV
	header, err := cr.Read()
	if err != nil {
		return nil, pforte.LineErrors{{Line: 1, Msg: "Kopfzeile nicht lesbar: " + csvReason(err)}}
	}
	if err := checkHeader(header); err != nil {
		line, _ := cr.FieldPos(0)
		return nil, pforte.LineErrors{{Line: line, Msg: err.Error()}}
	}

	var (
		list  []pforte.Business
		bad   pforte.LineErrors
		first = map[string]int{} // number → line it first appeared on
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// No record: FieldPos would panic (found by FuzzParseRegister).
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			bad = append(bad, pforte.LineError{Line: line, Msg: csvReason(err)})
			continue
		}
		line, _ := cr.FieldPos(0)
		b, msg := parseRow(rec)
		if msg != "" {
			bad = append(bad, pforte.LineError{Line: line, Msg: msg})
			continue
		}
		if at, dup := first[b.Number]; dup {
			bad = append(bad, pforte.LineError{Line: line, Msg: fmt.Sprintf("Betriebsnummer %s kommt doppelt vor (schon in Zeile %d)", b.Number, at)})
			continue
		}
		first[b.Number] = line
		list = append(list, b)
	}
	if len(bad) > 0 {
		return nil, bad
	}
	if len(list) == 0 {
		return nil, errors.New("die Datei enthält nur die Kopfzeile, keinen Betrieb")
	}
	return list, nil
}

// invalidUTF8 names every line that is not UTF-8: a register saved as
// Latin-1 or Windows-1252 would otherwise print broken umlauts on letters.
func invalidUTF8(data []byte) pforte.LineErrors {
	var bad pforte.LineErrors
	for i, line := range bytes.Split(data, []byte("\n")) {
		if !utf8.Valid(line) {
			bad = append(bad, pforte.LineError{Line: i + 1, Msg: "kein gültiges UTF-8 (Umlaute?): bitte die Datei als „CSV UTF-8“ speichern"})
		}
	}
	return bad
}

// checkHeader insists on the contract's header row, in its order: a file
// with columns swapped would otherwise put streets into names.
func checkHeader(h []string) error {
	got := make([]string, len(h))
	for i, f := range h {
		got[i] = strings.ToLower(strings.TrimSpace(f))
	}
	if strings.Join(got, ",") == strings.Join(RegisterHeader, ",") {
		return nil
	}
	msg := fmt.Sprintf("die Kopfzeile muss %s lauten, gefunden: %s", strings.Join(RegisterHeader, ","), pforte.Quote(strings.Join(h, ",")))
	if len(h) == 1 && strings.Contains(h[0], ";") {
		msg += " (Trennzeichen ist das Komma, nicht das Semikolon)"
	}
	return errors.New(msg)
}

// csvReason is the German reason for a CSV syntax error.
func csvReason(err error) string {
	switch {
	case errors.Is(err, csv.ErrQuote), errors.Is(err, csv.ErrBareQuote):
		return "Anführungszeichen nicht paarig oder mitten im Feld: Felder mit Komma oder Anführungszeichen gehören ganz in \"…\", innere Anführungszeichen verdoppelt"
	}
	return "kein gültiges CSV: " + err.Error()
}

// parseRow checks one row and returns the business, or what is wrong.
func parseRow(rec []string) (pforte.Business, string) {
	if len(rec) != len(RegisterHeader) {
		return pforte.Business{}, fmt.Sprintf("%d Felder statt %d (%s)", len(rec), len(RegisterHeader), strings.Join(RegisterHeader, ","))
	}
	for i := range rec {
		rec[i] = norm.NFC.String(strings.TrimSpace(rec[i]))
	}
	number, ok := pforte.NormalizeBusinessNumber(rec[0])
	if !ok {
		return pforte.Business{}, fmt.Sprintf("Betriebsnummer %s ist ungültig: 1 bis %d Zeichen aus A–Z, 0–9 und Bindestrich",
			pforte.Quote(rec[0]), pforte.MaxBusinessNumber)
	}
	b := pforte.Business{Number: number, Name: rec[1], Street: rec[2], Postcode: rec[3], City: rec[4]}
	for _, f := range []struct {
		label, value string
		max          int
	}{
		{"Name", b.Name, maxName},
		{"Straße", b.Street, maxStreet},
		{"Postleitzahl", b.Postcode, maxPostcode},
		{"Ort", b.City, maxCity},
	} {
		switch {
		case f.value == "":
			return b, f.label + " fehlt"
		case utf8.RuneCountInString(f.value) > f.max:
			return b, fmt.Sprintf("%s ist länger als %d Zeichen", f.label, f.max)
		case strings.IndexFunc(f.value, unicode.IsControl) >= 0:
			return b, f.label + " enthält einen Zeilenumbruch oder ein Steuerzeichen"
		}
	}
	if strings.IndexFunc(b.Postcode, func(r rune) bool {
		return !(r == ' ' || r == '-' || '0' <= r && r <= '9' || 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z')
	}) >= 0 {
		return b, fmt.Sprintf("Postleitzahl %s enthält andere Zeichen als Ziffern und Buchstaben", pforte.Quote(b.Postcode))
	}
	return b, ""
}
