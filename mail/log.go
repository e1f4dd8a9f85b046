package mail

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
)

// LogSender "delivers" mails to the log, for development without an SMTP
// server: the operator (or developer) finds the confirmation and reset
// links there, and the outbox keeps the whole mail. It logs recipient,
// subject and links, never the rest of the body.
type LogSender struct {
	Log *slog.Logger // nil means slog.Default()
}

// Send logs m and never fails.
func (s LogSender) Send(ctx context.Context, m Message) error {
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	log.InfoContext(ctx, "mail delivered to the log (PFORTE_SMTP_URL unset)",
		"id", m.ID, "to", m.To, "subject", m.Subject, "links", Links(m.Text))
	return nil
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// Links returns every http(s) link in a mail's text, in order, without
// trailing punctuation of the sentence around it. Development logs and
// tests use it to follow links the way a user would.
func Links(text string) []string {
	var links []string
	for _, l := range linkPattern.FindAllString(text, -1) {
		links = append(links, strings.TrimRight(l, ".,;:!?)]}'“”„"))
	}
	return links
}
