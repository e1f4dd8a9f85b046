package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"pforte/locale"
)

// constantsOf lists the values of the string constants of type typ in the
// domain package (the root of the module), read from its source, so that
// a new constant without a word fails here even if no list names it.
func constantsOf(t *testing.T, typ string) []string {
	t.Helper()
	names, err := filepath.Glob("../*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != typ {
					continue
				}
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						out = append(out, s)
					}
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no constants of type %s found", typ)
	}
	return out
}

// Every audit event and every role of the code has its word in every
// language (the console and the data export show words, not codes), and
// the catalog names no event the code does not have.
func TestEveryEventAndRoleHasWords(t *testing.T) {
	cat := locale.Embedded()
	events := constantsOf(t, "Event")
	known := map[string]bool{}
	for _, e := range events {
		known["event."+e] = true
	}
	for _, l := range locale.Langs {
		for _, e := range events {
			if !cat.Has(l, "event."+e) {
				t.Errorf("%s: event %q has no word (locale/%s/events.toml)", l, e, l)
			}
		}
		for _, id := range cat.IDs(l) {
			if strings.HasPrefix(id, "event.") && !known[id] {
				t.Errorf("%s: %s names no event of the code", l, id)
			}
		}
		for _, r := range constantsOf(t, "Role") {
			if !cat.Has(l, "console.role."+r) {
				t.Errorf("%s: role %q has no word", l, r)
			}
		}
	}
	if len(events) < 60 {
		t.Errorf("only %d events found: is the parser reading account.go?", len(events))
	}
}
