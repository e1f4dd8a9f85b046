package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"pforte"
	"pforte/config"
	"pforte/locale"
	"pforte/policy"
	"pforte/session"
	"pforte/store"
	"pforte/web/console"
)

//go:embed templates static
var assets embed.FS

// pages holds one parsed template per page and language, each with the
// base layout: the template functions speak the page's language.
type pages struct {
	byLang map[locale.Lang]map[string]*template.Template
}

// funcsIn are the template functions in language l: t names a message of
// the catalog (t "ID" "Name" value …), th one that holds markup (links);
// the others write dates, durations and code titles in l.
func funcsIn(cat *locale.Catalog, l locale.Lang) template.FuncMap {
	return template.FuncMap{
		"t": func(id string, pairs ...any) (string, error) { return cat.T(l, id, pairs...) },
		"th": func(id string, pairs ...any) (template.HTML, error) {
			s, err := cat.T(l, id, escapeArgs(pairs)...)
			return template.HTML(s), err // the catalog is ours, like the templates
		},
		"date":     func(t time.Time) string { return locale.DateTime(l, t) },
		"day":      func(t time.Time) string { return locale.Date(l, t) },
		"duration": func(d time.Duration) string { return locale.Duration(l, d) },
		"info":     func(c pforte.Code) pforte.CodeInfo { return cat.Info(l, c) },
		"wait":     func(secs int) string { return locale.Wait(l, secs) },
		"event":    func(e any) string { return wordFor(cat, l, "event.", fmt.Sprint(e)) },
		"role":     func(r any) string { return wordFor(cat, l, "console.role.", fmt.Sprint(r)) },
		"methods": func(m string) string {
			var words []string
			for _, f := range strings.Fields(m) {
				words = append(words, wordFor(cat, l, "method.", f))
			}
			return strings.Join(words, ", ")
		},
		"events": func() []eventWord { return eventWords(cat, l) },
	}
}

// wordFor is the catalog's word for a code (an audit event, a role, a way
// of signing in): message prefix+code in l, or the code itself for one the
// catalog does not know (an event of an older version in the log).
func wordFor(cat *locale.Catalog, l locale.Lang, prefix, code string) string {
	if cat.Has(l, prefix+code) {
		return cat.Must(l, prefix+code)
	}
	return code
}

// eventWord is an audit event with its word, for the console's filter.
type eventWord struct{ Code, Word string }

// eventWords are the events the catalog names (event.*), sorted by word.
func eventWords(cat *locale.Catalog, l locale.Lang) []eventWord {
	var out []eventWord
	for _, id := range cat.IDs(l) {
		if code, ok := strings.CutPrefix(id, "event."); ok {
			out = append(out, eventWord{code, cat.Must(l, id)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Word < out[j].Word })
	return out
}

// escapeArgs escapes the text values given to a message with markup: they
// may be what a person typed (an email address).
func escapeArgs(pairs []any) []any {
	out := make([]any, len(pairs))
	for i, v := range pairs {
		if s, ok := v.(string); ok && i%2 == 1 {
			v = template.HTMLEscapeString(s)
		}
		out[i] = v
	}
	return out
}

// loadPages parses the pages in every language and writes the texts of
// the messages with constant arguments, and the page constants, into them
// (foldMessages).
func loadPages(cat *locale.Catalog, constants map[locale.Lang]pageConstants) (*pages, error) {
	p, err := parsePages(cat)
	if err != nil {
		return nil, err
	}
	for l, byName := range p.byLang {
		for name, t := range byName {
			if err := foldMessages(t, cat, l, constants[l]); err != nil {
				return nil, fmt.Errorf("template %s: %w", name, err)
			}
		}
	}
	return p, nil
}

// parsePages parses the pages in every language, as they are written.
func parsePages(cat *locale.Catalog) (*pages, error) {
	p := &pages{byLang: map[locale.Lang]map[string]*template.Template{}}
	for _, l := range locale.Langs {
		byName := map[string]*template.Template{}
		if err := loadPagesIn(byName, funcsIn(cat, l)); err != nil {
			return nil, err
		}
		p.byLang[l] = byName
	}
	return p, nil
}

func loadPagesIn(byName map[string]*template.Template, funcs template.FuncMap) error {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return err
	}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if base == "layout" || base == "partials" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/partials.html", name)
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		byName[base] = t
	}
	return loadConsolePages(byName, funcs)
}

// loadConsolePages parses each page of the staff console with the layout,
// the partials and the console's own partials, as "verwaltung/NAME".
func loadConsolePages(byName map[string]*template.Template, funcs template.FuncMap) error {
	names, err := fs.Glob(console.Templates, "templates/*.html")
	if err != nil {
		return err
	}
	shared, err := fs.Glob(console.Templates, "templates/_*.html")
	if err != nil {
		return err
	}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if strings.HasPrefix(base, "_") {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).Funcs(console.Funcs).ParseFS(assets, "templates/layout.html", "templates/partials.html")
		if err == nil {
			t, err = t.ParseFS(console.Templates, append(shared, name)...)
		}
		if err != nil {
			return fmt.Errorf("console template %s: %w", name, err)
		}
		byName["verwaltung/"+base] = t
	}
	return nil
}

// view is what every page template gets.
type view struct {
	Title   string
	Account *pforte.Account
	Error   *pforte.Error
	Notice  string
	Form    map[string]string
	Data    any

	// ErrorField is the form field Error belongs to ("" for the form as a
	// whole); renderForm finds it from the code unless the handler says.
	ErrorField string

	pageConstants
	IdleSeconds int
	Idle        time.Duration
	Rules       []policy.RuleInfo
	PolicyJSON  template.JS
	Codes       []pforte.CodeInfo
	Policy      policy.Policy
	// Passkeys tells the pages whether to offer passkeys.
	Passkeys bool
	// Wide widens the page for tables (the staff console).
	Wide bool

	rules ruleLabels

	// Switch are the links of the language switch.
	Switch []langLink
}

// pageConstants are the parts of a page that are the same on every page
// of one language (Server.constants): render sets them all at once, and
// foldMessages writes them into the templates where the view names them.
type pageConstants struct {
	// Lang is the page's language (<html lang>).
	Lang    locale.Lang
	Contact string
	Chamber string
	Site    config.Chamber
	BaseURL string
	// ScriptTexts are the texts of the page scripts, as JSON.
	ScriptTexts template.JS
}

// pageConstantsOf are the pageConstants of each language.
func pageConstantsOf(cfg config.Config, scriptTexts map[locale.Lang]template.JS) map[locale.Lang]pageConstants {
	out := map[locale.Lang]pageConstants{}
	for _, l := range locale.Langs {
		out[l] = pageConstants{Lang: l, Contact: cfg.ContactEmail, Chamber: cfg.Chamber.Name, Site: cfg.Chamber,
			BaseURL: cfg.BaseURL.String(), ScriptTexts: scriptTexts[l]}
	}
	return out
}

// ErrorInfo is the code's entry in the one list of codes.
func (v view) ErrorInfo() pforte.CodeInfo { return pforte.Info(v.Error.Code) }

// RuleLabel names a broken rule for the error box.
func (v view) RuleLabel(id string) string { return v.rules.Label(id) }

// viewer is the signed-in account of r: from requireSession, or — on
// public pages such as /hilfe and the error pages — from a live session
// cookie, so that a member is never shown as signed out while signed in.
func (s *Server) viewer(r *http.Request) *pforte.Account {
	if a := authOf(r); a != nil {
		return a.Account
	}
	id := s.sessionID(r)
	if id == "" {
		return nil
	}
	acct, _, status, err := s.sessions.Check(r.Context(), id)
	if err != nil || status != session.Valid {
		return nil
	}
	return acct
}

// render writes page name with status.
// renderBuffers hold pages while they are rendered (a page is sent only
// once it rendered without error), reused instead of grown anew each time.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	lang := langOf(r)
	t, ok := s.pages.byLang[lang][name]
	if !ok {
		s.log.Error("unknown page", "page", name)
		s.internalError(w, lang)
		return
	}
	v.pageConstants = s.constantsIn(lang)
	v.Idle = s.cfg.SessionIdle
	v.Policy = s.cfg.Policy
	v.rules = ruleLabels{s.cfg.Policy, s.catalog, lang}
	rules := s.rulesIn(lang)
	v.Rules, v.PolicyJSON = rules.list, rules.json
	v.Codes = s.codesIn(lang)
	s.localize(r, lang, &v)
	v.Passkeys = s.passkeysOn()
	if v.Account == nil && (v.Error == nil || v.Error.Code != pforte.Unavailable) {
		// Not while the database is away: the page would wait for it again.
		v.Account = s.viewer(r)
	}
	if v.Account != nil {
		v.IdleSeconds = int(s.cfg.SessionIdle.Seconds())
	}
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 { // an odd huge page does not stay in the pool
			buf.Reset()
			renderBuffers.Put(buf)
		}
	}()
	if err := t.Execute(buf, v); err != nil {
		s.log.Error("render", "page", name, "err", err)
		s.internalError(w, lang)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", string(lang))
	// The whole page is here: its length goes ahead, and it leaves in one
	// piece rather than in chunks.
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	if v.Error != nil && v.Error.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(v.Error.RetryAfter))
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// internalError is the last resort when a page cannot be rendered: the
// code's title in plain text, in the page's language.
func (s *Server) internalError(w http.ResponseWriter, lang locale.Lang) {
	w.Header().Set("Content-Language", string(lang))
	http.Error(w, s.catalog.Must(lang, locale.CodeTitle(pforte.Internal)), http.StatusInternalServerError)
}

// userError turns err into the error the user sees: an *pforte.Error as
// it is, a database that cannot be reached as unavailable (503, try again
// shortly), anything else as internal (and a log line for the operator).
func (s *Server) userError(r *http.Request, err error) *pforte.Error {
	var e *pforte.Error
	if errors.As(err, &e) {
		return e
	}
	if store.Unavailable(err) {
		// The request's deadline (PFORTE_REQUEST_TIMEOUT) may also have
		// run out waiting for something else, e.g. a free hashing slot
		// during a flood of logins: the log says which.
		msg := "database unavailable"
		if errors.Is(err, context.DeadlineExceeded) {
			msg = "request deadline passed (PFORTE_REQUEST_TIMEOUT): database or hashing slots busy"
		}
		s.log.Error(msg, "route", r.Pattern, "err", err)
		return &pforte.Error{Code: pforte.Unavailable, Message: pforte.Info(pforte.Unavailable).Remedy,
			RetryAfter: pforte.UnavailableRetry}
	}
	s.log.Error("internal error", "route", r.Pattern, "err", err)
	return &pforte.Error{Code: pforte.Internal, Message: pforte.Info(pforte.Internal).Remedy}
}

// renderForm shows page name again with err, the status of err's code and
// the form's values (never passwords).
func (s *Server) renderForm(w http.ResponseWriter, r *http.Request, name string, err error, v view) {
	v.Error = s.userError(r, err)
	if v.ErrorField == "" {
		v.ErrorField = fieldOf(v.Error)
	}
	s.render(w, r, pforte.Info(v.Error.Code).Status, name, v)
}

// renderError shows the error page for err.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.userError(r, err)
	s.renderForm(w, r, "fehler", e, view{Title: locale.CodeTitle(e.Code)})
}

var badRequest = &pforte.Error{Code: pforte.BadRequest,
	Message: "Die Anfrage war fehlerhaft oder zu groß."}

// maxField bounds every form value; passwords are far shorter.
const maxField = 4096

// form parses the posted form and checks it: the body within maxBody,
// every value valid UTF-8 and at most maxField bytes.
func form(r *http.Request) (url.Values, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(maxBody); err != nil {
			return nil, badRequest
		}
		if r.MultipartForm != nil && len(r.MultipartForm.File) > 0 {
			return nil, badRequest // no form of ours uploads files
		}
	} else if err := r.ParseForm(); err != nil {
		return nil, badRequest
	}
	for k, vs := range r.PostForm {
		if !utf8.ValidString(k) {
			return nil, badRequest
		}
		for _, v := range vs {
			if len(v) > maxField || !utf8.ValidString(v) {
				return nil, badRequest
			}
		}
	}
	return r.PostForm, nil
}

// posted decodes and checks the posted form (see form) before h runs;
// a bad form is answered with bad-request and h never sees it.
func (s *Server) posted(h func(w http.ResponseWriter, r *http.Request, f url.Values)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := form(r)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		h(w, r, f)
	})
}

// has tells whether the form carried field at all (password_repeat is
// optional in the contract).
func has(f url.Values, field string) bool {
	_, ok := f[field]
	return ok
}
