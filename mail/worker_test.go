package mail_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"pforte/mail"
	"pforte/mail/smtptest"
)

// memQueue is an in-memory outbox with the semantics the SQL store has.
type memQueue struct {
	mu      sync.Mutex
	entries []*entry
	claims  int
}

type entry struct {
	msg         mail.Message
	due, leased time.Time
	sent        time.Time
	gaveUp      bool
	nexts       []time.Time
	reasons     []string
}

func (q *memQueue) add(m mail.Message, now time.Time) int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	m.ID = int64(len(q.entries) + 1)
	q.entries = append(q.entries, &entry{msg: m, due: now})
	return m.ID
}

func (q *memQueue) Claim(_ context.Context, now time.Time, lease time.Duration) (mail.Message, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.claims++
	for _, e := range q.entries {
		if e.sent.IsZero() && !e.gaveUp && !e.due.After(now) && !e.leased.After(now) {
			e.msg.Attempts++
			e.leased = now.Add(lease)
			return e.msg, true, nil
		}
	}
	return mail.Message{}, false, nil
}

func (q *memQueue) MarkSent(_ context.Context, id int64, now time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.entries[id-1].sent = now
	return nil
}

func (q *memQueue) MarkFailed(_ context.Context, id int64, next time.Time, reason string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	e := q.entries[id-1]
	e.leased = time.Time{}
	e.nexts = append(e.nexts, next)
	e.reasons = append(e.reasons, reason)
	if next.IsZero() {
		e.gaveUp = true
	} else {
		e.due = next
	}
	return nil
}

func (q *memQueue) Depth(context.Context) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, e := range q.entries {
		if e.sent.IsZero() && !e.gaveUp {
			n++
		}
	}
	return n, nil
}

// state returns a copy of an entry, for assertions.
func (q *memQueue) state(id int64) entry {
	q.mu.Lock()
	defer q.mu.Unlock()
	e := *q.entries[id-1]
	e.nexts = append([]time.Time(nil), e.nexts...)
	e.reasons = append([]string(nil), e.reasons...)
	return e
}

func (q *memQueue) claimCount() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.claims
}

// clock is a test clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// eventually polls cond for up to five seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// runWorker starts w; stop cancels its context and waits for Run.
func runWorker(t *testing.T, w *mail.Worker) (stop func()) {
	cancel, done := goRun(w)
	return func() {
		cancel()
		waitReturned(t, done)
	}
}

func goRun(w *mail.Worker) (context.CancelFunc, <-chan error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	return cancel, done
}

// waitReturned checks that Run returns nil soon.
func waitReturned(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("Run did not return after cancel")
	}
}

// startWorker runs w until the test ends.
func startWorker(t *testing.T, w *mail.Worker) { t.Cleanup(runWorker(t, w)) }

func newSMTPWorker(t *testing.T) (*mail.Worker, *memQueue, *smtptest.Server, *clock) {
	t.Helper()
	srv := smtptest.Start(t)
	sender, err := mail.NewSMTPSender(srv.URL(), "Kundenportal <no-reply@example.de>")
	if err != nil {
		t.Fatal(err)
	}
	q := &memQueue{}
	clk := &clock{now: time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)}
	w := &mail.Worker{Queue: q, Sender: sender, Log: quiet, Poll: time.Hour, Now: clk.Now}
	return w, q, srv, clk
}

func TestWorkerWakeDeliversAtOnce(t *testing.T) {
	w, q, srv, clk := newSMTPWorker(t)
	startWorker(t, w)
	// Let the first look at the (empty) outbox pass; with Poll an hour
	// away, only Wake can bring the mail out now.
	eventually(t, "the worker looked at the outbox", func() bool { return q.claimCount() >= 1 })

	id := q.add(composer.Confirmation("anna@example.de", "https://portal.example.de/bestaetigen/t", 72*time.Hour), clk.Now())
	w.Wake()
	got := srv.WaitFor(t, "anna@example.de", 5*time.Second)
	if got.Subject != "Bitte bestätigen Sie Ihre E-Mail-Adresse – Kundenportal" {
		t.Errorf("Subject = %q", got.Subject)
	}
	eventually(t, "the mail is marked sent", func() bool { return !q.state(id).sent.IsZero() })
	if depth, _ := q.Depth(context.Background()); depth != 0 {
		t.Errorf("Depth = %d after delivery", depth)
	}
}

func TestWorkerDeliversQueuedBeforeStart(t *testing.T) {
	w, q, srv, clk := newSMTPWorker(t)
	for _, to := range []string{"a@example.de", "b@example.de", "c@example.de"} {
		q.add(composer.Reset(to, "https://portal.example.de/passwort-neu/t", time.Hour), clk.Now())
	}
	startWorker(t, w)
	srv.Wait(t, 3, 5*time.Second)
}

func TestWorkerRetriesWithBackoff(t *testing.T) {
	w, q, srv, clk := newSMTPWorker(t)
	srv.SetFailing(true)
	startWorker(t, w)
	start := clk.Now()
	id := q.add(composer.Reset("anna@example.de", "https://portal.example.de/passwort-neu/t", time.Hour), start)
	w.Wake()

	eventually(t, "the first attempt failed", func() bool { return len(q.state(id).nexts) == 1 })
	if e := q.state(id); !e.nexts[0].Equal(start.Add(30 * time.Second)) {
		t.Errorf("first retry at %v, want 30s after %v", e.nexts[0], start)
	}

	// Not due yet: waking does not send.
	w.Wake()
	clk.Advance(30 * time.Second)
	w.Wake()
	eventually(t, "the second attempt failed", func() bool { return len(q.state(id).nexts) == 2 })
	if e := q.state(id); !e.nexts[1].Equal(clk.Now().Add(time.Minute)) {
		t.Errorf("second retry at %v, want a minute after %v", e.nexts[1], clk.Now())
	}

	srv.SetFailing(false)
	clk.Advance(time.Minute)
	w.Wake()
	srv.WaitFor(t, "anna@example.de", 5*time.Second)
	eventually(t, "the mail is marked sent", func() bool { return !q.state(id).sent.IsZero() })
	e := q.state(id)
	if e.msg.Attempts != 3 || len(e.nexts) != 2 || e.gaveUp {
		t.Errorf("attempts = %d, failures = %d, gave up = %v; want 3, 2, false", e.msg.Attempts, len(e.nexts), e.gaveUp)
	}
	for _, reason := range e.reasons {
		if !strings.Contains(reason, "451") {
			t.Errorf("reason %q does not name the server's answer", reason)
		}
	}
}

// failingSender answers every mail with err.
type failingSender struct{ err error }

func (s failingSender) Send(context.Context, mail.Message) error { return s.err }

func TestWorkerGivesUpOnlyOnPermanentErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		gaveUp bool
	}{
		{"permanent", fmt.Errorf("%w: 550 no such user", mail.ErrPermanent), true},
		{"temporary", errors.New("451 try later"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := &memQueue{}
			clk := &clock{now: time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)}
			w := &mail.Worker{Queue: q, Sender: failingSender{c.err}, Log: quiet, Poll: time.Hour, MaxAttempts: 3, Now: clk.Now}
			startWorker(t, w)
			id := q.add(mail.Message{To: "a@example.de", Subject: "s", Text: "t"}, clk.Now())
			for attempt := 1; attempt <= 3; attempt++ {
				clk.Advance(time.Hour)
				w.Wake()
				eventually(t, fmt.Sprintf("attempt %d failed", attempt), func() bool { return len(q.state(id).nexts) == attempt })
			}
			e := q.state(id)
			if e.gaveUp != c.gaveUp {
				t.Errorf("after %d attempts gave up = %v, want %v", e.msg.Attempts, e.gaveUp, c.gaveUp)
			}
			for i, next := range e.nexts[:2] {
				if next.IsZero() {
					t.Errorf("gave up after attempt %d, before MaxAttempts", i+1)
				}
			}
		})
	}
}

// blockingSender holds each mail until released, to catch Run in the act.
type blockingSender struct {
	started chan struct{}
	release chan struct{}
}

func (s blockingSender) Send(ctx context.Context, _ mail.Message) error {
	close(s.started)
	<-s.release
	return ctx.Err()
}

func TestWorkerFinishesMailInHandOnCancel(t *testing.T) {
	q := &memQueue{}
	s := blockingSender{started: make(chan struct{}), release: make(chan struct{})}
	w := &mail.Worker{Queue: q, Sender: s, Log: quiet, Poll: time.Hour}
	id := q.add(mail.Message{To: "a@example.de", Subject: "s", Text: "t"}, time.Now())

	cancel, done := goRun(w)
	<-s.started
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned while a mail was in hand")
	case <-time.After(50 * time.Millisecond):
	}
	close(s.release)
	waitReturned(t, done)
	if q.state(id).sent.IsZero() {
		t.Error("the mail in hand was not marked sent")
	}
}

func TestWorkerStopsWhenIdle(t *testing.T) {
	w := &mail.Worker{Queue: &memQueue{}, Sender: mail.LogSender{Log: quiet}, Log: quiet}
	stop := runWorker(t, w)
	time.Sleep(20 * time.Millisecond)
	stop()
	w.Wake() // must not block after Run has ended
	w.Wake()
}

// TestWorkerBackoffSchedule checks the pauses between attempts: RetryBase
// (30s by default), doubling with each failure, at most an hour.
func TestWorkerBackoffSchedule(t *testing.T) {
	for _, c := range []struct {
		name string
		base time.Duration
		want []time.Duration
	}{
		{"default", 0, []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}},
		{"RetryBase", 10 * time.Second, []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second}},
		{"RetryBase above the cap", 2 * time.Hour, []time.Duration{time.Hour, time.Hour}},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := &memQueue{}
			clk := &clock{now: time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)}
			w := &mail.Worker{Queue: q, Sender: failingSender{errors.New("451 try later")}, Log: quiet, Poll: time.Hour, Now: clk.Now, RetryBase: c.base}
			startWorker(t, w)
			id := q.add(mail.Message{To: "a@example.de", Subject: "s", Text: "t"}, clk.Now())
			for attempt, want := range c.want {
				// The clock stands still until the attempt has failed, so
				// the pause is next minus now.
				clk.Advance(2 * time.Hour)
				now := clk.Now()
				w.Wake()
				eventually(t, fmt.Sprintf("attempt %d failed", attempt+1), func() bool { return len(q.state(id).nexts) == attempt+1 })
				if got := q.state(id).nexts[attempt].Sub(now); got != want {
					t.Errorf("pause after attempt %d = %v, want %v", attempt+1, got, want)
				}
			}
		})
	}
}

// slowClaim is a queue whose claim takes took on the worker's clock.
type slowClaim struct {
	*memQueue
	clock *fakeClock
	took  time.Duration
}

func (q slowClaim) Claim(ctx context.Context, now time.Time, lease time.Duration) (mail.Message, bool, error) {
	m, ok, err := q.memQueue.Claim(ctx, now, lease)
	q.clock.advance(q.took)
	return m, ok, err
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// deadlineSender records the time a delivery was given.
type deadlineSender struct {
	mu    sync.Mutex
	calls int
	left  time.Duration
}

func (s *deadlineSender) Send(ctx context.Context, _ mail.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if d, ok := ctx.Deadline(); ok {
		s.left = time.Until(d)
	}
	return nil
}

// TestWorkerSendsWithinTheLease: a delivery gets at most three quarters
// of the lease counted from before the claim, and a claim that took most
// of the lease sends nothing — else the delivery could outlast the lease
// and another instance send the mail as well.
func TestWorkerSendsWithinTheLease(t *testing.T) {
	const lease = time.Minute
	for _, c := range []struct {
		took      time.Duration
		sent      bool
		leftUntil time.Duration
	}{
		{took: 0, sent: true, leftUntil: lease * 3 / 4},
		{took: lease / 2, sent: true, leftUntil: lease / 4},
		{took: lease * 4 / 5, sent: false},
	} {
		clock := &fakeClock{t: time.Now()}
		q := slowClaim{memQueue: &memQueue{}, clock: clock, took: c.took}
		s := &deadlineSender{}
		w := &mail.Worker{Queue: q, Sender: s, Log: quiet, Poll: time.Hour, Lease: lease, Now: clock.now}
		q.add(mail.Message{To: "a@example.de", Subject: "s", Text: "t"}, clock.now())
		cancel, done := goRun(w)
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			q.mu.Lock()
			claimed := q.claims > 0
			q.mu.Unlock()
			if claimed || time.Now().After(deadline) {
				break
			}
		}
		cancel() // Run finishes the claim in hand first
		waitReturned(t, done)
		if (s.calls == 1) != c.sent {
			t.Errorf("claim took %v: %d deliveries, want sent = %v", c.took, s.calls, c.sent)
		}
		if c.sent && (s.left > c.leftUntil || s.left < c.leftUntil-5*time.Second) {
			t.Errorf("claim took %v: the delivery had %v, want about %v", c.took, s.left, c.leftUntil)
		}
	}
}
