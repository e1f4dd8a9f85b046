package pforte

import (
	"strings"
	"unicode/utf8"
)

// ParseStaffRole reads a staff role as given on the command line or in
// the console; ok is false for anything else (member included).
func ParseStaffRole(s string) (Role, bool) {
	r := Role(strings.TrimSpace(s))
	return r, r.Staff()
}

// MaxReason bounds the reason staff give for a deletion or a reset.
const MaxReason = 500

// StaffReason checks the reason staff must give for an action that cannot
// be undone (deleting an account, resetting a second factor): it is
// required, so that the audit log can tell why.
func StaffReason(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", Errorf(BadRequest, "Bitte geben Sie einen Grund an; er wird im Protokoll vermerkt.")
	case utf8.RuneCountInString(s) > MaxReason:
		return "", Errorf(BadRequest, "Der Grund ist zu lang (höchstens %d Zeichen).", MaxReason)
	}
	return s, nil
}
