package pforte

import (
	"strings"
	"time"
)

// Business is one entry of the chamber's register of businesses
// (Handwerksrolle): the number the chamber knows it by and the registered
// address that PIN letters go to. Accounts are linked to businesses; the
// register itself comes only from the operator's import.
type Business struct {
	Number   string
	Name     string
	Street   string
	Postcode string
	City     string

	CreatedAt time.Time
	UpdatedAt time.Time
}

// MaxBusinessNumber is the longest register number Pforte accepts. Real
// numbers are far shorter; the bound keeps junk out of keys and URLs.
const MaxBusinessNumber = 20

// NormalizeBusinessNumber returns the form a register number is kept and
// looked up under: trimmed and upper-case. It reports false for anything
// that cannot be a register number: empty, longer than MaxBusinessNumber,
// or with characters other than A–Z, 0–9 and inner dashes. The number is
// part of URLs (/betrieb/NUMBER/), so slashes, dots and spaces stay out.
func NormalizeBusinessNumber(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" || len(s) > MaxBusinessNumber || s[0] == '-' || s[len(s)-1] == '-' {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || c == '-') {
			return "", false
		}
	}
	return s, true
}
