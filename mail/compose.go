package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
	_ "time/tzdata" // Europe/Berlin must work on hosts without a zoneinfo database.
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// Composer writes Pforte's mails, in German and with the formal "Sie". It
// holds what every mail repeats (the portal's name, its address and the
// contact for questions), so that callers only pass what differs.
type Composer struct {
	BaseURL string // public URL of the portal, for the help and "Passwort vergessen" links
	Contact string // address shown for questions, PFORTE_CONTACT_EMAIL
	Product string // name of the portal as users know it, e.g. "Kundenportal"
}

// mailData is what the templates see; the Composer's fields come along.
type mailData struct {
	Composer
	Link     string // the mail's one main link, shown as a button and as plain text
	Action   string // label of Link
	Validity string // how long Link works, e.g. "72 Stunden"
	When     string // a German date (and time) the mail speaks of
	HelpURL  string
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
		Link: link, Action: "E-Mail-Adresse bestätigen", Validity: GermanDuration(ttl),
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
		Link: link, Action: "Neues Passwort festlegen", Validity: GermanDuration(ttl),
	})
}

// PasswordChanged tells the owner that the password was changed at the
// given time, so that a change by someone else does not go unnoticed
// (BSI IT-Grundschutz CON.10.A1).
func (c Composer) PasswordChanged(to string, at time.Time) Message {
	return c.compose(passwordChangedMail, to, mailData{
		Link: c.url("/passwort-vergessen"), Action: "Passwort vergessen", When: GermanDateTime(at),
	})
}

// InactiveNotice warns that an unused account will be deleted on deleteOn
// unless its owner logs in at loginURL before; data protection asks us not
// to keep accounts for ever, and fairness asks us to warn first.
func (c Composer) InactiveNotice(to string, deleteOn time.Time, loginURL string) Message {
	return c.compose(inactiveNoticeMail, to, mailData{
		Link: loginURL, Action: "Jetzt anmelden", When: GermanDate(deleteOn),
	})
}

// compose renders one mail. The templates are embedded and fixed, so an
// execution error is a programming error that the tests catch: it panics.
func (c Composer) compose(t mailTemplate, to string, d mailData) Message {
	d.Composer = c
	d.HelpURL = c.url("/hilfe")
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

// berlin is the time zone our users read dates in; UTC only if the zone
// database is somehow missing.
var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.UTC
	}
	return loc
}()

var (
	germanWeekdays = [...]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"}
	germanMonths   = [...]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}
)

// GermanDate writes t as a German reads it, in Berlin time:
// "Montag, 3. März 2025".
func GermanDate(t time.Time) string {
	t = t.In(berlin)
	return fmt.Sprintf("%s, %d. %s %d", germanWeekdays[t.Weekday()], t.Day(), germanMonths[t.Month()-1], t.Year())
}

// GermanDateTime writes t with date, time and zone, in Berlin time:
// "Montag, 3. März 2025, um 14:05 Uhr (MEZ)".
func GermanDateTime(t time.Time) string {
	t = t.In(berlin)
	zone, _ := t.Zone()
	switch zone {
	case "CET":
		zone = "MEZ"
	case "CEST":
		zone = "MESZ"
	}
	return fmt.Sprintf("%s, um %s Uhr (%s)", GermanDate(t), t.Format("15:04"), zone)
}

// GermanDuration writes how long a link works: "72 Stunden", "1 Stunde",
// "30 Minuten", "1 Stunde und 30 Minuten". Parts of a minute count as a
// whole one (90 s reads "2 Minuten"); link lifetimes are whole minutes or
// hours in practice, so this never promises time that is not there.
func GermanDuration(d time.Duration) string {
	minutes := int64((d + time.Minute - 1) / time.Minute)
	if minutes < 1 {
		minutes = 1
	}
	hours, minutes := minutes/60, minutes%60
	var parts []string
	if hours > 0 {
		parts = append(parts, plural(hours, "Stunde", "Stunden"))
	}
	if minutes > 0 {
		parts = append(parts, plural(minutes, "Minute", "Minuten"))
	}
	return strings.Join(parts, " und ")
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
