package mail_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"pforte/mail"
	"pforte/mail/smtptest"
)

// germanWords would betray a German text in an English mail.
var germanWords = regexp.MustCompile(`\b(Sie|Ihr|Ihre|und|der|die|das|nicht|Passwort|Konto|Guten|Grüßen|gültig|Stunden|Uhr)\b`)

// Every mail exists in English: subject, text and HTML part, the dates
// and durations in English words, with Content-Language en on the wire.
func TestEveryMailInEnglish(t *testing.T) {
	en := composer.In("en")
	at := time.Date(2025, 3, 3, 13, 5, 0, 0, time.UTC)
	mails := map[string]mail.Message{
		"confirmation":       en.Confirmation("a@example.de", "https://portal.example.de/c", 72*time.Hour),
		"already registered": en.AlreadyRegistered("a@example.de", "https://portal.example.de/f"),
		"reset":              en.Reset("a@example.de", "https://portal.example.de/r", time.Hour),
		"password changed":   en.PasswordChanged("a@example.de", at),
		"inactive":           en.InactiveNotice("a@example.de", at, "https://portal.example.de/anmelden"),
		"email change":       en.EmailChange("a@example.de", "https://portal.example.de/e", 72*time.Hour),
	}
	for _, n := range []mail.Notice{mail.NoticeSecondFactorOn, mail.NoticeSecondFactorOff, mail.NoticeSecondFactorReset,
		mail.NoticePasskeyAdded, mail.NoticePasskeyRemoved, mail.NoticeRecoveryCodeUsed, mail.NoticeRecoveryCodesNew,
		mail.NoticeEmailChanged, mail.NoticeEmailTaken, mail.NoticeAccountDeleted} {
		mails["notice "+string(n)] = en.SecurityNotice("a@example.de", n, at)
	}
	for name, m := range mails {
		if m.Language != "en" {
			t.Errorf("%s: Language %q", name, m.Language)
		}
		// The product name is the chamber's own (German) name: leave it out.
		for part, text := range map[string]string{"subject": m.Subject, "text": m.Text, "html": m.HTML} {
			text = strings.ReplaceAll(text, composer.Product, "")
			if w := germanWords.FindString(text); w != "" {
				t.Errorf("%s: German %q in the %s:\n%s", name, w, part, text)
			}
		}
		if !strings.HasPrefix(m.Text, "Hello,\n") || !strings.Contains(m.Text, "Kind regards") || !strings.Contains(m.HTML, `<html lang="en">`) {
			t.Errorf("%s: not the English frame:\n%s", name, m.Text)
		}
	}
	if s := mails["password changed"].Text; !strings.Contains(s, "Monday, 3 March 2025, 14:05 (CET)") {
		t.Errorf("English date: %s", s)
	}
	if s := mails["confirmation"].Text; !strings.Contains(s, "The link is valid for 72 hours.") {
		t.Errorf("English duration: %s", s)
	}
	// German stays the default.
	if m := composer.Reset("a@example.de", "l", time.Hour); m.Language != "de" || !strings.HasPrefix(m.Text, "Guten Tag,") {
		t.Errorf("default mail: %q %q", m.Language, m.Text[:20])
	}
	if composer.In("xx").Reset("a@example.de", "l", time.Hour).Language != "de" {
		t.Error("an unknown language must write German")
	}
}

// The SMTP sender sets Content-Language from the mail's language.
func TestContentLanguageOnTheWire(t *testing.T) {
	srv := smtptest.Start(t)
	s, err := mail.NewSMTPSender(srv.URL(), "Pforte <no-reply@example.de>")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "de"} {
		to := lang + "@example.de"
		if err := s.Send(context.Background(), composer.In(lang).Reset(to, "https://portal.example.de/r", time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := srv.WaitFor(t, to, 5*time.Second).Header.Get("Content-Language"); got != lang {
			t.Errorf("%s mail: Content-Language %q", lang, got)
		}
	}
}
