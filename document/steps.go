package document

import (
	"embed"
	"strconv"
	"strings"
	"time"

	"pforte/locale"
)

// GuideStep is one step of the illustrated guide, the same in the HTML
// guide (/hilfe/anleitung) and in the PDF (/hilfe/anleitung.pdf): a
// heading, what to do, and a picture of the real page the step happens on.
type GuideStep struct {
	// ID names the step's anchor, its picture (pictures/LANG/ID.png) and
	// its messages (guide.step.ID.*).
	ID    string
	Title string
	// Template is the portal page the picture shows (web/templates/NAME.html):
	// when that page changes, the picture is outdated and a test says so.
	Template string
	// Do are the actions, in order; Note is what to know besides.
	Do   []string
	Note string
	// Alt describes the picture for people who cannot see it.
	Alt string
}

// guideSteps is the one list of steps, from the first visit to a linked
// business and "Passwort vergessen": each step's ID and the page its
// picture shows. Their words are the catalog's (locale/*/guide.toml).
var guideSteps = []struct{ id, template string }{
	{"startseite", "start"},
	{"registrieren", "registrieren"},
	{"postfach", "post-pruefen"},
	{"bestaetigen", "bestaetigen"},
	{"anmelden", "anmelden"},
	{"konto", "konto"},
	{"pin-beantragen", "betrieb-pin-beantragen"},
	{"pin-beantragt", "betrieb-pin-beantragt"},
	{"verknuepfen", "betrieb-verknuepfen"},
	{"betrieb", "betrieb-dienste"},
	{"passwort-vergessen", "passwort-vergessen"},
}

// GuideSteps are the steps in language l: baseURL makes the addresses
// shown; idle is the session's idle timeout.
func GuideSteps(l locale.Lang, baseURL string, idle time.Duration) []GuideStep {
	cat := locale.Embedded()
	data := []any{"URL", strings.TrimRight(baseURL, "/"), "Idle", locale.Duration(l, idle)}
	out := make([]GuideStep, 0, len(guideSteps))
	for _, s := range guideSteps {
		id := "guide.step." + s.id + "."
		st := GuideStep{ID: s.id, Template: s.template,
			Title: cat.Must(l, id+"title", data...), Alt: cat.Must(l, id+"alt", data...)}
		for i := 1; cat.Has(l, id+"do"+strconv.Itoa(i)); i++ {
			st.Do = append(st.Do, cat.Must(l, id+"do"+strconv.Itoa(i), data...))
		}
		if cat.Has(l, id+"note") {
			st.Note = cat.Must(l, id+"note", data...)
		}
		out = append(out, st)
	}
	return out
}

//go:embed pictures
var pictures embed.FS

// Picture is the PNG of a step in language l (nil if there is none): a
// picture of the real page in that language, taken in chromium by
// `go test ./cmd/pforte -run TestGuidePictures -update`.
func Picture(l locale.Lang, id string) []byte {
	b, err := pictures.ReadFile(PicturePath(l, id))
	if err != nil {
		return nil
	}
	return b
}

// PicturePath is where the picture of step id in l lives, inside
// document/ (the picture command writes it there).
func PicturePath(l locale.Lang, id string) string {
	return "pictures/" + string(l) + "/" + id + ".png"
}

// PictureSources are the hashes of the pages the pictures were taken
// from, by "LANG/ID" (pictures/sources.txt: "LANG/ID HASH" per line).
func PictureSources() map[string]string {
	b, _ := pictures.ReadFile("pictures/sources.txt")
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if id, hash, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			out[id] = hash
		}
	}
	return out
}
