package document

import (
	"fmt"
	"strings"
	"time"

	"github.com/signintech/gopdf"
)

// ptMM converts typographic points (font sizes) to millimetres (page units).
const ptMM = 25.4 / 72

// style is one kind of text: a font, its size in points and a grey level.
type style struct {
	font string
	size float64
	grey uint8 // 0 is black
	lead float64
}

// lineHeight is the distance from one baseline to the next, in mm.
func (st style) lineHeight() float64 {
	lead := st.lead
	if lead == 0 {
		lead = 1.35
	}
	return st.size * lead * ptMM
}

var (
	styleBody   = style{font: fontRegular, size: 10.5}
	styleBold   = style{font: fontBold, size: 10.5}
	styleSmall  = style{font: fontRegular, size: 8, grey: 80}
	styleTiny   = style{font: fontRegular, size: 7, grey: 80, lead: 1.3}
	styleLabel  = style{font: fontRegular, size: 8, grey: 100}
	styleTitle  = style{font: fontBold, size: 20, lead: 1.2}
	styleH2     = style{font: fontBold, size: 13}
	stylePIN    = style{font: fontMonoBold, size: 22}
	styleLetter = style{font: fontBold, size: 14}
)

// sheet draws text on A4 pages in millimetres and keeps a cursor y, the top
// of the next line, for text that flows down the page.
type sheet struct {
	pdf    *gopdf.GoPdf
	err    error   // first error; later calls do nothing, as in bufio.Writer
	y      float64 // top of the next line
	left   float64 // left edge of the text column
	right  float64 // right edge of the text column
	bottom float64 // flowing text does not go below this
	top    float64 // where flowing text starts on a new page
	page   func()  // draws header and footer of a new page; may be nil
	cur    style
	// paper is set for a document read on paper only (the letter): every
	// hyphen gets the short glyph, as nobody copies text from it.
	paper bool
}

// newSheet starts an A4 document with the Go fonts.
func newSheet(info gopdf.PdfInfo) (*sheet, error) {
	fc, err := loadFonts()
	if err != nil {
		return nil, err
	}
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitMM})
	pdf.SetInfo(info)
	for _, family := range []string{fontRegular, fontBold, fontMonoBold} {
		if err := pdf.AddTTFFontFromFontContainer(family, fc); err != nil {
			return nil, fmt.Errorf("document: add font %s: %w", family, err)
		}
	}
	return &sheet{pdf: pdf}, nil
}

// addPage starts a new page and puts the cursor at the top of the text.
func (s *sheet) addPage() {
	if s.err != nil {
		return
	}
	s.pdf.AddPage()
	s.cur = style{}
	s.y = s.top
	if s.page != nil {
		s.page()
	}
}

// use makes st the current style.
func (s *sheet) use(st style) {
	if s.err != nil || st == s.cur {
		return
	}
	if err := s.pdf.SetFont(st.font, "", st.size); err != nil {
		s.err = err
		return
	}
	s.pdf.SetTextColor(st.grey, st.grey, st.grey)
	s.cur = st
}

// width measures text in the current style, in mm.
func (s *sheet) width(text string) float64 {
	if s.err != nil {
		return 0
	}
	w, err := s.pdf.MeasureTextWidth(text)
	if err != nil {
		s.err = err
	}
	return w
}

// text draws one line with its top at (x, top), in the current style.
func (s *sheet) text(x, top float64, text string) {
	if s.err != nil || text == "" {
		return
	}
	// The baseline sits about 0.8 of the font size below the top of the line.
	s.pdf.SetXY(x, top+s.cur.size*0.8*ptMM)
	if err := s.pdf.Text(printedHyphens(text, s.paper)); err != nil {
		s.err = err
	}
}

// textRight draws one line that ends at x.
func (s *sheet) textRight(x, top float64, text string) {
	s.text(x-s.width(text), top, text)
}

// wrap breaks text into lines no wider than width in the current style.
// gopdf's own MultiCell ignores line breaks and splits words, so Pforte
// keeps its own: words go whole onto a line; a single word wider than the
// line (a long URL) is cut where it must be.
func (s *sheet) wrap(text string, width float64) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		cur := ""
		for _, word := range strings.Fields(para) {
			try := word
			if cur != "" {
				try = cur + " " + word
			}
			if s.width(try) <= width {
				cur = try
				continue
			}
			if cur != "" {
				lines = append(lines, cur)
			}
			for s.width(word) > width && s.err == nil {
				r := []rune(word)
				n := len(r) - 1
				for n > 1 && s.width(string(r[:n])) > width {
					n--
				}
				lines = append(lines, string(r[:n]))
				word = string(r[n:])
			}
			cur = word
		}
		lines = append(lines, cur)
	}
	return lines
}

// fits reports whether h more millimetres fit on the page; if not, it
// starts a new one, so that a block is not torn from its heading.
func (s *sheet) fits(h float64) {
	if s.y+h > s.bottom {
		s.addPage()
	}
}

// para flows text in style st through the column from x on, starting a new
// page where needed, and moves the cursor below it.
func (s *sheet) para(st style, x float64, text string) {
	s.use(st)
	for _, line := range s.wrap(text, s.right-x) {
		s.fits(st.lineHeight())
		s.use(st) // a new page may have changed the style
		s.text(x, s.y, line)
		s.y += st.lineHeight()
	}
}

// item is a list entry: a marker ("1.", "•") hanging left of the text.
func (s *sheet) item(st style, marker, text string) {
	const indent = 7.0
	s.fits(st.lineHeight())
	s.use(st)
	s.text(s.left+1, s.y, marker)
	s.para(st, s.left+indent, text)
	s.y += 0.8
}

// space moves the cursor down by mm millimetres.
func (s *sheet) space(mm float64) { s.y += mm }

// rule draws a thin horizontal line across the column.
func (s *sheet) rule(y float64, grey uint8) {
	s.pdf.SetLineWidth(0.2)
	s.pdf.SetStrokeColor(grey, grey, grey)
	s.pdf.Line(s.left, y, s.right, y)
}

// bytes finishes the document.
func (s *sheet) bytes() ([]byte, error) {
	if s.err != nil {
		return nil, fmt.Errorf("document: %w", s.err)
	}
	return s.pdf.GetBytesPdfReturnErr()
}

// germanDate formats t as a German date, like 02.01.2006.
func germanDate(t time.Time) string { return t.Format("02.01.2006") }
