package business

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Berlin must work on hosts without a zoneinfo database.
	"unicode"
)

// PINAlphabet holds the symbols of a PIN: digits and capital letters
// without the look-alikes 0/O, 1/I/L, so that a PIN read off paper is
// typed right. 31 symbols.
const PINAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// PINLength is the number of symbols of a PIN: 12 symbols of 31 carry
// about 59 bits, well above the 50 bits that make guessing hopeless even
// without the lockout, and still fit three groups of four on a letter.
const PINLength = 12

// PINBits is the entropy of a PIN in bits.
var PINBits = PINLength * math.Log2(float64(len(PINAlphabet)))

// NewPIN returns a fresh random PIN from crypto/rand. Bytes that would
// favour some symbols (256 is no multiple of 31) are drawn again, so every
// symbol is equally likely.
func NewPIN() string {
	const n = len(PINAlphabet)
	const limit = 256 - 256%n // the largest multiple of n that fits a byte
	pin := make([]byte, 0, PINLength)
	var buf [32]byte
	for len(pin) < PINLength {
		rand.Read(buf[:]) // never fails (crypto/rand since Go 1.24)
		for _, b := range buf {
			if int(b) < limit && len(pin) < PINLength {
				pin = append(pin, PINAlphabet[int(b)%n])
			}
		}
	}
	return string(pin)
}

// NormalizePIN turns what a member typed into the form a PIN is hashed
// in: upper case, without spaces and dashes (the letter prints the PIN in
// groups like 7KQ4-MX2P-9TZA; "7kq4 mx2p 9tza" is the same PIN). It reports
// false unless exactly PINLength symbols of PINAlphabet remain.
func NormalizePIN(s string) (string, bool) {
	if len(s) > 4*PINLength { // junk: no need to look at it
		return "", false
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.Is(unicode.Pd, r): // every kind of dash
			continue
		case 'a' <= r && r <= 'z':
			r -= 'a' - 'A'
		}
		if !strings.ContainsRune(PINAlphabet, r) {
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != PINLength {
		return "", false
	}
	return b.String(), true
}

// hashPIN is the stored form of a normalised PIN of a business. The
// business number salts the hash, so that one table of precomputed hashes
// does not serve every business; with 59 bits per PIN, a lifetime of
// PINTTL and single use, a plain SHA-256 suffices (a slow hash would only
// cost every member time at each attempt).
func hashPIN(number, pin string) string {
	sum := sha256.Sum256([]byte("pforte-pin\x00" + number + "\x00" + pin))
	return hex.EncodeToString(sum[:])
}

// berlin is the time zone of the chamber and of the date on the letter.
var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// expiry returns until when a PIN issued at now with lifetime ttl works:
// to the end of the day (Berlin time) on which ttl runs out, because the
// letter prints only that day and a reader takes "gültig bis zum 31.03."
// to include the 31st. end is the first instant it no longer works;
// lastDay lies on the printed day, in Berlin time.
func expiry(now time.Time, ttl time.Duration) (end, lastDay time.Time) {
	d := now.Add(ttl).In(berlin)
	end = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, berlin)
	return end, end.Add(-time.Second)
}
