package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"pforte/locale"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// Composer writes Pforte's mails, in German (formal "Sie") or English,
// every text from the catalog (locale/*/mail.toml). It holds what every
// mail repeats (the portal's name, its address and the contact for
// questions), so that callers only pass what differs.
type Composer struct {
	// Lang is the language of the mails ("" is German); In sets it.
	Lang locale.Lang

	BaseURL string // public URL of the portal, for the help and "Passwort vergessen" links
	Contact string // address shown for questions, PFORTE_CONTACT_EMAIL
	Product string // name of the portal as users know it, e.g. "Kundenportal der Handwerkskammer Musterstadt"
	// Chamber signs every mail, so that members see who writes to them
	// (a mail from an unnamed "team" looks like phishing).
	Chamber string
	// Colour is the chamber's colour (#rrggbb, PFORTE_CHAMBER_COLOUR) for
	// the HTML part's button and links; "" is the portal's blue.
	Colour string
}

// In is c writing in lang (the language the member last used).
func (c Composer) In(lang string) Composer {
	c.Lang, _ = locale.Parse(lang)
	return c
}

// lang is c's language, German unless set.
func (c Composer) lang() locale.Lang {
	if c.Lang == "" {
		return locale.German
	}
	return c.Lang
}

// Accent is the colour of buttons and links in the HTML part.
func (c Composer) Accent() string {
	if len(c.Colour) == 7 && c.Colour[0] == '#' && strings.Trim(c.Colour[1:], "0123456789abcdefABCDEF") == "" {
		return c.Colour
	}
	return "#0b5394"
}

// mailData is what the templates see; the Composer's fields come along.
type mailData struct {
	Composer
	Link      string // the mail's one main link, shown as a button and as plain text
	Action    string // label of Link
	Validity  string // how long Link works, e.g. "72 Stunden"
	When      string // a date (and time) the mail speaks of, in the mail's language
	HelpURL   string
	ForgotURL string     // the "Passwort vergessen" page
	Notice    noticeText // what a security notice says
	Lang      locale.Lang
}

// mailTemplate is one mail, parsed per language once for the text and once
// for the HTML part, each time together with the shared layout.
type mailTemplate map[locale.Lang]struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

var (
	confirmationMail      = parseMail("confirmation.tmpl")
	alreadyRegisteredMail = parseMail("already_registered.tmpl")
	resetMail             = parseMail("reset.tmpl")
	passwordChangedMail   = parseMail("password_changed.tmpl")
	inactiveNoticeMail    = parseMail("inactive_notice.tmpl")
)

func parseMail(name string) mailTemplate {
	files := []string{"templates/layout.tmpl", "templates/" + name}
	t := mailTemplate{}
	for _, l := range locale.Langs {
		funcs := mailFuncs(l)
		t[l] = struct {
			text *texttemplate.Template
			html *htmltemplate.Template
		}{
			text: texttemplate.Must(texttemplate.New(name).Funcs(funcs).ParseFS(templateFS, files...)),
			html: htmltemplate.Must(htmltemplate.New(name).Funcs(funcs).ParseFS(templateFS, files...)),
		}
	}
	return t
}

// mailFuncs are the template functions in language l: t fills message id
// from the mail's data; th is t for a message with markup, filled with
// the escaped values it may name.
func mailFuncs(l locale.Lang) map[string]any {
	cat := locale.Embedded()
	return map[string]any{
		"t": func(id string, d mailData) (string, error) {
			return cat.T(l, id, "Product", d.Product, "Validity", d.Validity,
				"When", d.When, "Contact", d.Contact, "Notice", d.Notice)
		},
		"th": func(id string, d mailData) (htmltemplate.HTML, error) {
			esc := htmltemplate.HTMLEscapeString
			s, err := cat.T(l, id, "Product", esc(d.Product), "When", esc(d.When), "ForgotURL", esc(d.ForgotURL), "Accent", d.Accent())
			return htmltemplate.HTML(s), err
		},
	}
}

// text is message id in c's language, for what a caller names (a link's label).
func (c Composer) text(id string) string { return locale.Embedded().Must(c.lang(), id) }

// Confirmation asks the new user to confirm the address by opening link,
// which works for ttl.
func (c Composer) Confirmation(to, link string, ttl time.Duration) Message {
	return c.compose(confirmationMail, to, mailData{
		Link: link, Action: c.text("mail.confirm.action"), Validity: locale.Duration(c.lang(), ttl),
	})
}

// AlreadyRegistered answers a registration with an address that already has
// an account. The registration page looks the same either way, so that it
// does not reveal who has an account; this mail tells only the owner.
func (c Composer) AlreadyRegistered(to, forgotURL string) Message {
	return c.compose(alreadyRegisteredMail, to, mailData{
		Link: forgotURL, Action: c.text("mail.forgot.action"),
	})
}

// Reset carries a link to set a new password, which works for ttl.
func (c Composer) Reset(to, link string, ttl time.Duration) Message {
	return c.compose(resetMail, to, mailData{
		Link: link, Action: c.text("mail.reset.action"), Validity: locale.Duration(c.lang(), ttl),
	})
}

// PasswordChanged tells the owner that the password was changed at the
// given time, so that a change by someone else does not go unnoticed
// (BSI IT-Grundschutz CON.10.A1).
func (c Composer) PasswordChanged(to string, at time.Time) Message {
	return c.compose(passwordChangedMail, to, mailData{
		Link: c.url("/passwort-vergessen"), Action: c.text("mail.forgot.action"), When: locale.DateTime(c.lang(), at),
	})
}

// InactiveNotice warns that an unused account will be deleted on deleteOn
// unless its owner logs in at loginURL before; data protection asks us not
// to keep accounts for ever, and fairness asks us to warn first. Such an
// account is usually an imported one whose old password no longer meets the
// policy: its login answers "password expired" and does not count, so the
// mail also shows the way through "Passwort vergessen" first.
func (c Composer) InactiveNotice(to string, deleteOn time.Time, loginURL string) Message {
	return c.compose(inactiveNoticeMail, to, mailData{
		Link: loginURL, Action: c.text("mail.inactive.action"), When: locale.Date(c.lang(), deleteOn),
	})
}

// InactiveNotices returns InactiveNotice for any address, rendered once:
// the notice is the same for every account but for its address, and
// `users notify-inactive` sends it to tens of thousands.
func (c Composer) InactiveNotices(deleteOn time.Time, loginURL string) func(to string) Message {
	m := c.InactiveNotice("", deleteOn, loginURL)
	return func(to string) Message {
		m := m
		m.To = to
		return m
	}
}

// compose renders one mail. The templates are embedded and fixed, so an
// execution error is a programming error that the tests catch: it panics.
func (c Composer) compose(t mailTemplate, to string, d mailData) Message {
	d.Composer = c
	d.HelpURL = c.url("/hilfe")
	d.ForgotURL = c.url("/passwort-vergessen")
	d.Lang = c.lang()
	var subject, text, html bytes.Buffer
	must(t[d.Lang].text.ExecuteTemplate(&subject, "subject", d))
	must(t[d.Lang].text.ExecuteTemplate(&text, "text-layout", d))
	must(t[d.Lang].html.ExecuteTemplate(&html, "html-layout", d))
	return Message{
		To:       to,
		Subject:  strings.Join(strings.Fields(subject.String()), " "),
		Text:     strings.TrimSpace(text.String()) + "\n",
		HTML:     html.String(),
		Language: string(d.Lang),
	}
}

func must(err error) {
	if err != nil {
		panic(fmt.Sprintf("mail: template: %v", err))
	}
}

func (c Composer) url(path string) string {
	return strings.TrimRight(c.BaseURL, "/") + path
}
