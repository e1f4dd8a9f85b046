package mail

import (
	"time"

	"pforte"
)

// Notice is a security event the owner of an account is told of by mail,
// so that a change by someone else does not go unnoticed.
type Notice string

// The notices (CONTRACT §7).
const (
	NoticeSecondFactorOn    Notice = "second-factor-on"
	NoticeSecondFactorOff   Notice = "second-factor-off"
	NoticeSecondFactorReset Notice = "second-factor-reset"
	NoticePasskeyAdded      Notice = "passkey-added"
	NoticePasskeyRemoved    Notice = "passkey-removed"
	NoticeRecoveryCodeUsed  Notice = "recovery-code-used"
	NoticeRecoveryCodesNew  Notice = "recovery-codes-new"
	NoticeEmailChanged      Notice = "email-changed"
	NoticeEmailTaken        Notice = "email-taken"
	NoticeAccountDeleted    Notice = "account-deleted"
	// Sent with the reset of the password when passkeys added shortly
	// before were removed, and when a new login address is asked for.
	NoticeRecentPasskeysRemoved Notice = "recent-passkeys-removed"
	NoticeEmailChangeAsked      Notice = "email-change-asked"
)

// noticeText is what a notice mail says: its subject, what happened, and
// what to do if the owner did not do it.
type noticeText struct {
	Subject  string
	What     string
	IfNotYou string
	// Link names the page the mail links to: "" none, else a path.
	Link, Action string
}

const secureAccount = "ändern Sie bitte sofort Ihr Passwort über „Passwort vergessen“ und prüfen Sie unter „Mein Konto“ › „Sicherheit“ Ihre Sitzungen und Anmeldeverfahren."

var notices = map[Notice]noticeText{
	NoticeSecondFactorOn: {"Zweiter Faktor eingeschaltet",
		"für Ihr Konto wurde die Anmeldung mit zweitem Faktor (Code aus einer Authenticator-App) eingeschaltet.",
		secureAccount, "/konto/sicherheit", "Sicherheit Ihres Kontos"},
	NoticeSecondFactorOff: {"Zweiter Faktor ausgeschaltet",
		"für Ihr Konto wurde die Anmeldung mit Code aus der Authenticator-App ausgeschaltet.",
		secureAccount, "/passwort-vergessen", "Passwort vergessen"},
	NoticeSecondFactorReset: {"Zweiter Faktor zurückgesetzt",
		"auf Ihre Bitte hat unser Service den zweiten Faktor Ihres Kontos zurückgesetzt: Authenticator-App, Wiederherstellungscodes und Passkeys sind entfernt. Sie melden sich jetzt nur mit Ihrem Passwort an und können unter „Mein Konto“ › „Sicherheit“ einen neuen zweiten Faktor einrichten.",
		secureAccount, "/konto/sicherheit", "Sicherheit Ihres Kontos"},
	NoticePasskeyAdded: {"Neuer Passkey hinzugefügt",
		"für Ihr Konto wurde ein neuer Passkey hinzugefügt. Mit ihm kann man sich ohne Passwort anmelden.",
		"entfernen Sie den Passkey bitte sofort unter „Mein Konto“ › „Sicherheit“ und ändern Sie Ihr Passwort über „Passwort vergessen“.",
		"/konto/sicherheit", "Sicherheit Ihres Kontos"},
	NoticePasskeyRemoved: {"Passkey entfernt",
		"von Ihrem Konto wurde ein Passkey entfernt.",
		secureAccount, "/konto/sicherheit", "Sicherheit Ihres Kontos"},
	NoticeRecoveryCodeUsed: {"Wiederherstellungscode benutzt",
		"bei der Anmeldung in Ihr Konto wurde einer Ihrer Wiederherstellungscodes benutzt. Er gilt nun nicht mehr. Haben Sie nur noch wenige Codes, erzeugen Sie unter „Mein Konto“ › „Sicherheit“ neue.",
		secureAccount, "/konto/sicherheit", "Sicherheit Ihres Kontos"},
	NoticeRecoveryCodesNew: {"Neue Wiederherstellungscodes",
		"für Ihr Konto wurden neue Wiederherstellungscodes erzeugt. Die bisherigen gelten nicht mehr.",
		secureAccount, "/konto/sicherheit", "Sicherheit Ihres Kontos"},
	NoticeEmailChanged: {"Ihre Anmeldeadresse wurde geändert",
		"die Anmeldeadresse Ihres Kontos wurde von dieser E-Mail-Adresse auf eine andere geändert. An diese Adresse schicken wir künftig keine Mails mehr.",
		"melden Sie sich bitte sofort bei uns: Wir helfen Ihnen, wieder an Ihr Konto zu kommen.", "", ""},
	NoticeEmailTaken: {"Ihre E-Mail-Adresse sollte für ein anderes Konto verwendet werden",
		"jemand wollte diese E-Mail-Adresse als neue Anmeldeadresse eines anderen Kontos im Portal eintragen. Da Sie mit dieser Adresse schon ein Konto haben, ist nichts geändert worden.",
		"können Sie diese Mail ignorieren; Ihr Konto ist davon nicht berührt.", "", ""},
	NoticeRecentPasskeysRemoved: {"Neue Passkeys entfernt",
		"mit dem neuen Passwort haben wir die Passkeys entfernt, die in den 12 Stunden davor zu Ihrem Konto hinzugefügt worden waren: Hätte jemand Fremdes sie hinzugefügt, kämen sie sonst weiter in Ihr Konto. Haben Sie selbst einen davon hinzugefügt, fügen Sie ihn bitte unter „Mein Konto“ › „Sicherheit“ neu hinzu.",
		"prüfen Sie bitte unter „Mein Konto“ › „Sicherheit“ Ihre Sitzungen und Anmeldeverfahren.", "/konto/sicherheit", "Sicherheit Ihres Kontos"},
	NoticeEmailChangeAsked: {"Neue Anmeldeadresse beantragt",
		"für Ihr Konto wurde eine neue Anmeldeadresse beantragt. Geändert wird sie erst, wenn jemand den Link in der Mail an die neue Adresse öffnet.",
		"legen Sie bitte sofort über „Passwort vergessen“ ein neues Passwort fest: Damit wird die beantragte Änderung ungültig. Prüfen Sie danach unter „Mein Konto“ › „Sicherheit“ Ihre Sitzungen.",
		"/passwort-vergessen", "Passwort vergessen"},
	NoticeAccountDeleted: {"Ihr Konto wurde gelöscht",
		"Ihr Konto wurde auf Ihren Wunsch gelöscht, mit allen Daten, die wir dazu gespeichert hatten. Sie können sich jederzeit mit dieser Adresse neu registrieren.",
		"melden Sie sich bitte sofort bei uns.", "", ""},
}

var noticeMail = parseMail("security_notice.tmpl")
var emailChangeMail = parseMail("email_change.tmpl")

// SecurityNotice tells the owner at to of the event n at the given time.
func (c Composer) SecurityNotice(to string, n Notice, at time.Time) Message {
	t, ok := notices[n]
	if !ok {
		panic("mail: unknown notice " + string(n))
	}
	d := mailData{When: pforte.GermanDateTime(at), Notice: t, Action: t.Action}
	if t.Link != "" {
		d.Link = c.url(t.Link)
	}
	return c.compose(noticeMail, to, d)
}

// EmailChange asks the owner of a new address to confirm it as the login
// address by opening link, which works for ttl.
func (c Composer) EmailChange(to, link string, ttl time.Duration) Message {
	return c.compose(emailChangeMail, to, mailData{
		Link: link, Action: "Neue E-Mail-Adresse bestätigen", Validity: pforte.GermanDuration(ttl),
	})
}
