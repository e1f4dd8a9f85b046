package document

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/signintech/gopdf"

	"pforte"
	"pforte/locale"
)

// Guide renders the step-by-step guide served as /hilfe/anleitung.pdf in
// language l: an A4 PDF for people who would rather print the steps than
// read them on screen. It covers registering, confirming the address,
// logging in, "Passwort vergessen", the password rules, the automatic
// logout, linking a business with the PIN letter, what each error message
// means, and the contact. Its words are the catalog's (locale/*/guide.toml).
//
// rules are the password rules as lines in l, passed in so that the
// policy stays their single source; idle is the session's idle timeout, as
// configured. baseURL is the portal's public URL, for the addresses shown.
func Guide(l locale.Lang, s Sender, baseURL string, rules []string, idle time.Duration) ([]byte, error) {
	if baseURL == "" {
		return nil, errNoBaseURL
	}
	if len(rules) == 0 {
		return nil, errors.New("document: guide without password rules")
	}
	if idle <= 0 {
		return nil, errors.New("document: guide without idle timeout")
	}
	cat := locale.Embedded()
	idleText := locale.Duration(l, idle)
	data := []any{"URL", strings.TrimRight(baseURL, "/"), "Idle", idleText, "Contact", s.contact(l)}
	words := func(id string, pairs ...any) string { return cat.Must(l, id, append(pairs, data...)...) }
	title := words("guide.pdf.title")
	sh, err := newSheet(gopdf.PdfInfo{
		Title:   title,
		Author:  s.Name,
		Subject: words("guide.pdf.subject"),
		Creator: "Pforte",
	})
	if err != nil {
		return nil, err
	}
	sh.left, sh.right, sh.top, sh.bottom = 25, 185, 28, 275
	pages := 0
	sh.page = func() {
		pages++
		sh.use(styleSmall)
		sh.text(sh.left, 13, s.Name)
		sh.textRight(sh.right, 13, words("guide.pdf.header"))
		sh.rule(18, 170)
		sh.rule(280, 170)
		sh.text(sh.left, 282, joinNonEmpty(" · ", s.Email, s.Phone, s.Web))
		// The page count is known only at the end: leave room for
		// "Seite n von m", one placeholder per page.
		sh.pdf.SetXY(sh.right-30, 282+sh.cur.size*0.8*ptMM)
		if err := sh.pdf.PlaceHolderText(fmt.Sprintf("page%d", pages), 30); err != nil && sh.err == nil {
			sh.err = err
		}
	}
	sh.addPage()

	sh.para(styleTitle, sh.left, title)
	sh.space(2)
	of := s.Name
	if l == locale.German {
		of = pforte.GermanOf(s.Name)
	}
	sh.para(styleBody, sh.left, words("guide.pdf.intro", "Of", of, "Chamber", s.Name))

	section := func(n int, head string) {
		sh.space(5)
		// Keep the heading with at least two lines of what follows.
		sh.fits(styleH2.lineHeight() + 3*styleBody.lineHeight())
		sh.para(styleH2, sh.left, fmt.Sprintf("%d. %s", n, head))
		sh.space(1)
	}
	note := func(text string) {
		sh.space(1)
		sh.para(styleBody, sh.left, text)
	}

	n := 0
	for _, st := range GuideSteps(l, baseURL, idle) {
		n++
		section(n, st.Title)
		for i, do := range st.Do {
			sh.item(styleBody, fmt.Sprintf("%d.", i+1), do)
		}
		if st.Note != "" {
			note(st.Note)
		}
		sh.picture(Picture(l, st.ID), 120)
	}

	n++
	section(n, words("guide.pdf.rules"))
	sh.para(styleBody, sh.left, words("guide.pdf.rules.intro"))
	sh.space(1)
	for _, r := range rules {
		sh.item(styleBody, "•", r)
	}
	note(words("guide.pdf.rules.tip"))

	n++
	section(n, words("guide.pdf.idle"))
	sh.para(styleBody, sh.left, words("guide.pdf.idle.text"))

	n++
	section(n, words("guide.pdf.errors"))
	for _, code := range guideErrors {
		sh.space(1.5)
		sh.fits(styleBold.lineHeight() + 2*styleBody.lineHeight())
		sh.para(styleBold, sh.left, cat.Info(l, code).Title)
		sh.para(styleBody, sh.left+5, words("guide.error."+string(code)))
	}

	n++
	section(n, words("guide.pdf.contact"))
	sh.para(styleBody, sh.left, words("guide.pdf.contact.text"))
	sh.space(2)
	for _, line := range append([]string{s.Name, s.Street, s.cityLine()}, s.contactLines(l)...) {
		if line != "" {
			sh.para(styleBody, sh.left+5, line)
		}
	}

	if sh.err == nil {
		sh.use(styleSmall)
		for p := 1; p <= pages; p++ {
			if err := sh.pdf.FillInPlaceHoldText(fmt.Sprintf("page%d", p), words("guide.pdf.page", "N", p, "Of", pages), gopdf.Right); err != nil {
				return nil, fmt.Errorf("document: page number: %w", err)
			}
		}
	}
	return sh.bytes()
}

// guideErrors are the codes whose messages the guide explains (by their
// titles, as the pages show them), in the order of a member's way through
// the portal; what each means is guide.error.CODE.
var guideErrors = []pforte.Code{
	pforte.InvalidCredentials, pforte.NotConfirmed, pforte.PasswordExpired, pforte.Throttled,
	pforte.Policy, pforte.InvalidEmail, pforte.TokenInvalid, pforte.SessionExpired,
	pforte.Forbidden, pforte.PINInvalid, pforte.PINLocked, pforte.BadRequest,
}
