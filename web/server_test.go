package web

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/konto": "/konto", "/betrieb/123/": "/betrieb/123/", "/konto?x=1": "/konto?x=1",
		"": "", "konto": "", "//evil.example": "", "/\\evil.example": "", "https://evil.example/": "",
		"javascript:alert(1)": "", "/" + strings.Repeat("a", 600): "",
		"/x/../\\evil.example": "", "/./\\evil.example": "", "/x/..//evil.example": "/evil.example", "/%2F%2Fevil.example": "/evil.example",
		"/a/./b/../c": "/a/c", "/konto\nSet-Cookie:x": "",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormRefusesBadInput(t *testing.T) {
	for name, body := range map[string]string{
		"invalid UTF-8 value": "email=%ff",
		"invalid UTF-8 key":   "%ff=1",
		"overlong field":      "email=" + strings.Repeat("a", maxField+1),
		"bad escape":          "email=%zz",
	} {
		r := httptest.NewRequest("POST", "/anmelden", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if _, err := form(r); err != badRequest {
			t.Errorf("%s: %v", name, err)
		}
	}
	r := httptest.NewRequest("POST", "/anmelden", strings.NewReader("email=j%C3%B6rg%40example.de&password=a+b"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	f, err := form(r)
	if err != nil || f.Get("email") != "jörg@example.de" || f.Get("password") != "a b" || !has(f, "password") || has(f, "password_repeat") {
		t.Fatalf("good form: %v %v", f, err)
	}
}

func TestPagesParse(t *testing.T) {
	p, err := loadPages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"start", "registrieren", "anmelden", "konto", "hilfe", "fehler", "passwort-neu", "passwort-abgelaufen"} {
		if p.byName[name] == nil {
			t.Errorf("page %s missing", name)
		}
	}
}
