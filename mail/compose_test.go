package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"pforte/mail"
	"pforte/mail/smtptest"
)

var composer = mail.Composer{
	BaseURL: "https://portal.example.de/",
	Contact: "hilfe@example.de",
	Product: "Kundenportal",
}

// composed lists every mail the Composer writes, with what it must say.
func composed() []struct {
	name    string
	msg     mail.Message
	subject string // a part of the subject, umlauts included
	link    string
	says    []string // further phrases the text must contain
} {
	deleteOn := time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)
	changedAt := time.Date(2025, 7, 1, 12, 5, 0, 0, time.UTC)
	return []struct {
		name    string
		msg     mail.Message
		subject string
		link    string
		says    []string
	}{
		{"confirmation",
			composer.Confirmation("anna@example.de", "https://portal.example.de/bestaetigen/tok1", 72*time.Hour),
			"bestätigen", "https://portal.example.de/bestaetigen/tok1",
			[]string{"72 Stunden gültig", "Falls Sie sich nicht registriert haben, können Sie diese Mail ignorieren"}},
		{"already registered",
			composer.AlreadyRegistered("anna@example.de", "https://portal.example.de/passwort-vergessen"),
			"Registrierung mit Ihrer E-Mail-Adresse", "https://portal.example.de/passwort-vergessen",
			[]string{"bereits ein Konto", "Passwort vergessen", "Wenn Sie das nicht waren"}},
		{"reset",
			composer.Reset("anna@example.de", "https://portal.example.de/passwort-neu/tok2", time.Hour),
			"Neues Passwort festlegen", "https://portal.example.de/passwort-neu/tok2",
			[]string{"1 Stunde gültig", "Ihr Passwort bleibt dann unverändert"}},
		{"password changed",
			composer.PasswordChanged("anna@example.de", changedAt),
			"Ihr Passwort wurde geändert", "https://portal.example.de/passwort-vergessen",
			[]string{"am Dienstag, 1. Juli 2025, um 14:05 Uhr (MESZ) geändert", "„Passwort vergessen“", "hilfe@example.de"}},
		{"inactive notice",
			composer.InactiveNotice("anna@example.de", deleteOn, "https://portal.example.de/anmelden"),
			"gelöscht", "https://portal.example.de/anmelden",
			[]string{"Montag, 3. März 2025", "melden Sie sich bitte vor dem Montag, 3. März 2025 einmal an",
				"neue Passwortregeln", "zuerst über „Passwort vergessen“ ein neues Passwort fest und melden Sie sich danach damit an",
				"Passwort vergessen:\nhttps://portal.example.de/passwort-vergessen"}},
	}
}

func TestComposer(t *testing.T) {
	for _, c := range composed() {
		t.Run(c.name, func(t *testing.T) {
			m := c.msg
			if m.To != "anna@example.de" {
				t.Errorf("To = %q", m.To)
			}
			if !strings.Contains(m.Subject, c.subject) || !strings.HasSuffix(m.Subject, "– Kundenportal") {
				t.Errorf("Subject = %q, want it to contain %q and end with the product", m.Subject, c.subject)
			}
			if links := mail.Links(m.Text); len(links) == 0 || links[0] != c.link {
				t.Errorf("text links = %q, want %q first", links, c.link)
			}
			for _, want := range append(c.says, "Guten Tag,", "Kundenportal", "hilfe@example.de", "https://portal.example.de/hilfe") {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text lacks %q:\n%s", want, m.Text)
				}
			}
			for _, want := range []string{`href="` + c.link + `"`, ">" + c.link + "</a>", `lang="de"`, "mailto:hilfe@example.de"} {
				if !strings.Contains(m.HTML, want) {
					t.Errorf("HTML lacks %q:\n%s", want, m.HTML)
				}
			}
			if strings.Contains(m.Text, "<") || strings.Contains(m.Text, "{{") || strings.Contains(m.HTML, "{{") {
				t.Errorf("markup or template syntax leaked:\n%s\n%s", m.Text, m.HTML)
			}
		})
	}
}

func TestComposerEscapesHTMLOnly(t *testing.T) {
	c := mail.Composer{BaseURL: "https://p.example", Contact: "a@example.de", Product: "Portal <b>&</b>"}
	m := c.Reset("x@example.de", "https://p.example/neu?t=1&u=2", 30*time.Minute)
	if !strings.Contains(m.HTML, "Portal &lt;b&gt;&amp;&lt;/b&gt;") || strings.Contains(m.HTML, "<b>&</b>") {
		t.Errorf("HTML does not escape the product name:\n%s", m.HTML)
	}
	if !strings.Contains(m.HTML, `href="https://p.example/neu?t=1&amp;u=2"`) {
		t.Errorf("HTML does not escape the link:\n%s", m.HTML)
	}
	if !strings.Contains(m.Text, "Portal <b>&</b>") || !strings.Contains(m.Text, "https://p.example/neu?t=1&u=2") {
		t.Errorf("text part must stay unescaped:\n%s", m.Text)
	}
	if !strings.Contains(m.Text, "30 Minuten gültig") {
		t.Errorf("text lacks validity:\n%s", m.Text)
	}
}

// TestComposedMailsArrive sends every mail over SMTP and reads it back as a
// mail program would: subject umlauts, text and HTML must arrive intact.
func TestComposedMailsArrive(t *testing.T) {
	srv := smtptest.Start(t)
	sender, err := mail.NewSMTPSender(srv.URL(), "Kundenportal <no-reply@example.de>")
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range composed() {
		if err := sender.Send(context.Background(), c.msg); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := srv.Wait(t, i+1, 5*time.Second)[i]
		if got.Subject != c.msg.Subject {
			t.Errorf("%s: subject = %q, want %q", c.name, got.Subject, c.msg.Subject)
		}
		if crlf(got.Text) != c.msg.Text {
			t.Errorf("%s: text = %q, want %q", c.name, got.Text, c.msg.Text)
		}
		if crlf(got.HTML) != crlf(c.msg.HTML) {
			t.Errorf("%s: HTML changed on the way:\n%s", c.name, got.HTML)
		}
		if links := smtptest.Links(got.Text); len(links) == 0 || links[0] != c.link {
			t.Errorf("%s: links = %q, want %q", c.name, links, c.link)
		}
	}
}

func crlf(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// TestInactiveNoticeShowsPasswordReset: an account inactive that long is
// usually imported with an expired password, whose login does not count;
// the notice must lead through "Passwort vergessen", in both parts.
func TestInactiveNoticeShowsPasswordReset(t *testing.T) {
	m := composer.InactiveNotice("anna@example.de", time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC), "https://portal.example.de/anmelden")
	forgot := "https://portal.example.de/passwort-vergessen"
	if links := mail.Links(m.Text); len(links) < 2 || links[0] != "https://portal.example.de/anmelden" || links[1] != forgot {
		t.Errorf("text links = %q, want the login, then %s", links, forgot)
	}
	for _, want := range []string{`href="` + forgot + `"`, "vor dem Montag, 3. März 2025</strong> einmal an", "„Passwort vergessen“</a> ein neues Passwort fest"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML lacks %q:\n%s", want, m.HTML)
		}
	}
	if strings.Contains(m.Text, "vorher einmal an") {
		t.Errorf("text still says only \"vorher einmal an\":\n%s", m.Text)
	}
}

// TestInactiveNoticesRenderedOnce: the notice rendered once for many
// addresses is, for each, the notice rendered for that address alone.
func TestInactiveNoticesRenderedOnce(t *testing.T) {
	on, login := time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC), "https://portal.example.de/anmelden"
	notices := composer.InactiveNotices(on, login)
	for _, to := range []string{"anna@example.de", "bernd.müller@example.de"} {
		if got, want := notices(to), composer.InactiveNotice(to, on, login); got != want {
			t.Errorf("notice to %s:\n%+v\nwant\n%+v", to, got, want)
		}
	}
}

// TestMailsNameTheChamber: subject, text and signature say which chamber
// writes, instead of an unnamed team.
func TestMailsNameTheChamber(t *testing.T) {
	c := mail.Composer{BaseURL: "https://portal.example.de/", Contact: "hilfe@example.de",
		Product: "Kundenportal der Handwerkskammer Musterstadt", Chamber: "Handwerkskammer Musterstadt"}
	m := c.Confirmation("anna@example.de", "https://portal.example.de/x", time.Hour)
	if !strings.Contains(m.Subject, "Kundenportal der Handwerkskammer Musterstadt") {
		t.Errorf("subject: %q", m.Subject)
	}
	for name, body := range map[string]string{"text": m.Text, "html": m.HTML} {
		if strings.Contains(body, "-Team") || !strings.Contains(body, "Mit freundlichen Grüßen") ||
			!strings.Contains(body, "Registrierung im Kundenportal der Handwerkskammer Musterstadt") {
			t.Errorf("%s: %s", name, body)
		}
	}
	if !strings.Contains(m.Text, "Mit freundlichen Grüßen\nHandwerkskammer Musterstadt\nKundenportal") {
		t.Errorf("signature: %s", m.Text)
	}
	// The HTML part's button has the chamber's colour.
	c.Colour = "#7a1f2b"
	if m := c.Confirmation("anna@example.de", "https://portal.example.de/x", time.Hour); !strings.Contains(m.HTML, "background:#7a1f2b") || strings.Contains(m.HTML, "0b5394") {
		t.Errorf("colour: %s", m.HTML)
	}
}
