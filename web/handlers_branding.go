package web

import (
	"net/http"
	"strconv"
)

// handleChamberCSS serves the chamber's colour (PFORTE_CHAMBER_COLOUR) as a
// style sheet: the Content-Security-Policy allows no inline styles.
func (s *Server) handleChamberCSS() http.Handler {
	css := []byte(":root { --accent: " + s.cfg.Chamber.Colour + "; }\n")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(css)
	})
}

// handleLogo serves the chamber's logo (PFORTE_LOGO), 404 without one.
func (s *Server) handleLogo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := s.cfg.Chamber
		if len(c.Logo) == 0 {
			s.handleNotFound().ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", c.LogoType)
		w.Header().Set("Content-Length", strconv.Itoa(len(c.Logo)))
		w.Header().Set("Cache-Control", "public, max-age=3600")
		if c.LogoType == "image/svg+xml" {
			// An SVG may carry script: never run it.
			w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
		}
		w.Write(c.Logo)
	})
}
