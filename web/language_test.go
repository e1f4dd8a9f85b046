package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"pforte/locale"
	"pforte/web/console"
)

func testCatalog(t *testing.T) *locale.Catalog {
	t.Helper()
	cat, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// messageRef finds the messages a template names: {{t "ID" …}}, {{th "ID" …}}.
var messageRef = regexp.MustCompile(`\{\{-?\s*(?:t|th)\s+"([^"]+)"|\((?:t|th)\s+"([^"]+)"`)

// idLiteral finds message IDs handlers name as a page's title or notice.
var idLiteral = regexp.MustCompile(`(?:Title|Notice):\s*"([a-z0-9-]+\.[a-z0-9.-]+)"|(?:Title|Notice) = "([a-z0-9-]+\.[a-z0-9.-]+)"`)

// consoleID finds the message IDs the console's handlers name.
var consoleID = regexp.MustCompile(`"(console\.[a-z0-9.-]+)"()`)

// Every message a template or handler names exists in every language.
func TestPagesNameOnlyMessagesThatExist(t *testing.T) {
	cat := testCatalog(t)
	check := func(where string, text []byte, re *regexp.Regexp) int {
		n := 0
		for _, m := range re.FindAllSubmatch(text, -1) {
			id := string(m[1]) + string(m[2])
			n++
			for _, l := range locale.Langs {
				if !cat.Has(l, id) {
					t.Errorf("%s names message %q, which %q lacks", where, id, l)
				}
			}
		}
		return n
	}
	n := 0
	for _, fsys := range []fs.FS{assets, console.Templates} {
		names, _ := fs.Glob(fsys, "templates/*.html")
		for _, name := range names {
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				t.Fatal(err)
			}
			n += check(name, b, messageRef)
		}
	}
	sources, _ := filepath.Glob("*.go")
	for _, name := range sources {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		n += check(name, b, idLiteral)
	}
	// The console names its messages by ID in its own package: titles,
	// the notices of its maps and actions, Host.Text.
	consoleSources, _ := filepath.Glob("console/*.go")
	for _, name := range consoleSources {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		n += check(name, b, consoleID)
	}
	if n < 100 {
		t.Errorf("found only %d message names: is the pattern still right?", n)
	}
}
