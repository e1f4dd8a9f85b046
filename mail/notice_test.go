package mail_test

import (
	"strings"
	"testing"
	"time"

	"pforte/mail"
)

func TestSecurityNotices(t *testing.T) {
	at := time.Date(2025, 7, 1, 12, 5, 0, 0, time.UTC)
	for n, subject := range map[mail.Notice]string{
		mail.NoticeSecondFactorOn: "Zweiter Faktor eingeschaltet", mail.NoticeSecondFactorOff: "Zweiter Faktor ausgeschaltet",
		mail.NoticeSecondFactorReset: "zurückgesetzt", mail.NoticePasskeyAdded: "Neuer Passkey",
		mail.NoticePasskeyRemoved: "Passkey entfernt", mail.NoticeRecoveryCodeUsed: "Wiederherstellungscode benutzt",
		mail.NoticeRecoveryCodesNew: "Neue Wiederherstellungscodes", mail.NoticeEmailChanged: "Anmeldeadresse wurde geändert",
		mail.NoticeEmailTaken: "anderes Konto", mail.NoticeAccountDeleted: "Konto wurde gelöscht",
	} {
		m := composer.SecurityNotice("anna@example.de", n, at)
		if !strings.Contains(m.Subject, subject) || !strings.HasSuffix(m.Subject, "– Kundenportal") {
			t.Errorf("%s: subject %q", n, m.Subject)
		}
		for _, want := range []string{"Guten Tag,", "am Dienstag, 1. Juli 2025, um 14:05 Uhr (MESZ)", "Wenn Sie das nicht waren", "hilfe@example.de"} {
			if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
				t.Errorf("%s lacks %q", n, want)
			}
		}
		if strings.Contains(m.Text, "<no value>") || strings.Contains(m.HTML, "<no value>") {
			t.Errorf("%s: template hole", n)
		}
	}
	m := composer.EmailChange("neu@example.de", "https://portal.example.de/konto/email/bestaetigen?token=t1", 72*time.Hour)
	if !strings.Contains(m.Text, "https://portal.example.de/konto/email/bestaetigen?token=t1") || !strings.Contains(m.Text, "72 Stunden gültig") {
		t.Errorf("email change mail: %s", m.Text)
	}
}
