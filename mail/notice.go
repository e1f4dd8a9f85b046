package mail

import (
	"time"

	"pforte/locale"
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
// what to do if the owner did not do it (texts in the mail's language).
type noticeText struct {
	Subject  string
	What     string
	IfNotYou string
}

// noticeLinks names the page each notice links to ("" none) and its
// label; the texts are mail.notice.NOTICE.subject, .what and .if-not
// (default: mail.notice.secure-account) in the catalog.
var noticeLinks = map[Notice]struct{ Link, Action string }{
	NoticeSecondFactorOn:        {"/konto/sicherheit", "mail.notice.security-action"},
	NoticeSecondFactorOff:       {"/passwort-vergessen", "mail.forgot.action"},
	NoticeSecondFactorReset:     {"/konto/sicherheit", "mail.notice.security-action"},
	NoticePasskeyAdded:          {"/konto/sicherheit", "mail.notice.security-action"},
	NoticePasskeyRemoved:        {"/konto/sicherheit", "mail.notice.security-action"},
	NoticeRecoveryCodeUsed:      {"/konto/sicherheit", "mail.notice.security-action"},
	NoticeRecoveryCodesNew:      {"/konto/sicherheit", "mail.notice.security-action"},
	NoticeEmailChanged:          {},
	NoticeEmailTaken:            {},
	NoticeAccountDeleted:        {},
	NoticeRecentPasskeysRemoved: {"/konto/sicherheit", "mail.notice.security-action"},
	NoticeEmailChangeAsked:      {"/passwort-vergessen", "mail.forgot.action"},
}

var noticeMail = parseMail("security_notice.tmpl")
var emailChangeMail = parseMail("email_change.tmpl")

// SecurityNotice tells the owner at to of the event n at the given time.
func (c Composer) SecurityNotice(to string, n Notice, at time.Time) Message {
	l, ok := noticeLinks[n]
	if !ok {
		panic("mail: unknown notice " + string(n))
	}
	key := "mail.notice." + string(n)
	ifNot := key + ".if-not"
	if !locale.Embedded().Has(c.lang(), ifNot) {
		ifNot = "mail.notice.secure-account"
	}
	d := mailData{When: locale.DateTime(c.lang(), at),
		Notice: noticeText{Subject: c.text(key + ".subject"), What: c.text(key + ".what"), IfNotYou: c.text(ifNot)}}
	if l.Link != "" {
		d.Link, d.Action = c.url(l.Link), c.text(l.Action)
	}
	return c.compose(noticeMail, to, d)
}

// EmailChange asks the owner of a new address to confirm it as the login
// address by opening link, which works for ttl.
func (c Composer) EmailChange(to, link string, ttl time.Duration) Message {
	return c.compose(emailChangeMail, to, mailData{
		Link: link, Action: c.text("mail.email-change.action"), Validity: locale.Duration(c.lang(), ttl),
	})
}
