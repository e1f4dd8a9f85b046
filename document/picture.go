package document

import (
	"bytes"
	"fmt"
	"image"
	_ "image/png" // the guide's pictures are PNG

	"github.com/signintech/gopdf"
)

// picture places a PNG width millimetres wide, centred in the column, on
// this page if it fits, else on the next; nothing for an empty png (the
// test of the pictures fails then, not the guide).
func (s *sheet) picture(png []byte, width float64) {
	if len(png) == 0 || s.err != nil {
		return
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(png))
	if err != nil {
		s.err = fmt.Errorf("picture: %w", err)
		return
	}
	height := width * float64(cfg.Height) / float64(cfg.Width)
	s.space(2)
	s.fits(height + 2)
	img, err := gopdf.ImageHolderByBytes(png)
	if err != nil {
		s.err = fmt.Errorf("picture: %w", err)
		return
	}
	x := s.left + (s.right-s.left-width)/2
	if err := s.pdf.ImageByHolder(img, x, s.y, &gopdf.Rect{W: width, H: height}); err != nil {
		s.err = fmt.Errorf("picture: %w", err)
		return
	}
	// A thin frame sets the page apart from the paper.
	s.pdf.SetLineWidth(0.2)
	s.pdf.SetStrokeColor(160, 160, 160)
	s.pdf.RectFromUpperLeftWithStyle(x, s.y, width, height, "D")
	s.y += height + 2
}
