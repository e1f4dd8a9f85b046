package business

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"pforte"
)

// FuzzNormalizePIN: a PIN is typed by anyone signed in. No panic; what is
// accepted is PINLength symbols of the alphabet, its own normal form, and
// the same PIN however the letter's grouping is typed.
func FuzzNormalizePIN(f *testing.F) {
	for _, s := range []string{"7KQ4-MX2P-9TZA", "7kq4 mx2p 9tza", "7KQ4MX2P9TZA", "7KQ4–MX2P—9TZA", "0O1IL", "", "ß", strings.Repeat("-", 60)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := NormalizePIN(s)
		if !ok {
			return
		}
		if len(p) != PINLength || strings.Trim(p, PINAlphabet) != "" {
			t.Fatalf("NormalizePIN(%q) = %q", s, p)
		}
		grouped := strings.ToLower(p[:4] + " - " + p[4:8] + "-" + p[8:])
		if again, ok := NormalizePIN(grouped); !ok || again != p {
			t.Fatalf("NormalizePIN(%q) = %q, but %q gives %q", s, p, grouped, again)
		}
	})
}

// FuzzParseRegister: the register file comes from another system. No
// panic; either errors or businesses whose every field is what the import
// promises: a normalised number, and values within bounds, without
// control characters.
func FuzzParseRegister(f *testing.F) {
	f.Add([]byte(register))
	f.Add([]byte("\uFEFFnumber,name,street,postcode,city\r\n4712,\"Zimmerei \"\"Anders\"\", Inh. Müller\",Am Hang 3,97070,Würzburg\r\n"))
	f.Add([]byte("number;name;street;postcode;city\n"))
	f.Add([]byte("number,name,street,postcode,city\n1,a,b,c\n1,a,b,c,d\n1,a,b,c,d\n"))
	f.Add([]byte("number,name,street,postcode,city\n\"unterminated\n"))
	f.Add([]byte("number,name,street,postcode,city\nA-1,N\xe4me,S,1,C\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := ParseRegister(bytes.NewReader(data))
		if err != nil {
			if list != nil {
				t.Fatal("businesses and an error")
			}
			if len(err.Error()) > 64<<10 {
				t.Fatalf("an error of %d bytes", len(err.Error()))
			}
			return
		}
		for _, b := range list {
			if n, ok := pforte.NormalizeBusinessNumber(b.Number); !ok || n != b.Number {
				t.Fatalf("number %q", b.Number)
			}
			for _, v := range []string{b.Name, b.Street, b.Postcode, b.City} {
				if v == "" || !utf8.ValidString(v) || strings.TrimSpace(v) != v || utf8.RuneCountInString(v) > maxStreet ||
					strings.ContainsAny(v, "\r\n\x00") {
					t.Fatalf("value %q of %+v", v, b)
				}
			}
		}
	})
}
