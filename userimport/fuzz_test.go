package userimport

import (
	"bytes"
	"strings"
	"testing"

	"pforte"
)

// FuzzRead: the account file comes from the old portal. No panic; either
// errors (each short) or rows that keep the import's promises.
func FuzzRead(f *testing.F) {
	h := "$2b$04$abcdefghijklmnopqrstuuJ8Ta4VSbQbfpbCEy9E2pCUqsuvhwY0K"
	for _, s := range []string{
		"email,created_at,last_login_at,confirmed,legacy_password_hash\nmax@example.de,2015-03-01,2018-12-24T10:00:00+01:00,true," + h + "\n",
		"\uFEFFemail,created_at,last_login_at,confirmed,legacy_password_hash\r\njörg@bäckerei.de,2016-01-01,,ja,\r\n",
		"email,created_at,last_login_at,confirmed,legacy_password_hash\na@example.de,2015-03-01,,true,\nA@example.de,2015-03-01,,true,\n",
		"email,created_at,last_login_at,confirmed,legacy_password_hash\n\"a\"b,2015,,x,$2a$14$\n",
		"email,created_at,last_login_at,confirmed,legacy_password_hash\nx\xff@example.de,2015-03-01,,,\n",
		"max@example.de,2015-03-01,,true,\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := Read(bytes.NewReader(data))
		if err != nil {
			if rows != nil {
				t.Fatal("rows and an error")
			}
			if le, ok := err.(pforte.LineErrors); ok {
				for _, e := range le {
					if len(e.Msg) > 2*maxLine {
						t.Fatalf("line %d: a message of %d bytes", e.Line, len(e.Msg))
					}
				}
			}
			return
		}
		seen := map[string]bool{}
		for _, r := range rows {
			if n, err := pforte.NormalizeEmail(r.Email); err != nil || n != r.Email || seen[n] {
				t.Fatalf("row %d: address %q", r.Line, r.Email)
			}
			seen[r.Email] = true
			if r.CreatedAt.IsZero() || (r.LegacyHash != "" && !strings.HasPrefix(r.LegacyHash, "$2")) {
				t.Fatalf("row %d: %+v", r.Line, r)
			}
		}
	})
}
