package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"pforte/document"
	"pforte/locale"
	"pforte/policy"
)

// guideShared are the files every pictured page is drawn from besides its
// own template.
var guideShared = []string{"templates/layout.html", "templates/partials.html", "static/pforte.css", "static/form.js", "static/policy.js"}

// namedMessages finds the messages a template names ({{t "ID"}}, {{th "ID"}}).
var namedMessages = regexp.MustCompile(`\{\{-?\s*th?\s+"([^"]+)"`)

// GuidePictureSource is the hash of what the page template looks like in
// language l: its template, the layout, the partials, the style sheet,
// the scripts that change how it looks, the words of the messages these
// name and of the scripts, and the password rules in l. The guide's
// picture of a page records it (document/pictures/sources.txt); a test
// compares, so that the guide never shows a page that has changed since.
func GuidePictureSource(template string, l locale.Lang) (string, error) {
	cat := locale.Embedded()
	h := sha256.New()
	ids := map[string]bool{}
	for _, name := range append([]string{"templates/" + template + ".html"}, guideShared...) {
		b, err := assets.ReadFile(name)
		if err != nil {
			return "", err
		}
		h.Write([]byte(name + "\x00"))
		h.Write(b)
		h.Write([]byte{0})
		for _, m := range namedMessages.FindAllSubmatch(b, -1) {
			ids[string(m[1])] = true
		}
	}
	for _, id := range cat.IDs(l) {
		if ids[id] || strings.HasPrefix(id, "js.") {
			h.Write([]byte(id + "\x00" + cat.Must(l, id) + "\x00"))
		}
	}
	// The pages show the policy's rules, worded in package policy (German)
	// or the catalog.
	p := policy.Default()
	h.Write(p.BrowserJSONIn(ruleLabels{p, cat, l}.Label))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// handleGuidePage is the illustrated guide as an accessible HTML page:
// the same steps and pictures as the PDF, in the member's language.
func (s *Server) handleGuidePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "anleitung", view{Title: "guide.title",
			Data: document.GuideSteps(langOf(r), s.baseURL(), s.cfg.SessionIdle)})
	})
}

// handleGuidePicture serves /hilfe/anleitung/LANG/ID.png, the picture of a
// step in a language (the address names it, so caches keep both).
func (s *Server) handleGuidePicture() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, known := locale.Parse(r.PathValue("lang"))
		id, ok := strings.CutSuffix(r.PathValue("picture"), ".png")
		png := document.Picture(l, id)
		if !known || !ok || png == nil {
			s.handleNotFound().ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", strconv.Itoa(len(png)))
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(png)
	})
}

// guidePDF is the guide's PDF in one language, rendered once per process.
type guidePDF struct {
	once sync.Once
	pdf  []byte
	err  error
}

// handleGuide serves the step-by-step guide as PDF in the member's
// language (the same choice as every page: ?lang=, cookie,
// Accept-Language), rendered once per process and language from the
// configured policy, so that guide and checks never disagree.
func (s *Server) handleGuide() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := langOf(r)
		g := s.guides[lang]
		g.once.Do(func() {
			var rules []string
			for _, rule := range (ruleLabels{s.cfg.Policy, s.catalog, lang}).Rules() {
				rules = append(rules, rule.Label)
			}
			c := s.cfg.Chamber
			g.pdf, g.err = document.Guide(lang, document.Sender{Name: c.Name, Street: c.Street, Postcode: c.Postcode,
				City: c.City, Email: s.cfg.ContactEmail, Phone: c.Phone, Contact: c.Contact, Web: s.baseURL()}, s.baseURL(), rules, s.cfg.SessionIdle)
		})
		if g.err != nil {
			s.renderError(w, r, g.err)
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Language", string(lang))
		w.Header().Set("Content-Disposition", `inline; filename="anleitung.pdf"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(g.pdf)))
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(g.pdf)
	})
}
