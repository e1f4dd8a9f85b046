// Package mail composes Pforte's German mails and delivers them: a durable
// outbox (kept by the store, behind Queue) and a worker that hands each mail
// to a Sender, over SMTP in production or to the log in development.
package mail

import (
	"context"
	"errors"
	"time"
)

// Message is one mail of the outbox: a text part and an HTML part in
// Language ("de", "en"; "" is German), its Content-Language.
type Message struct {
	ID       int64
	To       string
	Subject  string
	Text     string
	HTML     string
	Attempts int
	Language string
}

// Queue is the durable outbox. Claim leases the oldest due message for
// lease, so that several workers (in several processes) never deliver the
// same message at once; ok is false when nothing is due. The claimed
// message's Attempts counts this delivery attempt too.
//
// MarkFailed records a failed attempt and makes the message due again at
// next. A zero next means "give up": the message stays in the outbox for
// the operator (with reason) but is never claimed again.
type Queue interface {
	Claim(ctx context.Context, now time.Time, lease time.Duration) (m Message, ok bool, err error)
	MarkSent(ctx context.Context, id int64, now time.Time) error
	MarkFailed(ctx context.Context, id int64, next time.Time, reason string) error
	Depth(ctx context.Context) (int, error)
}

// Sender delivers one message; an error means it may be retried.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrPermanent marks a delivery error that the receiving server declared
// final (an SMTP 5xx answer to the mail itself), so that the Worker can
// stop retrying it after MaxAttempts instead of knocking at a closed door
// for ever. Test with errors.Is.
var ErrPermanent = errors.New("permanent delivery failure")
