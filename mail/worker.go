package mail

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Worker empties the outbox: it claims due messages from Queue and hands
// them to Sender, retrying failures with growing pauses, so that a request
// never waits for (or fails with) the mail server. Several workers, also in
// several processes, may share one Queue. The zero values of the optional
// fields are sensible defaults.
type Worker struct {
	Queue  Queue
	Sender Sender
	Log    *slog.Logger // nil means slog.Default()
	// Lease is how long a claimed message is reserved for this worker; if
	// the process dies while sending, another worker takes it over after
	// that. Zero means 2 minutes. It also bounds one delivery.
	Lease time.Duration
	// Poll is how often the worker looks for due messages (retries, mails
	// queued by other processes) when nobody calls Wake. Zero means 10s.
	Poll time.Duration
	// MaxAttempts is how often a message the server refused permanently
	// (SMTP 5xx) is tried before the worker gives up on it; temporary
	// failures are retried for ever, at most an hour apart. Zero means 5.
	MaxAttempts int
	// Now is the clock, replaceable in tests. Nil means time.Now.
	Now func() time.Time
	// RetryBase is the pause before the first retry (PFORTE_MAIL_RETRY);
	// it doubles with each attempt up to an hour. Zero means 30s.
	RetryBase time.Duration

	wakeOnce sync.Once
	wake     chan struct{}
}

// Retry pauses: the first retry after retryBase, doubling up to retryMax.
const (
	retryBase = 30 * time.Second
	retryMax  = time.Hour
)

// backoff is the pause before the next attempt after attempts failed ones:
// base, 2·base, 4·base, … at most retryMax (with the default base 30s, 1m,
// 2m, 4m, …).
func backoff(base time.Duration, attempts int) time.Duration {
	if attempts < 1 {
		attempts = 1
	}
	if attempts > 20 { // far beyond the cap; avoids overflow
		return retryMax
	}
	return min(base<<(attempts-1), retryMax)
}

// Wake tells the worker that a message was just queued, so that it goes out
// at once instead of at the next poll. It never blocks; nudges while the
// worker is busy collapse into one.
func (w *Worker) Wake() {
	select {
	case w.wakeChan() <- struct{}{}:
	default:
	}
}

func (w *Worker) wakeChan() chan struct{} {
	w.wakeOnce.Do(func() { w.wake = make(chan struct{}, 1) })
	return w.wake
}

// Run delivers due messages until ctx is done. A mail already handed to the
// Sender is finished (within Lease) before Run returns, so that a shutdown
// does not send it twice. Run returns nil when ctx ends; errors of the
// Queue are logged and retried at the next poll, not returned.
func (w *Worker) Run(ctx context.Context) error {
	if w.Queue == nil || w.Sender == nil {
		return errors.New("mail: Worker needs a Queue and a Sender")
	}
	poll := w.Poll
	if poll <= 0 {
		poll = 10 * time.Second
	}
	wake := w.wakeChan()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-timer.C:
		}
		for ctx.Err() == nil {
			if !w.deliverOne(ctx) {
				break
			}
		}
		timer.Reset(poll)
	}
}

// deliverOne claims and delivers one due message; it reports whether there
// may be more to do right away.
func (w *Worker) deliverOne(ctx context.Context) bool {
	log := w.log()
	lease := w.Lease
	if lease <= 0 {
		lease = 2 * time.Minute
	}
	// Bounded, so that a database that stopped answering holds the
	// worker no longer than a delivery; it tries again at the next poll.
	start := w.now()
	claimCtx, cancelClaim := context.WithTimeout(ctx, lease)
	m, ok, err := w.Queue.Claim(claimCtx, start, lease)
	cancelClaim()
	if err != nil {
		if ctx.Err() == nil {
			log.ErrorContext(ctx, "mail outbox: claim failed", "err", err)
		}
		return false
	}
	if !ok {
		return false
	}

	// The mail is in hand: finish it even if ctx ends now, within the
	// lease, which ran from before the claim. The delivery gets at most
	// three quarters of it, so that recording the outcome ends before
	// another worker may take the mail over; a claim that itself took
	// that long (a stalled database) leaves the mail for later.
	sendFor := start.Add(lease * 3 / 4).Sub(w.now())
	if sendFor <= 0 {
		log.WarnContext(ctx, "mail outbox: claim took most of the lease, left for later", "id", m.ID)
		return false
	}
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendFor)
	defer cancel()
	recordCtx, cancelRecord := context.WithTimeout(context.WithoutCancel(ctx), sendFor+lease/4)
	defer cancelRecord()
	if err := w.Sender.Send(sendCtx, m); err != nil {
		w.failed(recordCtx, m, err)
		return true
	}
	if err := w.Queue.MarkSent(recordCtx, m.ID, w.now()); err != nil {
		// The lease runs out and the mail goes out again: a duplicate is
		// better than a lost confirmation link.
		log.ErrorContext(ctx, "mail outbox: mark sent failed", "id", m.ID, "err", err)
		return false
	}
	return true
}

func (w *Worker) failed(ctx context.Context, m Message, sendErr error) {
	maxAttempts := w.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 5
	}
	var next time.Time // zero: give up, see Queue
	if !errors.Is(sendErr, ErrPermanent) || m.Attempts < maxAttempts {
		base := w.RetryBase
		if base <= 0 {
			base = retryBase
		}
		next = w.now().Add(backoff(base, m.Attempts))
	}
	// Never the body: it holds links that log in or set a password.
	args := []any{"id", m.ID, "to", m.To, "attempts", m.Attempts, "err", sendErr}
	if next.IsZero() {
		w.log().WarnContext(ctx, "mail delivery failed permanently, giving up", args...)
	} else {
		w.log().WarnContext(ctx, "mail delivery failed, will retry", append(args, "next", next)...)
	}
	if err := w.Queue.MarkFailed(ctx, m.ID, next, sendErr.Error()); err != nil {
		w.log().ErrorContext(ctx, "mail outbox: mark failed failed", "id", m.ID, "err", err)
	}
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}
