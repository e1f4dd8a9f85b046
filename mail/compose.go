package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"pforte"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// Composer writes Pforte's mails, in German and with the formal "Sie". It
// holds what every mail repeats (the portal's name, its address and the
// contact for questions), so that callers only pass what differs.
type Composer struct {
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
	When      string // a German date (and time) the mail speaks of
	HelpURL   string
	ForgotURL string     // the "Passwort vergessen" page
	Notice    noticeText // what a security notice says
}

// mailTemplate is one mail, parsed once for the text and once for the HTML
// part, each time together with the shared layout.
type mailTemplate struct {
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
	return mailTemplate{
		text: texttemplate.Must(texttemplate.New(name).ParseFS(templateFS, files...)),
		html: htmltemplate.Must(htmltemplate.New(name).ParseFS(templateFS, files...)),
	}
}

// Confirmation asks the new user to confirm the address by opening link,
// which works for ttl.
func (c Composer) Confirmation(to, link string, ttl time.Duration) Message {
	return c.compose(confirmationMail, to, mailData{
		Link: link, Action: "E-Mail-Adresse bestätigen", Validity: pforte.GermanDuration(ttl),
	})
}

// AlreadyRegistered answers a registration with an address that already has
// an account. The registration page looks the same either way, so that it
// does not reveal who has an account; this mail tells only the owner.
func (c Composer) AlreadyRegistered(to, forgotURL string) Message {
	return c.compose(alreadyRegisteredMail, to, mailData{
		Link: forgotURL, Action: "Passwort vergessen",
	})
}

// Reset carries a link to set a new password, which works for ttl.
func (c Composer) Reset(to, link string, ttl time.Duration) Message {
	return c.compose(resetMail, to, mailData{
		Link: link, Action: "Neues Passwort festlegen", Validity: pforte.GermanDuration(ttl),
	})
}

// PasswordChanged tells the owner that the password was changed at the
// given time, so that a change by someone else does not go unnoticed
// (BSI IT-Grundschutz CON.10.A1).
func (c Composer) PasswordChanged(to string, at time.Time) Message {
	return c.compose(passwordChangedMail, to, mailData{
		Link: c.url("/passwort-vergessen"), Action: "Passwort vergessen", When: pforte.GermanDateTime(at),
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
		Link: loginURL, Action: "Jetzt anmelden", When: pforte.GermanDate(deleteOn),
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
	var subject, text, html bytes.Buffer
	must(t.text.ExecuteTemplate(&subject, "subject", d))
	must(t.text.ExecuteTemplate(&text, "text-layout", d))
	must(t.html.ExecuteTemplate(&html, "html-layout", d))
	return Message{
		To:      to,
		Subject: strings.Join(strings.Fields(subject.String()), " "),
		Text:    strings.TrimSpace(text.String()) + "\n",
		HTML:    html.String(),
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
