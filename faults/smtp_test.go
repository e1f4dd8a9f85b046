package faults

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pforte/mail/smtptest"
)

// TestMailWaitsOutSMTPFaults lets the mail server stall (it accepts the
// connection and never answers), refuse connections, answer 421 and then
// 554, one after the other on the same address, and then come back. The pages that
// send mail answer without waiting for it (the mail goes through the
// outbox), a stalled delivery is given up after PFORTE_SMTP_TIMEOUT, and
// every mail is delivered once, when the server is back.
func TestMailWaitsOutSMTPFaults(t *testing.T) {
	dir := t.TempDir()
	real := smtptest.Start(t)
	fault := startFaultySMTP(t)
	fault.set(forward, real.Addr())
	dbPath := filepath.Join(dir, "pforte.db")
	env := baseEnv("sqlite:"+dbPath, fault.URL(), dir)
	env["PFORTE_SMTP_TIMEOUT"] = "3s"
	env["PFORTE_MAIL_RETRY"] = "100ms"
	in := startInstance(t, env)
	member := "meisterin@betrieb.example"
	signUp(t, in, real, member)
	before := len(real.Messages())

	// Stall: the pages answer while the worker hangs on the server; had
	// they sent the mail themselves, they would have answered only after
	// the timeout gave the stalled connection up.
	fault.set(stall, "")
	newcomer := "lehrling@betrieb.example"
	dropped := fault.droppedStalls()
	start := time.Now()
	if a, err := register(browser(), in, newcomer); err != nil || a.Status != 200 {
		t.Fatalf("registration while the mail server stalls: %v %s", err, a)
	}
	registered := time.Since(start)
	start = time.Now()
	if a := mustCall(t, browser(), "POST", in.URL+"/passwort-vergessen", url.Values{"email": {member}}); a.Status != 200 {
		t.Fatalf("Passwort vergessen while the mail server stalls: %s", a)
	}
	forgot := time.Since(start)
	if fault.droppedStalls() != dropped {
		t.Fatal("a stalled delivery was given up while the pages were answered: they waited for the mail server")
	}
	t.Logf("while the server stalls: registration answered in %v, Passwort vergessen in %v", registered, forgot)
	fault.await("a delivery to the stalling server", time.Minute, func() bool { return fault.taken(stall) > 0 })
	// Given up after PFORTE_SMTP_TIMEOUT (3 s), long before the default 30 s.
	fault.await("the stalled delivery given up", 20*time.Second, func() bool { return fault.droppedStalls() > dropped })
	awaitLog(t, in, "i/o timeout", time.Minute)
	db := openSQLite(t, dbPath)
	var waiting int
	if err := db.QueryRow(`SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND attempts > 0`).Scan(&waiting); err != nil {
		t.Fatal(err)
	}
	if waiting == 0 {
		t.Fatal("no mail waits in the outbox after the stalled delivery")
	}

	// Refused, then a server that is there but answers 421.
	fault.set(refuse, "")
	awaitLog(t, in, "connection refused", time.Minute)
	fault.set(busy, "")
	fault.await("a delivery to the server answering 421", time.Minute, func() bool { return fault.taken(busy) > 0 })
	awaitLog(t, in, "421", time.Minute)

	// 554 at the greeting refuses Pforte, not the mail: retried like the
	// others, also past the 5 attempts after which a mail the server
	// refused itself is given up.
	fault.set(unserved, "")
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		var fewest, given int
		if err := db.QueryRow(`SELECT coalesce(min(attempts), 0), count(failed_at) FROM outbox WHERE sent_at IS NULL`).Scan(&fewest, &given); err != nil {
			t.Fatal(err)
		}
		if given > 0 {
			t.Fatalf("%d mails given up while the server answered 554 at the greeting", given)
		}
		if fewest >= 6 && fault.taken(unserved) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the waiting mails reached only %d attempts", fewest)
		}
	}

	// Back: both mails arrive, once each, and the outbox has them as sent
	// (so none goes out again).
	fault.set(forward, real.Addr())
	got := real.Wait(t, before+2, 2*time.Minute)
	for _, to := range []string{newcomer, member} {
		n := 0
		for _, m := range got[before:] {
			if m.To == to {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d mails to %s after the server came back, want 1", n, to)
		}
	}
	// The worker marks a mail sent just after the server took it.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := db.QueryRow(`SELECT count(*) FROM outbox WHERE sent_at IS NULL`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 0 || time.Now().After(deadline) {
			break
		}
	}
	if waiting != 0 {
		rows, _ := db.Query(`SELECT recipient, subject, attempts, last_error FROM outbox WHERE sent_at IS NULL`)
		for rows.Next() {
			var to, subject, lastErr string
			var attempts int
			rows.Scan(&to, &subject, &attempts, &lastErr)
			t.Logf("unsent: to %s %q after %d attempts: %s", to, subject, attempts, lastErr)
		}
		rows.Close()
		t.Errorf("%d mails still unsent in the outbox", waiting)
	}
}

// awaitLog waits until the instance's log holds s, and fails the test
// after within. The log is another process's output: it is looked at
// every few milliseconds.
func awaitLog(t testing.TB, in *instance, s string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(in.Log(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log within %v:\n%s", s, within, in.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
