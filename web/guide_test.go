package web

import (
	"testing"
	"time"

	"pforte/document"
)

// TestGuidePicturesCurrent fails when a step of the guide has no picture,
// or when the page it shows has changed since the picture was taken. Take
// them again with: go test ./cmd/pforte -run TestGuidePictures -update
func TestGuidePicturesCurrent(t *testing.T) {
	sources := document.PictureSources()
	for _, st := range document.GuideSteps("https://portal.example", 10*time.Minute) {
		if document.Picture(st.ID) == nil {
			t.Errorf("step %s has no picture (document/pictures/%s.png): go test ./cmd/pforte -run TestGuidePictures -update", st.ID, st.ID)
			continue
		}
		want, err := GuidePictureSource(st.Template)
		if err != nil {
			t.Fatalf("step %s: %v", st.ID, err)
		}
		if sources[st.ID] != want {
			t.Errorf("the picture of step %s shows an older page %s.html: go test ./cmd/pforte -run TestGuidePictures -update", st.ID, st.Template)
		}
	}
}
