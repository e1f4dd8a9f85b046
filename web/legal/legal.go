// Package legal renders the three pages a German public body's portal must
// have (CONTRACT §9): the provider identification (/impressum, § 5 DDG),
// the privacy notice (/datenschutz, DSGVO Art. 13) and the accessibility
// statement (/barrierefreiheit, BITV 2.0 § 7).
//
// The operator writes them as Markdown files in PFORTE_LEGAL_DIR
// (impressum.md, datenschutz.md, barrierefreiheit.md). A missing file is
// replaced by Pforte's sample, filled from the chamber's settings and
// marked as a sample to complete. Markdown is rendered with goldmark
// without raw HTML (it is dropped) and without unsafe links, so a text
// cannot bring script into the page.
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

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Names are the legal pages, as paths and file names (NAME.md).
var Names = []string{"impressum", "datenschutz", "barrierefreiheit"}

// titles are used when a text has no heading of its own.
var titles = map[string]string{
	"impressum":        "Impressum",
	"datenschutz":      "Datenschutzerklärung",
	"barrierefreiheit": "Erklärung zur Barrierefreiheit",
}

// Facts fill the samples: the chamber and what the portal itself knows.
type Facts struct {
	Name, Street, Postcode, City, Phone, Email        string
	Representative, Supervisor, DataProtectionOfficer string
	BaseURL                                           string
	// SessionIdle says after how long without activity members are signed
	// out, in German words.
	SessionIdle string
}

// Page is one rendered legal page.
type Page struct {
	Title string
	HTML  template.HTML
	// Sample is true when the page is Pforte's sample, not the operator's
	// text: the page says so, in a box the operator cannot miss.
	Sample bool
	// Source is the file the text came from, or "" for the sample.
	Source string
}

//go:embed samples/*.md
var samples embed.FS

var md = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Linkify))

// Load reads the operator's texts from dir ("" for none) and renders every
// page once. A file that exists but cannot be read is an error; a missing
// one gives the sample.
func Load(dir string, f Facts) (map[string]Page, error) {
	out := map[string]Page{}
	for _, name := range Names {
		var src []byte
		var source string
		sample := true
		if dir != "" {
			path := filepath.Join(dir, name+".md")
			b, err := os.ReadFile(path)
			switch {
			case err == nil:
				src, source, sample = b, path, false
			case !errors.Is(err, fs.ErrNotExist):
				return nil, fmt.Errorf("PFORTE_LEGAL_DIR: %w", err)
			}
		}
		if sample {
			b, err := fill(name, f)
			if err != nil {
				return nil, err
			}
			src = b
		}
		p, err := render(name, src)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		p.Sample, p.Source = sample, source
		out[name] = p
	}
	return out, nil
}

// render turns Markdown into a page; a first line "# Title" becomes the
// page's title (the layout shows it as the one h1).
func render(name string, src []byte) (Page, error) {
	text := strings.TrimLeft(strings.ReplaceAll(string(src), "\r\n", "\n"), "\ufeff\n ")
	title := titles[name]
	if rest, ok := strings.CutPrefix(text, "# "); ok {
		line, body, _ := strings.Cut(rest, "\n")
		title, text = strings.TrimSpace(strings.TrimRight(line, "#")), body
	}
	var buf bytes.Buffer
	if err := md.Convert([]byte(text), &buf); err != nil {
		return Page{}, err
	}
	return Page{Title: title, HTML: template.HTML(buf.String())}, nil
}

// missing marks a fact the operator has still to give.
func missing(what string) string { return "**[bitte ergänzen: " + what + "]**" }

// fill executes the sample of name with f; empty facts become visible gaps.
func fill(name string, f Facts) ([]byte, error) {
	t, err := texttemplate.New(name+".md").Funcs(texttemplate.FuncMap{
		"or_missing": func(what, v string) string {
			if strings.TrimSpace(v) == "" {
				return missing(what)
			}
			return v
		},
	}).ParseFS(samples, "samples/"+name+".md")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
