package pforte

import (
	"fmt"
	"unicode/utf8"
)

// LineError is one bad line of a file the operator imports (accounts,
// the business register): the line number and what is wrong with it.
type LineError struct {
	Line int
	Msg  string
}

func (e LineError) Error() string { return fmt.Sprintf("Zeile %d: %s", e.Line, e.Msg) }

// LineErrors is every bad line of a file, in order, so that the operator
// can mend them all in one go. An import with any bad line writes nothing.
type LineErrors []LineError

func (e LineErrors) Error() string {
	if len(e) == 1 {
		return e[0].Error()
	}
	return fmt.Sprintf("%d fehlerhafte Zeilen, die erste: %s", len(e), e[0])
}

// maxQuoted is how much of a bad value an error message repeats.
const maxQuoted = 40

// Quote quotes a value for an error message, at most its first 40
// characters (then "…"): a bad field of megabytes must not come back
// whole in every message.
func Quote(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return fmt.Sprintf("%q", s)
	}
	n := 0
	for i := range s {
		if n == maxQuoted {
			return fmt.Sprintf("%q…", s[:i])
		}
		n++
	}
	return fmt.Sprintf("%q", s)
}
