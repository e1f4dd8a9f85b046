package faults

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"pforte/mail/smtptest"
)

// TestPostgresRestartUnderLoad is issue 12, point 5: PostgreSQL crashes
// (pg_ctl stop -m immediate) while members register and use their
// account. While it is down — first refusing connections, then accepting
// them and never answering, as a server stuck in recovery or behind a
// broken network does — every request is answered within the client's
// 15 s with the 503 page `unavailable` (German, English on request) and
// Retry-After, /healthz says 503; when the server is back the same
// process serves again, with no restart; every registration answered as
// done exists afterwards and its confirmation mail arrives (the mail
// server refuses from just before the crash until the database is back, so
// the outbox worker must live through the outage), and the member's
// session is still valid.
func TestPostgresRestartUnderLoad(t *testing.T) {
	pg := startCluster(t)
	smtp := smtptest.Start(t)
	env := baseEnv(pg.URL(), smtp.URL(), t.TempDir())
	env["PFORTE_MAIL_RETRY"] = "200ms"
	env["PFORTE_MAIL_LEASE"] = "5s"
	env["PFORTE_SMTP_TIMEOUT"] = "2s" // the lease is at least twice it
	in := startInstance(t, env)

	member := newRoundRobin(in.URL)
	member.signUp(t, smtp, "stamm@example.de")

	l := &outageLoad{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var stopOnce sync.Once
	stopLoad := func() { stopOnce.Do(func() { close(stop) }); wg.Wait() }
	t.Cleanup(stopLoad) // also when the test fails half-way
	for w := range 4 {
		wg.Go(func() {
			rr := newRoundRobin(in.URL)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				email := fmt.Sprintf("welle-%d-%d@example.de", w, i)
				began := time.Now()
				a, ok, err := rr.register(email)
				l.record("POST /registrieren", a, err, time.Since(began))
				if ok {
					l.done(email)
				}
			}
		})
	}
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			began := time.Now()
			a, err := member.do("/konto", nil)
			l.record("GET /konto", a, err, time.Since(began))
		}
	})

	start := time.Now()
	phase := func(what string) { t.Logf("%5.1fs %s", time.Since(start).Seconds(), what) }
	l.waitFor(t, "registrations before the crash", func() bool { return l.doneCount() >= 20 })
	// The mails queued from now on wait in the outbox through the outage:
	// the worker must survive it and send them afterwards.
	smtp.SetFailing(true)
	queued := l.doneCount()
	l.waitFor(t, "registrations whose mail waits", func() bool { return l.doneCount() >= queued+5 })
	phase("crash")
	pg.Crash()
	l.waitFor(t, "503 unavailable while PostgreSQL refuses connections", func() bool { return l.unavailableCount() >= 10 })
	healthUnavailable(t, in.URL)
	englishUnavailable(t, in.URL)

	// The port accepts connections and never answers: only timeouts of
	// our own end the requests.
	seen := l.unavailableCount()
	phase("stall")
	blackhole := stallingListener(t, pg.port)
	l.waitFor(t, "503 unavailable while PostgreSQL accepts and never answers", func() bool { return l.unavailableCount() >= seen+6 })
	healthUnavailable(t, in.URL)
	blackhole.Close()

	phase("restart")
	pg.Start()
	phase("PostgreSQL is back")
	if err := in.waitHealthy(30 * time.Second); err != nil {
		t.Fatalf("pforte did not recover after PostgreSQL came back: %v\n%s", err, in.Log())
	}
	phase("pforte is healthy")
	smtp.SetFailing(false)
	after := l.doneCount()
	l.waitFor(t, "registrations after the restart", func() bool { return l.doneCount() >= after+20 })
	stopLoad()

	for _, p := range l.problems {
		t.Error(p)
	}
	if a := member.must(t, "/konto", nil); a.Status != http.StatusOK {
		t.Errorf("/konto after the restart: %d %q; the session was lost", a.Status, a.Code())
	}

	// Nothing answered as done is lost.
	db, err := sql.Open("pgx", pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, email := range l.emails {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM accounts WHERE email = $1`, email).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%s was answered as registered, but %d accounts exist", email, n)
		}
	}
	for _, email := range l.emails {
		smtp.WaitFor(t, email, 30*time.Second)
	}
	phase("all mails delivered")
	t.Logf("%d registrations answered as done, %d answers 503 unavailable, the slowest answer after %.1fs; "+
		"all accounts there, all mails delivered", len(l.emails), l.unavailableCount(), l.slowest.Seconds())
}

// outageLoad collects what the members saw.
type outageLoad struct {
	mu          sync.Mutex
	emails      []string // registrations answered as done
	unavailable int
	slowest     time.Duration // the longest answer (reported, not judged: the client's timeout judges)
	problems    []string
	changed     chan struct{}
}

// record judges one answer: a page the request asks for, or the 503
// page unavailable with Retry-After. Anything else is a problem.
func (l *outageLoad) record(what string, a answer, err error, took time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	defer l.notify()
	l.slowest = max(l.slowest, took)
	switch {
	case err != nil:
		l.problem("%s: %v", what, err)
	case a.Status == http.StatusServiceUnavailable:
		if a.Code() != "unavailable" || a.Header.Get("Retry-After") == "" || !strings.Contains(a.Body, "vorübergehend") {
			l.problem("%s: 503 with code %q, Retry-After %q", what, a.Code(), a.Header.Get("Retry-After"))
		}
		if what == "GET /konto" && !strings.Contains(a.Body, "<h1>Vorübergehend nicht verfügbar</h1>") {
			l.problem("%s: the 503 page is not headed as unavailable:\n%s", what, a.Body)
		}
		l.unavailable++
	case a.Status >= 400 || (what == "GET /konto" && a.Status != http.StatusOK):
		l.problem("%s: %d %q", what, a.Status, a.Code())
	}
}

// problem keeps the first few problems (a broken outage would make
// thousands of the same).
func (l *outageLoad) problem(format string, args ...any) {
	if len(l.problems) < 20 {
		l.problems = append(l.problems, fmt.Sprintf(format, args...))
	}
}

func (l *outageLoad) done(email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.emails = append(l.emails, email)
	l.notify()
}

func (l *outageLoad) notify() {
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

func (l *outageLoad) doneCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.emails)
}

func (l *outageLoad) unavailableCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.unavailable
}

// waitFor waits until cond holds, for at most a minute.
func (l *outageLoad) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(time.Minute)
	for !cond() {
		l.mu.Lock()
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			l.mu.Lock()
			defer l.mu.Unlock()
			t.Fatalf("waiting for %s: %d done, %d unavailable, problems: %q", what, len(l.emails), l.unavailable, l.problems)
		}
	}
}

// healthUnavailable checks that /healthz answers 503 now.
func healthUnavailable(t *testing.T, base string) {
	t.Helper()
	a, err := newRoundRobin(base).do("/healthz", nil)
	if err != nil || a.Status != http.StatusServiceUnavailable {
		t.Errorf("/healthz while PostgreSQL is down: %d %v", a.Status, err)
	}
}

// englishUnavailable checks the outage page in English.
func englishUnavailable(t *testing.T, base string) {
	t.Helper()
	a, err := newRoundRobin(base).do("/registrieren", registration("english@example.de"), "Accept-Language", "en")
	if err != nil || a.Status != http.StatusServiceUnavailable || a.Code() != "unavailable" ||
		!strings.Contains(a.Body, "temporarily") || !strings.Contains(a.Body, `lang="en"`) {
		t.Errorf("English page while PostgreSQL is down: %d %q %v\n%s", a.Status, a.Code(), err, a.Body)
	}
}

// stallingListener listens on port and accepts connections without ever
// answering, until closed.
func stallingListener(t *testing.T, port int) net.Listener {
	t.Helper()
	var ln net.Listener
	var err error
	// The crashed server's socket may take a moment to be free.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		ln, err = net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				mu.Lock()
				for _, c := range conns {
					c.Close()
				}
				mu.Unlock()
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return ln
}
