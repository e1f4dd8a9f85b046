package business

import (
	"errors"
	"strings"
	"testing"

	"pforte"
)

const header = "number,name,street,postcode,city\n"

func TestParseRegister(t *testing.T) {
	in := "\uFEFF" + header +
		"0815-4711,Bäckerei Größl & Söhne GmbH,Maßbacher Straße 12,97688,Bad Kissingen\n" +
		"\n" + // blank lines are skipped
		" a-1 , \"Zimmerei \"\"Anders\"\", Inh. Müller\",Am Hang 3, 97070 ,Würzburg\n" +
		"4712,\"Elektro\u0308\",Weg 1,97070,Würzburg\n" // decomposed umlaut: kept as NFC
	list, err := ParseRegister(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("got %d businesses: %+v", len(list), list)
	}
	b := list[1]
	if b.Number != "A-1" || b.Name != `Zimmerei "Anders", Inh. Müller` || b.Postcode != "97070" || b.City != "Würzburg" {
		t.Errorf("second row: %+v", b)
	}
	if list[2].Name != "Elektrö" {
		t.Errorf("not NFC: %q", list[2].Name)
	}
}

func TestParseRegisterRefusesBadFiles(t *testing.T) {
	for name, c := range map[string]struct {
		in    string
		lines []int  // the lines reported, for pforte.LineErrors
		msg   string // part of the message
	}{
		"empty":          {in: "", msg: "leer"},
		"blank":          {in: " \n\n", msg: "leer"},
		"header only":    {in: header, msg: "nur die Kopfzeile"},
		"no header":      {in: "0815,Bäckerei,Weg 1,97070,Würzburg\n", lines: []int{1}, msg: "Kopfzeile muss number,name,street,postcode,city lauten"},
		"reordered":      {in: "number,name,postcode,street,city\n1,A,97070,Weg 1,X\n", lines: []int{1}, msg: "Kopfzeile"},
		"missing column": {in: "number,name,street,city\n", lines: []int{1}, msg: "Kopfzeile"},
		"semicolons":     {in: "number;name;street;postcode;city\n", lines: []int{1}, msg: "Semikolon"},
		"latin-1": {in: header + "1,B\xe4ckerei,Weg 1,97070,W\xfcrzburg\n2,Ok,Weg 2,97070,Würzburg\n3,M\xfcller,Weg 3,97070,X\n",
			lines: []int{2, 4}, msg: "UTF-8"},
		"bad rows": {in: header +
			"1,Gut,Weg 1,97070,Würzburg\n" + // 2
			"2,,Weg 2,97070,Würzburg\n" + // 3: name missing
			"3,Drei,Weg 3,97070\n" + // 4: field missing
			"4/5,Vier,Weg 4,97070,Würzburg\n" + // 5: bad number
			"1,Doppelt,Weg 5,97070,Würzburg\n" + // 6: duplicate of line 2
			"6,Sechs,Weg 6,97O7O!,Würzburg\n" + // 7: bad postcode
			"7,\"Sieben\nzwei Zeilen\",Weg 7,97070,Würzburg\n" + // 8–9: newline in the name
			"8,Acht,\"Weg \"8\",97070,Würzburg\n" + // 10: stray quote
			"9,Neun,Weg 9,97070,Würzburg\n", // 11: fine, but the stray quote above swallows it
			lines: []int{3, 4, 5, 6, 7, 8, 10}, msg: "Zeile 3: Name fehlt"},
		"duplicate after normalising": {in: header + "ab-1,A,W,1,X\nAB-1,B,W,1,X\n", lines: []int{3}, msg: "doppelt vor (schon in Zeile 2)"},
		"overlong":                    {in: header + "1," + strings.Repeat("x", 201) + ",W,1,X\n" + strings.Repeat("9", 21) + ",A,W,1,X\n", lines: []int{2, 3}, msg: "länger als 200"},
	} {
		t.Run(name, func(t *testing.T) {
			list, err := ParseRegister(strings.NewReader(c.in))
			if err == nil || list != nil {
				t.Fatalf("accepted: %+v", list)
			}
			var bad pforte.LineErrors
			if errors.As(err, &bad) {
				var lines []int
				var all []string
				for _, e := range bad {
					lines = append(lines, e.Line)
					all = append(all, e.Error())
				}
				if !equalInts(lines, c.lines) {
					t.Errorf("lines %v, want %v:\n%s", lines, c.lines, strings.Join(all, "\n"))
				}
				if !strings.Contains(strings.Join(all, "\n"), c.msg) {
					t.Errorf("messages lack %q:\n%s", c.msg, strings.Join(all, "\n"))
				}
				return
			}
			if c.lines != nil {
				t.Errorf("want errors on lines %v, got %v", c.lines, err)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q lacks %q", err, c.msg)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
