package document

import (
	"strings"
	"unicode"
)

// printedHyphens draws the hyphens of German compound words ("E-Mail",
// "Schritt-für-Schritt") as U+00AD, for which the Go fonts have a proper
// short hyphen: their "-" is as wide as a dash and prints "E–Mail".
// On screen, words a reader may copy — numbers, addresses, links — keep
// the plain "-"; on paper (all) every hyphen between letters or digits
// gets the short glyph.
func printedHyphens(line string, all bool) string {
	if !strings.Contains(line, "-") {
		return line
	}
	words := strings.Split(line, " ")
	for i, w := range words {
		core := strings.TrimRightFunc(w, unicode.IsPunct)
		if !all && strings.ContainsAny(core, "/@.:_0123456789") {
			continue
		}
		r := []rune(w)
		for j := 1; j+1 < len(r); j++ {
			if r[j] == '-' && isAlnum(r[j-1]) && isAlnum(r[j+1]) {
				r[j] = '\u00ad'
			}
		}
		words[i] = string(r)
	}
	return strings.Join(words, " ")
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
