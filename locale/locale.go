// Package locale holds every text a person reads, one catalog per language
// (de first, en second), and picks the language of a request: the link
// ?lang=, then the cookie that remembers it, then Accept-Language.
// Handlers and templates name messages by ID; they never spell them.
package locale

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"pforte"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Lang is a language Pforte speaks, as the two-letter code of
// <html lang>, ?lang=, the cookie and Content-Language.
type Lang string

// The languages, German first: it is the default and the fallback.
const (
	German  Lang = "de"
	English Lang = "en"
)

// Langs lists the languages in the order the switch shows them.
var Langs = []Lang{German, English}

var tags = []language.Tag{language.German, language.English}

var matcher = language.NewMatcher(tags)

// Parse returns the Lang named by s ("de", "en"), or false.
func Parse(s string) (Lang, bool) {
	for _, l := range Langs {
		if string(l) == s {
			return l, true
		}
	}
	return German, false
}

// Match picks the language for an Accept-Language header; German when
// the header asks for neither.
func Match(accept string) Lang {
	prefs, _, err := language.ParseAcceptLanguage(accept)
	if err != nil || len(prefs) == 0 {
		return German
	}
	_, i, conf := matcher.Match(prefs...)
	if conf == language.No {
		return German
	}
	return Langs[i]
}

// Tag is l as a language tag.
func (l Lang) Tag() language.Tag {
	for i, x := range Langs {
		if x == l {
			return tags[i]
		}
	}
	return language.German
}

//go:embed de/*.toml en/*.toml
var files embed.FS

// Catalog is the messages of all languages.
type Catalog struct {
	localizers map[Lang]*i18n.Localizer
	ids        map[Lang]map[string]bool
	// plural marks the messages with plural forms (one, other): T picks
	// the form by the argument N.
	plural map[Lang]map[string]bool
	// byGerman finds a message's ID from its German text, so that the web
	// layer can show a domain error (whose Message is German) in English.
	byGerman map[string]string
	// plain are the messages without plural forms as T writes them
	// without values, worked out once: most texts have none, and
	// go-i18n's lookup on every call was a tenth of rendering a page.
	plain map[Lang]map[string]string
	// filled find a domain error whose German text has values filled in
	// (err.* messages with {{.Name}}), and the values.
	filled []filledMessage
}

// filledMessage is an err.* message with values: its German text as a
// pattern whose groups are named as the values.
type filledMessage struct {
	id      string
	pattern *regexp.Regexp
}

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

// filledPattern turns a German text with {{.Name}} into a pattern that
// matches it with any value there.
func filledPattern(text string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, m := range placeholder.FindAllStringSubmatchIndex(text, -1) {
		b.WriteString(regexp.QuoteMeta(text[last:m[0]]))
		b.WriteString("(?P<" + text[m[2]:m[3]] + ">.+?)")
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(text[last:]) + "$")
	return regexp.Compile(b.String())
}

// Load reads the embedded catalogs.
func Load() (*Catalog, error) { return load(files) }

func load(fsys fs.FS) (*Catalog, error) {
	bundle := i18n.NewBundle(language.German)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{localizers: map[Lang]*i18n.Localizer{}, ids: map[Lang]map[string]bool{}, plural: map[Lang]map[string]bool{}, byGerman: map[string]string{}}
	for _, l := range Langs {
		names, err := fs.Glob(fsys, string(l)+"/*.toml")
		if err != nil {
			return nil, err
		}
		c.ids[l] = map[string]bool{}
		c.plural[l] = map[string]bool{}
		for _, name := range names {
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, err
			}
			// go-i18n reads the language from the file name.
			f, err := bundle.ParseMessageFileBytes(b, strings.TrimSuffix(path.Base(name), ".toml")+"."+string(l)+".toml")
			if err != nil {
				return nil, fmt.Errorf("locale %s: %w", name, err)
			}
			for _, m := range f.Messages {
				if c.ids[l][m.ID] {
					return nil, fmt.Errorf("locale %s: message %q defined twice", name, m.ID)
				}
				c.ids[l][m.ID] = true
				if m.One != "" {
					c.plural[l][m.ID] = true
				}
				if l == German {
					c.byGerman[m.Other] = m.ID
					if strings.HasPrefix(m.ID, "err.") && placeholder.MatchString(m.Other) {
						re, err := filledPattern(m.Other)
						if err != nil {
							return nil, fmt.Errorf("locale %s: %s: %w", name, m.ID, err)
						}
						c.filled = append(c.filled, filledMessage{m.ID, re})
					}
				}
			}
		}
		if l == German {
			if err := c.addCodes(bundle); err != nil {
				return nil, err
			}
		}
		c.localizers[l] = i18n.NewLocalizer(bundle, string(l))
	}
	c.plain = map[Lang]map[string]string{}
	for _, l := range Langs {
		c.plain[l] = map[string]string{}
		for id := range c.ids[l] {
			if c.plural[l][id] {
				continue
			}
			if s, err := c.localizers[l].Localize(&i18n.LocalizeConfig{MessageID: id}); err == nil {
				c.plain[l][id] = s
			}
		}
	}
	return c, nil
}

// addCodes adds the German title and remedy of every error code from the
// one list of codes (pforte.Codes) as code.CODE.title and code.CODE.remedy;
// the English ones are in en/codes.toml.
func (c *Catalog) addCodes(bundle *i18n.Bundle) error {
	for _, info := range pforte.Codes {
		for _, m := range []*i18n.Message{
			{ID: CodeTitle(info.Code), Other: info.Title},
			{ID: CodeRemedy(info.Code), Other: info.Remedy},
		} {
			if c.ids[German][m.ID] {
				return fmt.Errorf("locale: message %q is pforte.Codes' own", m.ID)
			}
			c.ids[German][m.ID] = true
			c.byGerman[m.Other] = m.ID
			if err := bundle.AddMessages(language.German, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// CodeTitle and CodeRemedy name the messages of an error code's title and
// remedy (pforte.CodeInfo).
func CodeTitle(code pforte.Code) string  { return "code." + string(code) + ".title" }
func CodeRemedy(code pforte.Code) string { return "code." + string(code) + ".remedy" }

// Info is pforte.Info(code) with title and remedy in l.
func (c *Catalog) Info(l Lang, code pforte.Code) pforte.CodeInfo {
	info := pforte.Info(code)
	info.Title = c.Must(l, CodeTitle(info.Code))
	info.Remedy = c.Must(l, CodeRemedy(info.Code))
	return info
}

// T returns message id in l, filled with data (pairs of name and value,
// named in the message as {{.Name}}). A message with plural forms ("1
// Versuch", "2 Versuche") takes its form from the value named N. A
// message missing in l is an error, never a silent fall back to the other
// language.
func (c *Catalog) T(l Lang, id string, pairs ...any) (string, error) {
	if !c.ids[l][id] {
		return "", fmt.Errorf("locale: no message %q in %q", id, l)
	}
	if len(pairs) == 0 {
		if s, ok := c.plain[l][id]; ok {
			return s, nil
		}
	}
	if len(pairs)%2 != 0 {
		return "", fmt.Errorf("locale: message %q: odd number of arguments", id)
	}
	var data map[string]any
	if len(pairs) > 0 {
		data = map[string]any{}
		for i := 0; i < len(pairs); i += 2 {
			name, ok := pairs[i].(string)
			if !ok {
				return "", fmt.Errorf("locale: message %q: argument name %v is not a string", id, pairs[i])
			}
			data[name] = pairs[i+1]
		}
	}
	cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if c.plural[l][id] {
		n, ok := data["N"]
		if !ok {
			return "", fmt.Errorf("locale: message %q has plural forms but no N", id)
		}
		cfg.PluralCount = n
	}
	return c.localizers[l].Localize(cfg)
}

// Must is T for texts the code names itself: a missing message is a bug
// the catalog test catches, so it answers with the ID rather than fail.
func (c *Catalog) Must(l Lang, id string, pairs ...any) string {
	s, err := c.T(l, id, pairs...)
	if err != nil {
		return id
	}
	return s
}

// Has tells whether message id exists in l.
func (c *Catalog) Has(l Lang, id string) bool { return c.ids[l][id] }

// IDs lists the IDs of l, sorted.
func (c *Catalog) IDs(l Lang) []string {
	ids := make([]string, 0, len(c.ids[l]))
	for id := range c.ids[l] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Translate shows a German text in l: the text itself in German, its
// message in l if the German catalog holds it — also an err.* message
// with values filled in ("Zu {{.Email}} gibt es kein Konto."), which gets
// the same values in l — else the German text.
func (c *Catalog) Translate(l Lang, german string) string {
	if l == German {
		return german
	}
	if id, ok := c.byGerman[german]; ok {
		return c.Must(l, id)
	}
	for _, f := range c.filled {
		m := f.pattern.FindStringSubmatch(german)
		if m == nil {
			continue
		}
		var pairs []any
		for i, name := range f.pattern.SubexpNames()[1:] {
			pairs = append(pairs, name, m[i+1])
		}
		return c.Must(l, f.id, pairs...)
	}
	return german
}

// Embedded is the catalog of the embedded files, loaded once. The files
// are part of the program, so a broken one is a bug the tests catch: it
// panics.
var Embedded = sync.OnceValue(func() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
})

type ctxKey struct{}

// WithLang returns ctx carrying the language of the request it serves, so
// that a service can write a new account's first mail in it.
func WithLang(ctx context.Context, l Lang) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From is the language ctx carries; German if none.
func From(ctx context.Context) Lang {
	if l, ok := ctx.Value(ctxKey{}).(Lang); ok {
		return l
	}
	return German
}
