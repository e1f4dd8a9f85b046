package document

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/signintech/gopdf"

	"pforte"
	"pforte/locale"
)

// Letter is one PIN letter: it goes by post to the business's registered
// address, so that only someone who can open that business's mail can link
// an account to it.
type Letter struct {
	// The recipient: the business as it stands in the register.
	BusinessNumber, BusinessName, Street, Postcode, City string

	// PIN is the fresh PIN, printed once here and stored only as a hash.
	PIN string
	// Expires is printed as a date; the PIN should stay valid to the end
	// of that day, as the reader will take it.
	Expires time.Time
	// Date is the letter's date; the zero value means today.
	Date time.Time
	// BaseURL is the portal's public URL, for the addresses the reader types.
	BaseURL string
	// RequestedBy is the masked address of the account that asked for the
	// PIN ("an…@b….de"), RequestedAt when: so that the business can judge
	// whether the request was its own. Empty: not printed.
	RequestedBy string
	RequestedAt time.Time
}

// DIN 5008 form B, in mm from the top left corner of the sheet.
const (
	marginLeft   = 25.0  // text column
	marginRight  = 190.0 // right edge of the text column
	fieldLeft    = 20.0  // window address field
	fieldTop     = 45.0
	fieldW       = 85.0
	fieldH       = 45.0
	fieldNoteH   = 17.7 // return line and notes, above the address proper
	infoLeft     = 125.0
	infoTop      = 50.0
	subjectTop   = 98.46
	footerTop    = 276.0
	foldMark1    = 105.0
	foldMark2    = 210.0
	holeMark     = 148.5
	markLen      = 5.0
	holeMarkLen  = 8.0
	letterBottom = footerTop - 4
)

// LetterPDF renders one German PIN letter as a one-page A4 PDF in the DIN
// 5008 form B layout, so that it fits a standard window envelope (DL or C5/6)
// and reads like any other letter from the chamber.
func LetterPDF(s Sender, l Letter) ([]byte, error) {
	l, size, err := fitLetter(s, l)
	if err != nil {
		return nil, err
	}
	sh, err := renderLetter(s, l, style{font: fontRegular, size: size})
	if err != nil {
		return nil, err
	}
	return sh.bytes()
}

// LettersPDF renders letters one after another into one PDF, each on its
// own sheet and set as LetterPDF sets it alone, so that the day's letters
// print in one go.
func LettersPDF(s Sender, letters []Letter) ([]byte, error) {
	if len(letters) == 0 {
		return nil, errors.New("document: no letters")
	}
	sh, err := newSheet(gopdf.PdfInfo{Title: fmt.Sprintf("PIN-Briefe (%d)", len(letters)), Author: s.Name,
		Subject: "PIN-Briefe an Betriebe", Creator: "Pforte", CreationDate: time.Now()})
	if err != nil {
		return nil, err
	}
	for _, l := range letters {
		l, size, err := fitLetter(s, l)
		if err != nil {
			return nil, fmt.Errorf("Betrieb %s: %w", l.BusinessNumber, err)
		}
		drawLetter(sh, s, l, style{font: fontRegular, size: size})
	}
	if sh.err != nil {
		return nil, fmt.Errorf("document: %w", sh.err)
	}
	return sh.bytes()
}

// fitLetter checks l, fills in its date, and finds the body size at which
// it fits on one page: a long business name or portal URL takes more
// lines, and rather than spill onto a second sheet, the body is set a
// little smaller.
func fitLetter(s Sender, l Letter) (Letter, float64, error) {
	if strings.TrimSpace(l.PIN) == "" {
		return l, 0, errors.New("document: letter without PIN")
	}
	if l.Expires.IsZero() {
		return l, 0, errors.New("document: letter without expiry date")
	}
	if l.BaseURL == "" {
		return l, 0, errNoBaseURL
	}
	if l.Date.IsZero() {
		l.Date = time.Now()
	}
	for _, size := range []float64{10.5, 9.5, 8.5} {
		sh, err := renderLetter(s, l, style{font: fontRegular, size: size})
		if err != nil {
			return l, 0, err
		}
		if sh.pdf.GetNumberOfPages() == 1 {
			return l, size, nil
		}
	}
	return l, 0, errors.New("document: the letter does not fit on one page")
}

// renderLetter lays the letter out alone with its body text in style body;
// fitLetter checks that it fits.
func renderLetter(s Sender, l Letter, body style) (*sheet, error) {
	sh, err := newSheet(gopdf.PdfInfo{
		Title:        "PIN für das Kundenportal – Betrieb " + l.BusinessNumber,
		Author:       s.Name,
		Subject:      "Verknüpfung eines Betriebs mit dem Kundenportal",
		Creator:      "Pforte",
		CreationDate: l.Date,
	})
	if err != nil {
		return nil, err
	}
	drawLetter(sh, s, l, body)
	if sh.err != nil {
		return nil, fmt.Errorf("document: %w", sh.err)
	}
	return sh, nil
}

// drawLetter lays the letter out on a new page of sh.
func drawLetter(sh *sheet, s Sender, l Letter, body style) {
	bold := body
	bold.font = fontBold
	sh.paper = true
	sh.left, sh.right, sh.top, sh.bottom = marginLeft, marginRight, subjectTop, letterBottom
	sh.addPage()

	letterHead(sh, s)
	marks(sh)
	addressField(sh, s, l)
	infoBlock(sh, s, l)
	letterFooter(sh, s)

	// Subject, salutation and body flow down from the subject line.
	sh.y = subjectTop
	sh.para(bold, sh.left, "Ihre PIN für die Verknüpfung Ihres Betriebs mit dem Kundenportal")
	sh.space(body.lineHeight())
	sh.para(body, sh.left, "Sehr geehrte Damen und Herren,")
	sh.space(2)
	name := l.BusinessName
	if name == "" {
		name = "Ihren Betrieb"
	} else {
		name = "„" + name + "“"
	}
	asked := "wurde im Kundenportal " + of(s.Name) + " eine PIN beantragt"
	if l.RequestedBy != "" && !l.RequestedAt.IsZero() {
		asked = "wurde am " + germanDate(l.RequestedAt) + " im Kundenportal " + of(s.Name) +
			" über das Benutzerkonto " + l.RequestedBy + " eine PIN beantragt"
	}
	sh.para(body, sh.left, fmt.Sprintf(
		"für %s (Betriebsnummer %s) %s. "+
			"Mit dieser PIN verknüpfen Sie ein Benutzerkonto des Kundenportals mit Ihrem Betrieb "+
			"und können danach die Online-Dienste für Ihren Betrieb nutzen. So gehen Sie vor:",
		name, l.BusinessNumber, asked))
	sh.space(1.5)
	steps := []string{
		"Melden Sie sich unter " + portalURL(l.BaseURL, "/anmelden") + " mit Ihrer E-Mail-Adresse und Ihrem Passwort an.",
		"Öffnen Sie die Seite " + portalURL(l.BaseURL, "/betrieb/verknuepfen") + ".",
		"Geben Sie die Betriebsnummer " + l.BusinessNumber + " und die folgende PIN ein.",
	}
	for i, st := range steps {
		sh.item(body, fmt.Sprintf("%d.", i+1), st)
	}
	sh.space(2)
	pinBox(sh, l)
	sh.space(3)
	sh.para(body, sh.left, "Die PIN ist gültig bis zum "+germanDate(l.Expires)+" und kann nur einmal verwendet werden. "+
		"Eine PIN aus einem früheren Schreiben gilt nicht mehr. Bitte geben Sie die PIN nur im Kundenportal ein "+
		"und nicht an andere Personen weiter.")
	sh.space(2)
	sh.para(body, sh.left, "Sie kennen dieses Benutzerkonto nicht und haben keine PIN beantragt? Dann hat jemand anderes versucht, ein Konto mit Ihrem Betrieb "+
		"zu verknüpfen. Da wir die PIN nur an die eingetragene Anschrift Ihres Betriebs senden, ist das ohne dieses Schreiben "+
		"nicht möglich. Verwenden Sie die PIN in diesem Fall nicht. "+s.contact(locale.German))
	sh.space(body.lineHeight())
	sh.para(body, sh.left, "Mit freundlichen Grüßen")
	sh.space(body.lineHeight() * 0.6)
	sh.para(body, sh.left, s.Name)
	sh.para(body, sh.left, "Ihr Team Kundenportal")
	sh.space(1.5)
	sh.para(styleSmall, sh.left, "Dieses Schreiben wurde maschinell erstellt und ist ohne Unterschrift gültig.")
}

// of turns the chamber's name into a phrase that follows a noun: "der
// Handwerkskammer …" for a chamber or guild, else "von …", which fits any name.
func of(name string) string { return pforte.GermanOf(name) }

// letterHead puts the chamber's name where a printed letterhead would be.
func letterHead(sh *sheet, s Sender) {
	sh.use(styleLetter)
	sh.textRight(marginRight+10, 16, s.Name)
	sh.use(styleSmall)
	sh.textRight(marginRight+10, 23, "Kundenportal")
	sh.pdf.SetLineWidth(0.4)
	sh.pdf.SetStrokeColor(60, 60, 60)
	sh.pdf.Line(marginRight+10-sh.widthIn(styleLetter, s.Name), 29, marginRight+10, 29)
}

// widthIn measures text in style st.
func (s *sheet) widthIn(st style, text string) float64 {
	s.use(st)
	return s.width(text)
}

// marks draws the fold marks for a DL envelope and the hole-punch mark.
func marks(sh *sheet) {
	sh.pdf.SetLineWidth(0.2)
	sh.pdf.SetStrokeColor(120, 120, 120)
	sh.pdf.Line(3, foldMark1, 3+markLen, foldMark1)
	sh.pdf.Line(3, foldMark2, 3+markLen, foldMark2)
	sh.pdf.Line(3, holeMark, 3+holeMarkLen, holeMark)
}

// addressField fills the window: the return line at the bottom of the note
// zone, then the recipient in the address zone below it.
func addressField(sh *sheet, s Sender, l Letter) {
	x := fieldLeft + 5
	w := fieldW - 10
	sh.use(styleTiny)
	ret := s.returnLine()
	for sh.width(ret) > w && sh.cur.size > 5 {
		st := sh.cur
		st.size -= 0.5
		sh.use(st)
	}
	sh.text(x, fieldTop+fieldNoteH-sh.cur.lineHeight()-1, ret)
	sh.pdf.SetLineWidth(0.1)
	sh.pdf.SetStrokeColor(140, 140, 140)
	sh.pdf.Line(x, fieldTop+fieldNoteH-1, x+sh.width(ret), fieldTop+fieldNoteH-1)

	st := style{font: fontRegular, size: 10.5, lead: 1.25}
	sh.use(st)
	var tail []string // street and town must reach the window whatever the name
	for _, part := range []string{l.Street, strings.TrimSpace(l.Postcode + " " + l.City)} {
		if part = strings.TrimSpace(part); part != "" {
			tail = append(tail, sh.wrap(part, w)...)
		}
	}
	var name []string
	if n := strings.TrimSpace(l.BusinessName); n != "" {
		name = sh.wrap(n, w)
	}
	if room := int((fieldH-fieldNoteH-1)/st.lineHeight()) - len(tail); len(name) > room {
		// The register's name is too long for the window: shorten it
		// visibly rather than lose the town.
		name = name[:max(room, 1)]
		last := []rune(name[len(name)-1])
		for len(last) > 1 && sh.width(string(last)+"…") > w {
			last = last[:len(last)-1]
		}
		name[len(name)-1] = string(last) + "…"
	}
	y := fieldTop + fieldNoteH + 1
	for _, line := range append(name, tail...) {
		sh.text(x, y, line)
		y += st.lineHeight()
	}
}

// infoBlock is the block right of the address field: the reference the
// reader needs when calling, and the date.
func infoBlock(sh *sheet, s Sender, l Letter) {
	rows := [][2]string{
		{"Betriebsnummer", l.BusinessNumber},
		{"Ansprechpartner", contactPerson(s)},
		{"E-Mail", s.Email},
		{"Telefon", s.Phone},
		{"Datum", germanDate(l.Date)},
	}
	y := infoTop
	for _, r := range rows {
		if r[1] == "" {
			continue
		}
		sh.use(styleLabel)
		sh.text(infoLeft, y+0.6, r[0])
		sh.use(style{font: fontRegular, size: 9.5})
		sh.text(infoLeft+28, y, r[1])
		y += 5
	}
}

// pinBox shows the PIN large and grouped, on a light background, so that it
// is found at a glance and typed without slips.
func pinBox(sh *sheet, l Letter) {
	const h = 21.0
	sh.fits(h)
	y := sh.y
	sh.pdf.SetFillColor(238, 240, 243)
	sh.pdf.SetStrokeColor(180, 186, 196)
	sh.pdf.SetLineWidth(0.3)
	if err := sh.pdf.Rectangle(sh.left, y, sh.right, y+h, "FD", 2, 8); err != nil && sh.err == nil {
		sh.err = err
	}
	sh.use(styleSmall)
	sh.text(sh.left+5, y+3, "Ihre PIN")
	sh.use(stylePIN)
	sh.text(sh.left+5, y+7.5, groupPIN(l.PIN))
	sh.use(styleSmall)
	sh.textRight(sh.right-5, y+3, "gültig bis "+germanDate(l.Expires))
	sh.use(style{font: fontRegular, size: 8.5, grey: 60})
	note := "Die Bindestriche dienen nur der Lesbarkeit;"
	sh.textRight(sh.right-5, y+10, note)
	sh.textRight(sh.right-5, y+14, "Sie können sie mit eingeben oder weglassen.")
	sh.y = y + h
}

// groupPIN writes the PIN in groups of four, like 7KQ4-MX2P-9TZA, dropping
// any separators it already has.
func groupPIN(pin string) string {
	var b strings.Builder
	n := 0
	for _, r := range pin {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			continue
		}
		if n > 0 && n%4 == 0 {
			b.WriteRune('-')
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// letterFooter prints the chamber's contact at the bottom of the page.
func letterFooter(sh *sheet, s Sender) {
	sh.rule(footerTop, 160)
	lines := s.contactLines(locale.German) // email, phone, web
	cols := [][]string{
		{s.Name, s.Street, s.cityLine()},
		{lines[1], lines[0]},
		{lines[2]},
	}
	colX := []float64{marginLeft, 95, 145}
	sh.use(styleTiny)
	for i, col := range cols {
		y := footerTop + 2
		for _, line := range col {
			if line == "" {
				continue
			}
			sh.text(colX[i], y, line)
			y += styleTiny.lineHeight()
		}
	}
}

// label prefixes value with its name, or gives "" for an empty value.
func label(name, value string) string {
	if value == "" {
		return ""
	}
	return name + ": " + value
}

// contactPerson is whom the letter names to ask: the configured contact
// (PFORTE_CHAMBER_CONTACT), else the portal's desk.
func contactPerson(s Sender) string {
	if s.Contact != "" {
		return s.Contact
	}
	return "Kundenportal"
}
