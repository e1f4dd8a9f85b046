package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzForm: every posted form passes through form first. Whatever the
// body and its type, no panic, and a form that passes holds only valid
// UTF-8 within maxField.
func FuzzForm(f *testing.F) {
	for _, c := range [][2]string{
		{"application/x-www-form-urlencoded", "email=j%C3%B6rg%40example.de&password=a+b"},
		{"application/x-www-form-urlencoded", "email=%ff&%zz=1;x=2"},
		{"application/x-www-form-urlencoded", "a=" + strings.Repeat("x", maxField+1)},
		{"multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nmax@example.de\r\n--X--\r\n"},
		{"multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nx\r\n--X--\r\n"},
		{"text/plain", "email=x"},
		{"", "email=x&email=y"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, contentType, body string) {
		r := httptest.NewRequest("POST", "/anmelden", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		vals, err := form(r)
		if err != nil {
			if err != badRequest {
				t.Fatalf("error %v", err)
			}
			return
		}
		for k, vs := range vals {
			if !utf8.ValidString(k) {
				t.Fatalf("key %q", k)
			}
			for _, v := range vs {
				if len(v) > maxField || !utf8.ValidString(v) {
					t.Fatalf("value %q", v)
				}
			}
		}
	})
}
