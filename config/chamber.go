package config

import (
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Chamber is the body that runs the portal, as named in pages, mails,
// letters, the guide and the legal pages (PFORTE_CHAMBER_*). Fields left
// empty are left out, or marked in the sample legal pages as still to fill.
type Chamber struct {
	Name, Street, Postcode, City, Phone string
	// Contact names the person or desk members reach under Phone, as the
	// PIN letter names it ("Frau Beispiel, Kundenservice").
	Contact string
	// Representative, Supervisor and DataProtectionOfficer fill the sample
	// legal pages (§ 5 DDG: who represents the body, its supervisory
	// authority; DSGVO Art. 13: how to reach the data protection officer).
	Representative, Supervisor, DataProtectionOfficer string
	// Colour is the chamber's colour as #rrggbb. White text on it keeps a
	// contrast of at least 4.5:1 (WCAG 1.4.3), or the setting is refused.
	Colour string
	// Logo is the chamber's logo, read from the file PFORTE_LOGO at start
	// (PNG, JPEG, GIF, WebP or SVG, at most 512 KiB); LogoType its media type.
	Logo     []byte
	LogoType string
}

// DefaultColour is the portal's blue.
const DefaultColour = "#0b5394"

// maxLogo bounds the logo file: it is sent with every page.
const maxLogo = 512 << 10

// chamber reads the PFORTE_CHAMBER_* settings and PFORTE_LOGO.
func (r *reader) chamber() Chamber {
	c := Chamber{
		Name:                  r.str("PFORTE_CHAMBER_NAME", "Handwerkskammer Musterstadt"),
		Street:                r.str("PFORTE_CHAMBER_STREET", "Musterstraße 1"),
		Postcode:              r.str("PFORTE_CHAMBER_POSTCODE", "12345"),
		City:                  r.str("PFORTE_CHAMBER_CITY", "Musterstadt"),
		Phone:                 r.str("PFORTE_CHAMBER_PHONE", ""),
		Contact:               r.str("PFORTE_CHAMBER_CONTACT", ""),
		Representative:        r.str("PFORTE_CHAMBER_REPRESENTATIVE", ""),
		Supervisor:            r.str("PFORTE_CHAMBER_SUPERVISOR", ""),
		DataProtectionOfficer: r.str("PFORTE_CHAMBER_DPO", ""),
		Colour:                strings.ToLower(r.str("PFORTE_CHAMBER_COLOUR", DefaultColour)),
	}
	if err := checkColour(c.Colour); err != nil {
		r.check("PFORTE_CHAMBER_COLOUR", err)
		c.Colour = DefaultColour
	}
	if path := r.getenv("PFORTE_LOGO"); path != "" {
		logo, kind, err := readLogo(path)
		r.check("PFORTE_LOGO", err)
		c.Logo, c.LogoType = logo, kind
	}
	return c
}

// checkColour accepts #rrggbb on which white text is readable.
func checkColour(hex string) error {
	if len(hex) != 7 || hex[0] != '#' {
		return fmt.Errorf("%q: expected a colour as #rrggbb", hex)
	}
	v, err := strconv.ParseUint(hex[1:], 16, 32)
	if err != nil {
		return fmt.Errorf("%q: expected a colour as #rrggbb", hex)
	}
	if c := Contrast(uint8(v>>16), uint8(v>>8), uint8(v)); c < 4.5 {
		return fmt.Errorf("%s: white text on it has a contrast of %.1f:1, at least 4.5:1 is needed (WCAG 1.4.3); choose a darker colour", hex, c)
	}
	return nil
}

// Contrast is the WCAG contrast ratio of white against the colour r,g,b.
func Contrast(r, g, b uint8) float64 {
	lin := func(c uint8) float64 {
		s := float64(c) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	l := 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
	return 1.05 / (l + 0.05)
}

// readLogo reads the logo file and names its media type.
func readLogo(path string) ([]byte, string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, "", err
	}
	if fi.Size() > maxLogo {
		return nil, "", fmt.Errorf("%s is %d KiB, at most %d KiB", abs, fi.Size()>>10, maxLogo>>10)
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		return nil, "", err
	}
	kind := http.DetectContentType(b)
	if strings.HasSuffix(strings.ToLower(abs), ".svg") && (strings.HasPrefix(kind, "text/xml") || strings.HasPrefix(kind, "text/plain")) {
		kind = "image/svg+xml"
	}
	switch kind {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml":
		return b, kind, nil
	}
	return nil, "", fmt.Errorf("%s is %s, expected a PNG, JPEG, GIF, WebP or SVG image", abs, kind)
}
