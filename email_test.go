package pforte

import (
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	good := map[string]string{
		"Max.Mustermann@Example.DE": "max.mustermann@example.de",
		"  jörg@bäckerei.de ":       "jörg@bäckerei.de",
		"jo\u0308rg@example.de":     "jörg@example.de", // NFD becomes NFC
		"a+tag@sub.example.co.uk":   "a+tag@sub.example.co.uk",
		// One address, one account: the domain in its Unicode form.
		"x@xn--bckerei-5wa.de": "x@bäckerei.de",
		"x@XN--BCKEREI-5WA.DE": "x@bäckerei.de",
		"x@BÄCKEREI.de":        "x@bäckerei.de",
		"x@straße.de":          "x@straße.de",
	}
	for in, want := range good {
		got, err := NormalizeEmail(in)
		if err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{"", "nobody", "@example.de", "a@b", "a@example..de", "Max <max@example.de>", "a@example.de, b@example.de",
		"<script>@x.de", "a@.example.de", "a\xffb@example.de", strings.Repeat("a", 250) + "@example.de", "x'; DROP TABLE accounts;--@x.de",
		// Invisible characters would make two addresses look alike.
		"ma\u200bx@example.de", "max@exa\u200dmple.de", "max\u2060@example.de", "\ufeffmax@example.de", "max@example.de\u200b",
		"ma\u00adx@example.de", "max\ufe0f@example.de", "ma\u3164x@example.de", "ma\u034fx@example.de", "m\u00a0ax@example.de",
		"max@xn--zz.de", "max@-example.de"}
	for _, in := range bad {
		if _, err := NormalizeEmail(in); ErrorCode(err) != InvalidEmail {
			t.Errorf("NormalizeEmail(%q) accepted or wrong code: %v", in, err)
		}
	}
}
