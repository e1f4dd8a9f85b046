package web

import (
	"html/template"
	"strings"

	"pforte"
	"pforte/policy"
)

// fieldOf is the form field an error is about, so that the page can show
// the message beside it as well as in the summary at the top (WCAG 3.3.1).
// Handlers whose form names a field differently set view.ErrorField.
func fieldOf(e *pforte.Error) string {
	switch e.Code {
	case pforte.InvalidEmail:
		return "email"
	case pforte.InvalidCredentials:
		return "password"
	case pforte.Policy:
		if len(e.Rules) == 1 && e.Rules[0] == policy.RuleRepeat {
			return "password_repeat"
		}
		return "password"
	}
	return ""
}

// FieldError is the message for the field name, or "" when the error is
// not about it.
func (v view) FieldError(name string) string {
	if v.Error == nil || v.ErrorField != name {
		return ""
	}
	return v.Error.Message
}

// Field gives an input its error state: aria-invalid and aria-describedby
// naming the field's hint (id NAME-hint, when hint is true) and its error
// message (id NAME-error).
func (v view) Field(name string, hint bool) template.HTMLAttr {
	var ids []string
	if hint {
		ids = append(ids, name+"-hint")
	}
	attrs := ""
	if v.FieldError(name) != "" {
		ids = append(ids, name+"-error")
		attrs = ` aria-invalid="true"`
	}
	if len(ids) > 0 {
		attrs += ` aria-describedby="` + template.HTMLEscapeString(strings.Join(ids, " ")) + `"`
	}
	return template.HTMLAttr(attrs)
}

// Ticks are the rules of the live checklist: every rule a person has to
// think about. Rules nobody breaks by accident (the maximum length,
// invisible characters) are still checked and named when broken, but not
// listed as items to tick.
func (v view) Ticks() []policy.RuleInfo {
	var out []policy.RuleInfo
	for _, r := range v.Rules {
		if r.ID != policy.RuleMaxLength && r.ID != policy.RuleControl {
			out = append(out, r)
		}
	}
	return out
}

// RefusedOnly are the rules the server refused the password for that the
// checklist does not list as items to tick: the previous password
// (reused), which only the server knows, and the rules nobody breaks by
// accident. They appear after such a refusal only, so that the checklist
// says what the error box says.
func (v view) RefusedOnly() []policy.RuleInfo {
	if v.Error == nil || v.Error.Code != pforte.Policy {
		return nil
	}
	ticked := map[string]bool{policy.RuleRepeat: true} // a row of its own
	for _, r := range v.Ticks() {
		ticked[r.ID] = true
	}
	var out []policy.RuleInfo
	for _, id := range v.Error.Rules {
		if !ticked[id] {
			out = append(out, policy.RuleInfo{ID: id, Label: v.RuleLabel(id), Server: id == policy.RuleReused})
		}
	}
	return out
}

// Verdict is the server's judgement of a checklist rule after a refused
// password ("true" met, "false" broken), so that the checklist agrees with
// the error box until the member types again; "" when there is none.
func (v view) Verdict(id string) string {
	if v.Error == nil || v.Error.Code != pforte.Policy {
		return ""
	}
	for _, r := range v.Error.Rules {
		if r == id {
			return "false"
		}
	}
	return "true"
}

// fieldMessage is the error shown beside one field.
type fieldMessage struct{ Name, Message string }

// FieldMessage is the argument of the "fielderror" partial: nil when the
// error is not about the field.
func (v view) FieldMessage(name string) *fieldMessage {
	if m := v.FieldError(name); m != "" {
		return &fieldMessage{name, m}
	}
	return nil
}

// fieldIf is field when err has code, else "" (the usual field of the code).
func fieldIf(err error, code pforte.Code, field string) string {
	if pforte.ErrorCode(err) == code {
		return field
	}
	return ""
}
