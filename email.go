package pforte

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxEmailLength is the longest address SMTP can carry (RFC 5321).
const MaxEmailLength = 254

// NormalizeEmail checks that s is one bare e-mail address and returns the
// form accounts are kept under: trimmed, NFC, lower case. Addresses with
// umlauts in the local part (jörg@…) are valid; a domain needs a dot.
func NormalizeEmail(s string) (string, error) {
	bad := &Error{Code: InvalidEmail, Message: "Bitte geben Sie eine gültige E-Mail-Adresse ein, zum Beispiel name@beispiel.de."}
	s = strings.TrimSpace(s)
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxEmailLength {
		return "", bad
	}
	s = strings.ToLower(norm.NFC.String(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", bad
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") || strings.ContainsAny(s, "<>()[],;:\\\"") {
		return "", bad
	}
	return s, nil
}
