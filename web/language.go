package web

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"pforte"
	"pforte/locale"
	"pforte/policy"
)

// The page's language (CONTRACT §9): ?lang=de|en chooses and the cookie
// remembers the choice; without one, Accept-Language decides. A member
// who switches while signed in keeps the language for the mails.

const langCookie = "pforte_lang"

// langOf is the language the language middleware chose for r.
func langOf(r *http.Request) locale.Lang { return locale.From(r.Context()) }

// language picks the language of each request and, for ?lang=, remembers it.
func (s *Server) language(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang, chosen := locale.Parse(r.URL.Query().Get("lang"))
		if chosen {
			http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(lang), Path: "/", HttpOnly: true,
				Secure: s.cfg.SecureCookies(), SameSite: http.SameSiteLaxMode, MaxAge: int((365 * 24 * time.Hour).Seconds())})
			if a := s.viewer(r); a != nil {
				s.keepLanguage(r.Context(), a.ID, lang)
			}
		} else if c, err := r.Cookie(langCookie); err == nil {
			lang, chosen = locale.Parse(c.Value)
		}
		if !chosen {
			lang = locale.Match(r.Header.Get("Accept-Language"))
		}
		w.Header().Add("Vary", "Accept-Language, Cookie")
		next.ServeHTTP(w, r.WithContext(locale.WithLang(r.Context(), lang)))
	})
}

// keepLanguage stores lang as the language of the account's mails; a
// failure only costs the mail's language, so it is logged, not shown.
func (s *Server) keepLanguage(ctx context.Context, accountID int64, lang locale.Lang) {
	if err := s.db.SetLanguage(ctx, accountID, string(lang)); err != nil {
		s.log.Error("keep language", "account", accountID, "err", err)
	}
}

// langLink is one entry of the language switch.
type langLink struct {
	Lang    locale.Lang
	Name    string
	URL     string
	Current bool
}

// langNames name each language in itself, as a switch should.
var langNames = map[locale.Lang]string{locale.German: "Deutsch", locale.English: "English"}

func switchLinks(r *http.Request, current locale.Lang) []langLink {
	var out []langLink
	for _, l := range locale.Langs {
		q := url.Values{}
		if r.Method == http.MethodGet {
			q = r.URL.Query()
		}
		q.Set("lang", string(l))
		out = append(out, langLink{Lang: l, Name: langNames[l], URL: (&url.URL{Path: r.URL.Path, RawQuery: q.Encode()}).String(), Current: l == current})
	}
	return out
}

// constantsIn are the pageConstants in lang, like codesIn.
func (s *Server) constantsIn(lang locale.Lang) pageConstants { return inLang(s.constants, lang) }

// inLang is lang's entry of m, else the German one: what is made once per
// language at startup, for a language the catalog may lack.
func inLang[T any](m map[locale.Lang]T, lang locale.Lang) T {
	if v, ok := m[lang]; ok {
		return v
	}
	return m[locale.German]
}

// localize puts v into the page's language lang: the title and notice are
// message IDs (a text that is no ID stays as it is), a domain error's
// German message becomes its message in the language.
func (s *Server) localize(r *http.Request, lang locale.Lang, v *view) {
	v.Switch = switchLinks(r, lang)
	if s.catalog.Has(lang, v.Title) {
		v.Title = s.catalog.Must(lang, v.Title)
	}
	if s.catalog.Has(lang, v.Notice) {
		v.Notice = s.catalog.Must(lang, v.Notice)
	}
	if v.Error != nil {
		e := *v.Error // never change a shared error value
		e.Message = s.catalog.Translate(lang, e.Message)
		v.Error = &e
	}
}

// scriptTextsOf are the js.* messages of each language as JSON for the
// page scripts (encoding/json escapes <, > and &: safe in a script element).
func scriptTextsOf(cat *locale.Catalog) (map[locale.Lang]template.JS, error) {
	out := map[locale.Lang]template.JS{}
	for _, l := range locale.Langs {
		texts := map[string]string{}
		for _, id := range cat.IDs(l) {
			if strings.HasPrefix(id, "js.") {
				texts[id] = cat.Must(l, id)
			}
		}
		b, err := json.Marshal(texts)
		if err != nil {
			return nil, err
		}
		out[l] = template.JS(b)
	}
	return out, nil
}

// codesIn is the one list of codes with titles and remedies in lang,
// shared by every page (read only).
func (s *Server) codesIn(lang locale.Lang) []pforte.CodeInfo { return inLang(s.codes, lang) }

// codesOf translates the one list of codes into lang.
func codesOf(cat *locale.Catalog, lang locale.Lang) []pforte.CodeInfo {
	out := make([]pforte.CodeInfo, len(pforte.Codes))
	for i, c := range pforte.Codes {
		out[i] = cat.Info(lang, c.Code)
	}
	return out
}

// pageRules are the password rules in one language, shared by every page
// (read only): the list with labels and the checklist script's JSON.
type pageRules struct {
	list []policy.RuleInfo
	json template.JS
}

func rulesOf(p policy.Policy, cat *locale.Catalog, lang locale.Lang) pageRules {
	rl := ruleLabels{p, cat, lang}
	return pageRules{list: rl.Rules(), json: template.JS(p.BrowserJSONIn(rl.Label))}
}

// rulesIn is pageRules in lang, like codesIn.
func (s *Server) rulesIn(lang locale.Lang) pageRules { return inLang(s.rules, lang) }

// ruleLabels names the password rules in a language: German from the
// policy itself, other languages from the catalog (rule.ID, with the
// lengths as {{.N}}).
type ruleLabels struct {
	p    policy.Policy
	cat  *locale.Catalog
	lang locale.Lang
}

func (rl ruleLabels) Label(id string) string {
	if rl.lang == locale.German || rl.cat == nil {
		return rl.p.Label(id)
	}
	n := 0
	switch id {
	case policy.RuleMinLength:
		n = rl.p.MinLength
	case policy.RuleMaxLength:
		n = rl.p.MaxLength
	}
	return rl.cat.Must(rl.lang, "rule."+id, "N", n)
}

// Rules are the policy's rules with their labels in the language.
func (rl ruleLabels) Rules() []policy.RuleInfo {
	rules := rl.p.Rules()
	for i := range rules {
		rules[i].Label = rl.Label(rules[i].ID)
	}
	return rules
}
