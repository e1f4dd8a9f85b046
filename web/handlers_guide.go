package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"pforte/document"
	"pforte/policy"
)

// guideShared are the files every pictured page is drawn from besides its
// own template.
var guideShared = []string{"templates/layout.html", "templates/partials.html", "static/pforte.css", "static/form.js", "static/policy.js"}

// GuidePictureSource is the hash of what the page template is drawn from:
// its template, the layout, the partials, the style sheet, the scripts
// that change how it looks, and the words of the password rules. The guide's picture of a page records it
// (document/pictures/sources.txt); a test compares, so that the guide never
// shows a page that has changed since.
func GuidePictureSource(template string) (string, error) {
	h := sha256.New()
	for _, name := range append([]string{"templates/" + template + ".html"}, guideShared...) {
		b, err := assets.ReadFile(name)
		if err != nil {
			return "", err
		}
		h.Write([]byte(name + "\x00"))
		h.Write(b)
		h.Write([]byte{0})
	}
	// The pages show the policy's rules, worded in package policy.
	h.Write(policy.Default().BrowserJSON())
	return hex.EncodeToString(h.Sum(nil)), nil
}

// handleGuidePage is the illustrated guide as an accessible HTML page:
// the same steps and pictures as the PDF.
func (s *Server) handleGuidePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "anleitung", view{Title: "Schritt-für-Schritt-Anleitung", GermanOnly: true,
			Data: document.GuideSteps(s.baseURL(), s.cfg.SessionIdle)})
	})
}

// handleGuidePicture serves /hilfe/anleitung/ID.png, the picture of a step.
func (s *Server) handleGuidePicture() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := strings.CutSuffix(r.PathValue("picture"), ".png")
		png := document.Picture(id)
		if !ok || png == nil {
			s.handleNotFound().ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", strconv.Itoa(len(png)))
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(png)
	})
}
