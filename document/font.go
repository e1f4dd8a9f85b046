package document

import (
	"fmt"
	"sync"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
)

// Font family names inside the PDFs. Go Mono Bold sets the PIN
// because it tells 0 from O and 1 from l.
const (
	fontRegular  = "GoRegular"
	fontBold     = "GoBold"
	fontMonoBold = "GoMonoBold"
)

var (
	fontsOnce sync.Once
	fonts     *gopdf.FontContainer
	fontsErr  error
)

// loadFonts parses the TTF data once per process: parsing is most of the
// cost of a small document, and the parsed tables are only read afterwards,
// so every document can share them.
func loadFonts() (*gopdf.FontContainer, error) {
	fontsOnce.Do(func() {
		fc := &gopdf.FontContainer{}
		for _, f := range []struct {
			family string
			data   []byte
		}{
			{fontRegular, goregular.TTF},
			{fontBold, gobold.TTF},
			{fontMonoBold, gomonobold.TTF},
		} {
			if err := fc.AddTTFFontData(f.family, f.data); err != nil {
				fontsErr = fmt.Errorf("document: parse font %s: %w", f.family, err)
				return
			}
		}
		fonts = fc
	})
	return fonts, fontsErr
}
