package web

import (
	"testing"

	"pforte"
	"pforte/policy"
)

func TestFieldErrors(t *testing.T) {
	for _, tt := range []struct {
		err   *pforte.Error
		field string
	}{
		{&pforte.Error{Code: pforte.InvalidEmail}, "email"},
		{&pforte.Error{Code: pforte.InvalidCredentials}, "password"},
		{&pforte.Error{Code: pforte.Policy, Rules: []string{policy.RuleMinLength, policy.RuleRepeat}}, "password"},
		{&pforte.Error{Code: pforte.Policy, Rules: []string{policy.RuleRepeat}}, "password_repeat"},
		{&pforte.Error{Code: pforte.Throttled}, ""},
	} {
		if got := fieldOf(tt.err); got != tt.field {
			t.Errorf("fieldOf(%s %v) = %q, want %q", tt.err.Code, tt.err.Rules, got, tt.field)
		}
	}
	v := view{Error: &pforte.Error{Code: pforte.PINInvalid, Message: "Falsch."}, ErrorField: "pin"}
	if got := v.Field("pin", true); got != ` aria-invalid="true" aria-describedby="pin-hint pin-error"` {
		t.Errorf("field with error: %s", got)
	}
	if got := v.Field("business", true); got != ` aria-describedby="business-hint"` {
		t.Errorf("field without error: %s", got)
	}
	if got := v.Field("email", false); got != "" {
		t.Errorf("plain field: %q", got)
	}
	if m := v.FieldMessage("pin"); m == nil || m.Message != "Falsch." || v.FieldMessage("business") != nil {
		t.Errorf("field message: %+v", m)
	}
	// The checklist keeps the server's verdict after a refusal.
	v = view{Error: &pforte.Error{Code: pforte.Policy, Rules: []string{policy.RuleDigit}}}
	if v.Verdict(policy.RuleDigit) != "false" || v.Verdict(policy.RuleUpper) != "true" || (view{}).Verdict(policy.RuleDigit) != "" {
		t.Error("verdict")
	}
	for _, r := range (view{Rules: policy.Default().Rules()}).Ticks() {
		if r.ID == policy.RuleMaxLength || r.ID == policy.RuleControl {
			t.Errorf("rule %s listed to tick", r.ID)
		}
	}
}
