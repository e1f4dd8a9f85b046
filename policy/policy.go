// Package policy is the password policy of Pforte (contract §3) as one value:
// the same Policy checks a password on the server, lists its rules for the
// checklist in the page and is sent to the browser, so that the live
// checklist and the server can never disagree about what a rule means.
package policy

//go:generate go run ./internal/gencommon -o common-passwords.txt

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Rule ids as the contract names them (§5: data-rule="RULE"). RuleControl is
// ours; RuleReused and RuleRepeat are checked elsewhere (the account knows the
// previous password, the form knows the repetition) but share the labels.
const (
	RuleMinLength = "min-length"
	RuleMaxLength = "max-length"
	RuleUpper     = "upper"
	RuleLower     = "lower"
	RuleDigit     = "digit"
	RuleSpecial   = "special"
	RuleControl   = "control"
	RuleCommon    = "common"
	RuleContext   = "context"
	RuleReused    = "reused"
	RuleRepeat    = "repeat"
)

// MaxLengthLimit bounds MaxLength: longer passwords add no security but let a
// client make the server hash megabytes.
const MaxLengthLimit = 1024

// Policy is the configurable password policy. Other bodies may loosen or
// tighten it; Default is the seed's. The zero value refuses everything
// (MaxLength 0), so start from Default.
type Policy struct {
	// MinLength is the least number of characters, counted as Unicode code
	// points after NFC, so that "Ä" is one character however it was typed.
	MinLength int
	// MaxLength is the most characters accepted. Longer passwords are
	// refused, never trimmed or truncated: what the user typed is what counts.
	MaxLength int
	// Upper, Lower, Digit and Special require at least one character of that
	// class, judged by Unicode category so that German letters count.
	Upper, Lower, Digit, Special bool
	// Common refuses a password found whole in the list shipped with Pforte
	// (ASVS 2.1.7, BSI ORP.4): rule "common".
	Common bool
	// Context refuses a password that contains the account's address or its
	// local part: rule "context".
	Context bool
}

// Default returns the policy of the seed plus the common and context rules
// that ASVS and BSI ask for.
func Default() Policy {
	return Policy{
		MinLength: 12, MaxLength: 128,
		Upper: true, Lower: true, Digit: true, Special: true,
		Common: true, Context: true,
	}
}

// Validate reports a configuration that could never be met or that would
// let a client do harm, so that a bad setting stops the service at start.
func (p Policy) Validate() error {
	var errs []error
	if p.MinLength < 1 {
		errs = append(errs, fmt.Errorf("policy: minimum length %d must be at least 1", p.MinLength))
	}
	if p.MaxLength < p.MinLength {
		errs = append(errs, fmt.Errorf("policy: maximum length %d is below the minimum length %d", p.MaxLength, p.MinLength))
	}
	if p.MaxLength > MaxLengthLimit {
		errs = append(errs, fmt.Errorf("policy: maximum length %d is above %d", p.MaxLength, MaxLengthLimit))
	}
	return errors.Join(errs...)
}

// RuleInfo describes one rule for the checklist, so that pages render the
// rules from the policy instead of repeating them.
type RuleInfo struct {
	// ID is the contract's rule name, as in data-rule.
	ID string `json:"id"`
	// Label is the German text shown in the checklist and the error.
	Label string `json:"label"`
	// Server is true for rules only the server can judge (the list of common
	// passwords is not sent to the browser).
	Server bool `json:"server"`
}

// Rules returns the enabled rules in checklist order, which is also the order
// in which Check names broken rules.
func (p Policy) Rules() []RuleInfo {
	ids := []string{RuleMinLength, RuleMaxLength}
	for _, r := range []struct {
		on bool
		id string
	}{{p.Upper, RuleUpper}, {p.Lower, RuleLower}, {p.Digit, RuleDigit}, {p.Special, RuleSpecial}, {true, RuleControl}, {p.Common, RuleCommon}, {p.Context, RuleContext}} {
		if r.on {
			ids = append(ids, r.id)
		}
	}
	rules := make([]RuleInfo, len(ids))
	for i, id := range ids {
		rules[i] = RuleInfo{ID: id, Label: p.Label(id), Server: id == RuleCommon}
	}
	return rules
}

// Label returns the German text for a rule id, including the rules checked
// outside this package (reused, repeat), so that every message about a
// password comes from one place. An unknown id returns the id itself.
func (p Policy) Label(id string) string {
	switch id {
	case RuleMinLength:
		return fmt.Sprintf("Mindestens %d Zeichen", p.MinLength)
	case RuleMaxLength:
		return fmt.Sprintf("Höchstens %d Zeichen", p.MaxLength)
	case RuleUpper:
		return "Mindestens ein Großbuchstabe (A–Z, Ä, Ö, Ü …)"
	case RuleLower:
		return "Mindestens ein Kleinbuchstabe (a–z, ä, ö, ü, ß …)"
	case RuleDigit:
		return "Mindestens eine Ziffer (0–9)"
	case RuleSpecial:
		return "Mindestens ein Sonderzeichen, z. B. !@#$%^&*()_+-={};:<>/?~ oder ein Leerzeichen"
	case RuleControl:
		return "Keine Steuerzeichen oder unsichtbaren Zeichen (z. B. Tabulator, Zeilenumbruch)"
	case RuleCommon:
		return "Ein eigenes Passwort, das in keiner Liste bekannter Passwörter steht"
	case RuleContext:
		return "Ohne Ihre E-Mail-Adresse und ohne deren Teil vor dem @"
	case RuleReused:
		return "Anders als Ihr bisheriges Passwort"
	case RuleRepeat:
		return "Beide Eingaben stimmen überein"
	}
	return id
}

// Check returns the ids of every rule the password breaks, in Rules order,
// or nil if it meets them all. Naming every broken rule at once spares the
// user a round trip per rule. email may be empty; then the context rule is
// skipped. The password is judged as typed: never trimmed.
func (p Policy) Check(password, email string) []string {
	pw := norm.NFC.String(password)
	n := utf8.RuneCountInString(pw)
	var has [classCount]bool
	// Bytes that are not UTF-8 cannot have been typed; refuse them as control
	// characters rather than guess what they meant.
	has[control] = !utf8.ValidString(password)
	for _, r := range pw {
		has[classOf(r)] = true
	}
	var broken []string
	for _, r := range []struct {
		id     string
		broken bool
	}{
		{RuleMinLength, n < p.MinLength},
		{RuleMaxLength, n > p.MaxLength},
		{RuleUpper, p.Upper && !has[upper]},
		{RuleLower, p.Lower && !has[lower]},
		{RuleDigit, p.Digit && !has[digit]},
		{RuleSpecial, p.Special && !has[special]},
		{RuleControl, has[control]},
		{RuleCommon, p.Common && isCommon(fold(pw))},
		{RuleContext, p.Context && containsContext(fold(pw), email)},
	} {
		if r.broken {
			broken = append(broken, r.id)
		}
	}
	return broken
}

// BrowserJSON is what the page embeds in <script type="application/json"
// id="pforte-policy"> for web/static/policy.js: the lengths and the enabled
// rules, from which the script judges every rule but the server-only ones
// exactly as Check does. encoding/json escapes <, > and &, so the result is
// safe inside a script element.
func (p Policy) BrowserJSON() []byte { return p.BrowserJSONIn(p.Label) }

// BrowserJSONIn is BrowserJSON with the rules' labels from label (the
// page's language).
func (p Policy) BrowserJSONIn(label func(id string) string) []byte {
	rules := p.Rules()
	for i := range rules {
		rules[i].Label = label(rules[i].ID)
	}
	b, err := json.Marshal(struct {
		MinLength int        `json:"minLength"`
		MaxLength int        `json:"maxLength"`
		Rules     []RuleInfo `json:"rules"`
	}{p.MinLength, p.MaxLength, rules})
	if err != nil {
		panic(err) // cannot happen: plain ints and strings
	}
	return b
}

// class is what a character contributes to the class rules.
type class int

const (
	none    class = iota // other letters (Lt, Lm, Lo) and marks: allowed, no class
	upper                // Lu
	lower                // Ll
	digit                // Nd
	special              // every other visible character: P, S, Zs, No, Nl, Co, Cn
	control              // Cc, Cf, Zl, Zp: invisible or layout characters
	classCount
)

// classOf judges a character by Unicode category, the same way policy.js does
// with \p{…}. Letters without case (Arabic, CJK) and combining marks count as
// characters for the length but fulfil no class.
func classOf(r rune) class {
	switch {
	case unicode.IsUpper(r):
		return upper
	case unicode.IsLower(r):
		return lower
	case unicode.IsDigit(r):
		return digit
	case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Cs):
		return control
	case unicode.In(r, unicode.L, unicode.M):
		return none
	}
	return special
}

// fold makes text comparable without regard to case: NFC, then simple
// per-character lower case (policy.js does the same per code point).
func fold(s string) string {
	return strings.ToLower(norm.NFC.String(s))
}

// asciiSpace is the white space HTML strips from an e-mail field; the
// address is trimmed of it alone, exactly as in policy.js.
const asciiSpace = "\t\n\f\r "

// containsContext reports whether the folded password contains the address
// or, if it has at least three characters, its local part: both are the
// first things an attacker who knows the address tries.
func containsContext(folded, email string) bool {
	addr := fold(strings.Trim(email, asciiSpace))
	if addr == "" {
		return false
	}
	if strings.Contains(folded, addr) {
		return true
	}
	at := strings.LastIndex(addr, "@")
	if at < 0 {
		return false
	}
	local := addr[:at]
	return utf8.RuneCountInString(local) >= 3 && strings.Contains(folded, local)
}
