package pforte

import (
	"strings"
	"testing"
)

func TestValidSecret(t *testing.T) {
	for range 100 {
		raw, _ := NewSecret()
		if !ValidSecret(raw) {
			t.Fatalf("NewSecret made %q, which ValidSecret refuses", raw)
		}
	}
	raw, _ := NewSecret()
	for _, bad := range []string{"", raw[:42], raw + "A", strings.Repeat("+", 43), raw[:42] + "=", raw[:42] + "B" /* nonzero padding bits */, raw[:42] + "\xff"} {
		if ValidSecret(bad) {
			t.Errorf("ValidSecret(%q) = true", bad)
		}
	}
}

// FuzzValidSecret: link tokens come from anyone's URL. Whatever comes, no
// panic, and what passes is exactly the shape NewSecret makes.
func FuzzValidSecret(f *testing.F) {
	raw, _ := NewSecret()
	for _, s := range []string{raw, "", raw[:42], raw + "=", "%00", strings.Repeat("A", 43), strings.Repeat("_", 43), strings.Repeat("/", 43)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidSecret(s) {
			return
		}
		if len(s) != 43 || strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Fatalf("ValidSecret(%q) = true", s)
		}
		if HashSecret(s) == HashSecret(s+"x") {
			t.Fatal("hash ignores input")
		}
	})
}

// FuzzNormalizeEmail: addresses come from every form and file. No panic;
// what is accepted is its own normal form, short enough, and visible.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"max@example.de", "Jörg@Bäckerei.de", "x@xn--bckerei-5wa.de", "a\u200bb@example.de", "a@b", "<a@b.de>",
		"\"quoted local\"@example.de", "a@example.de.", "a@[127.0.0.1]", "x@straße.de", "x@xn--zz.de", "jo\u0308rg@example.de"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeEmail(s)
		if err != nil {
			if ErrorCode(err) != InvalidEmail {
				t.Fatalf("NormalizeEmail(%q): code %q", s, ErrorCode(err))
			}
			return
		}
		again, err := NormalizeEmail(n)
		if err != nil || again != n {
			t.Fatalf("NormalizeEmail(%q) = %q, which normalises to %q, %v", s, n, again, err)
		}
		if strings.IndexFunc(n, invisible) >= 0 || len([]rune(n)) > MaxEmailLength || strings.Count(n, "@") != 1 {
			t.Fatalf("NormalizeEmail(%q) = %q", s, n)
		}
	})
}
