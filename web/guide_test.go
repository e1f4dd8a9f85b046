package web

import (
	"strings"
	"testing"
	"time"

	"pforte/document"
	"pforte/locale"
)

// TestGuidePicturesCurrent fails when a step of the guide has no picture
// in a language, or when the page it shows has changed since the picture
// was taken. Take them again with:
// go test ./cmd/pforte -run TestGuidePictures -update
func TestGuidePicturesCurrent(t *testing.T) {
	sources := document.PictureSources()
	for _, l := range locale.Langs {
		for _, st := range document.GuideSteps(l, "https://portal.example", 10*time.Minute) {
			key := string(l) + "/" + st.ID
			if document.Picture(l, st.ID) == nil {
				t.Errorf("step %s has no picture (document/%s): go test ./cmd/pforte -run TestGuidePictures -update", key, document.PicturePath(l, st.ID))
				continue
			}
			want, err := GuidePictureSource(st.Template, l)
			if err != nil {
				t.Fatalf("step %s: %v", key, err)
			}
			if sources[key] != want {
				t.Errorf("the picture of step %s shows an older page %s.html: go test ./cmd/pforte -run TestGuidePictures -update", key, st.Template)
			}
		}
	}
}

// The steps' words come from the catalog in each language: every step
// has a title, something to do and a picture description, and no text is
// a message ID left unfound.
func TestGuideStepsInEveryLanguage(t *testing.T) {
	de := document.GuideSteps(locale.German, "https://portal.example/", time.Hour)
	for _, l := range locale.Langs {
		steps := document.GuideSteps(l, "https://portal.example/", time.Hour)
		if len(steps) != len(de) || len(steps) < 8 {
			t.Fatalf("%s: %d steps, German %d", l, len(steps), len(de))
		}
		for i, st := range steps {
			if st.ID != de[i].ID || st.Title == "" || st.Alt == "" || len(st.Do) != len(de[i].Do) || len(st.Do) == 0 {
				t.Errorf("%s step %d: %+v", l, i, st)
			}
			for _, text := range append([]string{st.Title, st.Alt, st.Note}, st.Do...) {
				if strings.HasPrefix(text, "guide.") {
					t.Errorf("%s step %s: message missing: %q", l, st.ID, text)
				}
			}
		}
	}
	en := document.GuideSteps(locale.English, "https://portal.example/", time.Hour)
	if en[4].ID != "anmelden" || en[4].Do[0] != "Open https://portal.example/anmelden." || !strings.Contains(en[4].Note, "after 1 hour without activity") {
		t.Errorf("English sign-in step: %+v", en[4])
	}
}
