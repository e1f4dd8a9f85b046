// Package legal renders the three pages a German public body's portal must
// have (CONTRACT §9): the provider identification (/impressum, § 5 DDG),
// the privacy notice (/datenschutz, DSGVO Art. 13) and the accessibility
// statement (/barrierefreiheit, BITV 2.0 § 7), in each language.
//
// The operator writes them as Markdown files in PFORTE_LEGAL_DIR
// (impressum.md, datenschutz.md, barrierefreiheit.md in German, and
// optionally impressum.en.md … in English). A page in English without
// its English file shows the operator's German text, marked as German; a
// page without any text of the operator's is Pforte's sample in the
// language, filled from the chamber's settings and marked as a sample to
// complete. Markdown is rendered with goldmark without raw HTML (it is
// dropped) and without unsafe links, so a text cannot bring script into
// the page.
package legal

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"pforte/locale"
)

// Names are the legal pages, as paths and file names (NAME.md).
var Names = []string{"impressum", "datenschutz", "barrierefreiheit"}

// FileName is the file of page name in l: NAME.md in German, the first
// language, NAME.LANG.md in the others. The operator's files in
// PFORTE_LEGAL_DIR and the samples are named alike.
func FileName(name string, l locale.Lang) string {
	if l == locale.Langs[0] {
		return name + ".md"
	}
	return name + "." + string(l) + ".md"
}

// Facts fill the samples: the chamber and what the portal itself knows.
type Facts struct {
	Name, Street, Postcode, City, Phone, Email        string
	Representative, Supervisor, DataProtectionOfficer string
	BaseURL                                           string
	// SessionIdle is after how long without activity members are signed
	// out (the samples write it in their language).
	SessionIdle time.Duration
}

// Page is one rendered legal page.
type Page struct {
	Title string
	HTML  template.HTML
	// Lang is the language of the text. It differs from the page's
	// (Fallback) when the operator gave the text in German only.
	Lang     locale.Lang
	Fallback bool
	// Sample is true when the page is Pforte's sample, not the operator's
	// text: the page says so, in a box the operator cannot miss.
	Sample bool
	// Source is the file the text came from, or "" for the sample.
	Source string
}

// Pages are the legal pages by language and name.
type Pages map[locale.Lang]map[string]Page

//go:embed samples/*.md
var samples embed.FS

var md = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Linkify))

// Load reads the operator's texts from dir ("" for none) and renders every
// page once in every language. A file that exists but cannot be read is
// an error; a missing one gives the operator's German text (in another
// language) or the sample.
func Load(dir string, f Facts) (Pages, error) {
	out := Pages{}
	for _, l := range locale.Langs {
		out[l] = map[string]Page{}
		for _, name := range Names {
			p, err := load(dir, name, l, f)
			if err != nil {
				return nil, err
			}
			out[l][name] = p
		}
	}
	return out, nil
}

// load finds page name in l: the operator's file in l, else the
// operator's German file, else the sample in l.
func load(dir, name string, l locale.Lang, f Facts) (Page, error) {
	for _, from := range []locale.Lang{l, locale.Langs[0]} {
		if dir == "" {
			break
		}
		path := filepath.Join(dir, FileName(name, from))
		src, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Page{}, fmt.Errorf("PFORTE_LEGAL_DIR: %w", err)
		}
		p, err := render(name, l, src)
		if err != nil {
			return Page{}, fmt.Errorf("%s: %w", path, err)
		}
		p.Lang, p.Fallback, p.Source = from, from != l, path
		if p.Fallback {
			// The page's one h1 is in the page's language.
			p.Title = title(name, l)
		}
		return p, nil
	}
	src, err := fill(name, l, f)
	if err != nil {
		return Page{}, err
	}
	p, err := render(name, l, src)
	if err != nil {
		return Page{}, fmt.Errorf("%s: %w", FileName(name, l), err)
	}
	p.Lang, p.Sample = l, true
	return p, nil
}

// title is the page's title in l when a text has no heading of its own.
func title(name string, l locale.Lang) string {
	return locale.Embedded().Must(l, "legal.title."+name)
}

// render turns Markdown into a page; a first line "# Title" becomes the
// page's title (the layout shows it as the one h1).
func render(name string, l locale.Lang, src []byte) (Page, error) {
	text := strings.TrimLeft(strings.ReplaceAll(string(src), "\r\n", "\n"), "\ufeff\n ")
	t := title(name, l)
	if rest, ok := strings.CutPrefix(text, "# "); ok {
		line, body, _ := strings.Cut(rest, "\n")
		t, text = strings.TrimSpace(strings.TrimRight(line, "#")), body
	}
	var buf bytes.Buffer
	if err := md.Convert([]byte(text), &buf); err != nil {
		return Page{}, err
	}
	return Page{Title: t, HTML: template.HTML(buf.String())}, nil
}

// fill executes the sample of name in l with f; empty facts become
// visible gaps.
func fill(name string, l locale.Lang, f Facts) ([]byte, error) {
	cat := locale.Embedded()
	file := FileName(name, l)
	t, err := texttemplate.New(file).Funcs(texttemplate.FuncMap{
		"or_missing": func(what, v string) string {
			if strings.TrimSpace(v) == "" {
				return "**[" + cat.Must(l, "legal.missing", "What", what) + "]**"
			}
			return v
		},
		"duration": func(d time.Duration) string { return locale.Duration(l, d) },
	}).ParseFS(samples, "samples/"+file)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
