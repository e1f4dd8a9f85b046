package pforte

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// MaxEmailLength is the longest address SMTP can carry (RFC 5321).
const MaxEmailLength = 254

// NormalizeEmail checks that s is one bare e-mail address and returns the
// form accounts are kept under: trimmed, NFC, lower case, the domain in
// its Unicode form (IDNA, UTS #46), so that x@bäckerei.de and
// x@xn--bckerei-5wa.de are one address and one account. Addresses with
// umlauts in the local part (jörg@…) are valid; a domain needs a dot.
// Invisible characters (zero-width spaces and joiners, other format
// characters, fillers, variation selectors) are refused: they would make
// two addresses look like one.
func NormalizeEmail(s string) (string, error) {
	bad := &Error{Code: InvalidEmail, Message: "Bitte geben Sie eine gültige E-Mail-Adresse ein, zum Beispiel name@beispiel.de."}
	s = strings.TrimSpace(s)
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxEmailLength || strings.IndexFunc(s, invisible) >= 0 {
		return "", bad
	}
	s = strings.ToLower(norm.NFC.String(s))
	local, domain, ok := strings.Cut(s, "@")
	if !ok {
		return "", bad
	}
	domain, err := idna.Lookup.ToUnicode(domain)
	if err != nil {
		return "", bad
	}
	s = local + "@" + strings.ToLower(norm.NFC.String(domain))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || utf8.RuneCountInString(s) > MaxEmailLength {
		return "", bad
	}
	if local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") || strings.ContainsAny(s, "<>()[],;:\\\"") {
		return "", bad
	}
	return s, nil
}

// invisible reports whether r shows nothing, or nothing of its own.
func invisible(r rune) bool {
	return !unicode.IsGraphic(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Variation_Selector, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}
