package business

import (
	"strings"
	"testing"
	"time"
)

func TestPINAlphabetHasNoLookAlikes(t *testing.T) {
	if len(PINAlphabet) != 31 {
		t.Errorf("alphabet has %d symbols, want 31", len(PINAlphabet))
	}
	seen := map[rune]bool{}
	for _, r := range PINAlphabet {
		if seen[r] {
			t.Errorf("%q twice", r)
		}
		seen[r] = true
		if !('2' <= r && r <= '9' || 'A' <= r && r <= 'Z') {
			t.Errorf("%q is not a digit 2–9 or a capital letter", r)
		}
	}
	for _, r := range "01OIL" + "oil" {
		if strings.ContainsRune(PINAlphabet, r) {
			t.Errorf("look-alike %q in the alphabet", r)
		}
	}
	if PINBits < 50 {
		t.Errorf("a PIN carries %.1f bits, want at least 50", PINBits)
	}
}

func TestNewPIN(t *testing.T) {
	const n = 31 * 12 * 40 // each symbol about 480 times
	counts := map[rune]int{}
	seen := map[string]bool{}
	for range n / PINLength {
		pin := NewPIN()
		if len(pin) != PINLength {
			t.Fatalf("%q has %d symbols", pin, len(pin))
		}
		if seen[pin] {
			t.Fatalf("%q drawn twice", pin)
		}
		seen[pin] = true
		for _, r := range pin {
			if !strings.ContainsRune(PINAlphabet, r) {
				t.Fatalf("%q holds %q", pin, r)
			}
			counts[r]++
		}
		if p, ok := NormalizePIN(pin); !ok || p != pin {
			t.Fatalf("a fresh PIN %q does not survive normalisation: %q %v", pin, p, ok)
		}
	}
	// Chi-square against the uniform distribution, 30 degrees of freedom:
	// above 59.7 happens by chance once in a thousand runs; a modulo bias
	// of 256%31 would push it far higher.
	want := float64(n) / float64(len(PINAlphabet))
	chi := 0.0
	for _, r := range PINAlphabet {
		d := float64(counts[r]) - want
		chi += d * d / want
	}
	if chi > 59.7 {
		t.Errorf("symbols not uniform: chi² = %.1f, counts %v", chi, counts)
	}
}

func TestNormalizePIN(t *testing.T) {
	for in, want := range map[string]string{
		"7KQ4MX2P9TZA":               "7KQ4MX2P9TZA",
		"7KQ4-MX2P-9TZA":             "7KQ4MX2P9TZA",
		"7kq4-mx2p 9tza":             "7KQ4MX2P9TZA",
		" 7kq4 mx2p 9tza\t":          "7KQ4MX2P9TZA",
		"7KQ4–MX2P—9TZA":             "7KQ4MX2P9TZA", // dashes a word processor makes
		"7KQ4\u00a0MX2P 9TZA":        "7KQ4MX2P9TZA", // no-break space
		"":                           "",
		"7KQ4MX2P9TZ":                "", // too short
		"7KQ4MX2P9TZAB":              "", // too long
		"7KQ4MX2P9TZ0":               "", // 0 is never part of a PIN
		"7KQ4MX2P9TZO":               "",
		"7KQ4MX2P9TZ1":               "",
		"7KQ4MX2P9TZI":               "",
		"7KQ4MX2P9TZl":               "",
		"7KQ4MX2P9TZÄ":               "",
		"7KQ4.MX2P.9TZA":             "",
		strings.Repeat("7KQ4 ", 100): "",
	} {
		got, ok := NormalizePIN(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizePIN(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestExpiryRunsToTheEndOfTheDayInBerlin(t *testing.T) {
	for _, c := range []struct {
		now      string
		ttl      time.Duration
		end, day string
	}{
		// 23:30 UTC in winter is already the next day in Berlin.
		{"2026-01-10T23:30:00Z", 24 * time.Hour, "2026-01-13T00:00:00+01:00", "12.01.2026"},
		{"2026-01-10T10:00:00Z", 90 * 24 * time.Hour, "2026-04-11T00:00:00+02:00", "10.04.2026"},
		// The day the clocks go forward has 23 hours; the end is still midnight.
		{"2026-03-28T12:00:00Z", 24 * time.Hour, "2026-03-30T00:00:00+02:00", "29.03.2026"},
	} {
		now, _ := time.Parse(time.RFC3339, c.now)
		end, last := expiry(now, c.ttl)
		if got := end.Format(time.RFC3339); got != c.end {
			t.Errorf("expiry(%s, %v) ends %s, want %s", c.now, c.ttl, got, c.end)
		}
		if got := last.Format("02.01.2006"); got != c.day {
			t.Errorf("expiry(%s, %v) prints %s, want %s", c.now, c.ttl, got, c.day)
		}
	}
}

func TestHashPINDependsOnTheBusiness(t *testing.T) {
	if hashPIN("1", "7KQ4MX2P9TZA") == hashPIN("2", "7KQ4MX2P9TZA") {
		t.Error("the same PIN hashes alike for two businesses")
	}
	if h := hashPIN("1", "7KQ4MX2P9TZA"); strings.Contains(h, "7KQ4") || len(h) != 64 {
		t.Errorf("hash %q", h)
	}
}

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"anna.beispiel@baeckerei-beispiel.de": "an…@b….de",
		"jo@example.org":                      "j…@e….org",
		"jörg.weiß@bäckerei.de":               "jö…@b….de",
		"kaputt":                              "…",
	} {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}
