package faults

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pforte/business"
	"pforte/mail/smtptest"
	"pforte/store/storetest"
	"pforte/throttle"
)

// goodPassword meets the default policy.
const goodPassword = "Zebra-Mond7!Wolke"

// roundRobin is a member's browser behind a round-robin load balancer:
// one cookie jar, each request to the next instance in turn. (A cookie
// jar keys cookies by host, not port, so the instances on one loopback
// address share them, as behind one public name.)
type roundRobin struct {
	urls []string
	next atomic.Uint64
	c    *http.Client
}

func newRoundRobin(urls ...string) *roundRobin {
	jar, _ := cookiejar.New(nil)
	// The timeout turns a hang into a failed request the test reports;
	// it lies above PFORTE_REQUEST_TIMEOUT (10 s), which ends every
	// request's wait for the database.
	return &roundRobin{urls: urls, c: &http.Client{Jar: jar, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// answer is a reply (members_test.go) with the instance that gave it.
type answer struct {
	reply
	// Instance is the base URL that answered.
	Instance string
}

// to sends one request to the instance base; form nil means GET.
func (rr *roundRobin) to(base, path string, form url.Values, header ...string) (answer, error) {
	method, body := http.MethodGet, io.Reader(nil)
	if form != nil {
		method, body = http.MethodPost, strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		return answer{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	r, err := do(rr.c, req)
	return answer{reply: r, Instance: base}, err
}

// do sends one request to the next instance.
func (rr *roundRobin) do(path string, form url.Values, header ...string) (answer, error) {
	base := rr.urls[int(rr.next.Add(1)-1)%len(rr.urls)]
	return rr.to(base, path, form, header...)
}

// must is do that fails the test on a transport error.
func (rr *roundRobin) must(t testing.TB, path string, form url.Values) answer {
	t.Helper()
	a, err := rr.do(path, form)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return a
}

// register posts the registration form and reports whether it was
// answered as done (the "check your mail" page).
func (rr *roundRobin) register(email string) (answer, bool, error) {
	a, err := rr.do("/registrieren", registration(email))
	return a, err == nil && a.Status == http.StatusOK, err
}

// signUp registers email, confirms it with the link of its mail and
// signs in; the member's session is in rr's jar afterwards.
func (rr *roundRobin) signUp(t testing.TB, smtp *smtptest.Server, email string) {
	t.Helper()
	if a, ok, err := rr.register(email); !ok {
		t.Fatalf("register %s: %d %q %v", email, a.Status, a.Code(), err)
	}
	link := confirmLink(t, smtp, email)
	page := rr.must(t, link, nil)
	token := hiddenToken.FindStringSubmatch(page.Body)
	if token == nil {
		t.Fatalf("confirmation page %d without a token field", page.Status)
	}
	if a := rr.must(t, "/registrieren/bestaetigen", url.Values{"token": {token[1]}}); a.Status != http.StatusOK {
		t.Fatalf("confirm %s: %d %q", email, a.Status, a.Code())
	}
	if a := rr.must(t, "/anmelden", url.Values{"email": {email}, "password": {goodPassword}}); a.Status != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d %q", email, a.Status, a.Code())
	}
}

// registration is the registration form for email.
func registration(email string) url.Values {
	return url.Values{"email": {email}, "password": {goodPassword}, "password_repeat": {goodPassword}}
}

var hiddenToken = regexp.MustCompile(`name="token" value="([^"]+)"`)

// confirmLink is the path and query of the confirmation link mailed to
// email.
func confirmLink(t testing.TB, smtp *smtptest.Server, email string) string {
	t.Helper()
	m := smtp.WaitFor(t, email, 30*time.Second)
	for _, l := range smtptest.Links(m.Text) {
		if u, err := url.Parse(l); err == nil && u.Path == "/registrieren/bestaetigen" {
			return u.RequestURI()
		}
	}
	t.Fatalf("no confirmation link in the mail to %s:\n%s", email, m.Text)
	return ""
}

// copyOf is a second browser holding rr's cookies for base: the same
// session, kept when rr's own cookie is cleared.
func (rr *roundRobin) copyOf(base string) *roundRobin {
	c := newRoundRobin(rr.urls...)
	u, _ := url.Parse(base)
	c.c.Jar.SetCookies(u, rr.c.Jar.Cookies(u))
	return c
}

// TestTwoInstancesOnePostgres is issue 12, point 6: two `pforte serve`
// processes on one PostgreSQL database behind a round-robin client share
// sessions, the per-account login throttle, the PIN lockout and the mail
// outbox; 1,000 registrations spread over both, with one instance killed
// (SIGKILL) half-way, lose no committed write and no mail.
func TestTwoInstancesOnePostgres(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	smtp := smtptest.Start(t)
	env := baseEnv(dbURL, smtp.URL(), t.TempDir()) // one data folder: one key for both
	env["PFORTE_MAIL_RETRY"] = "200ms"
	env["PFORTE_MAIL_LEASE"] = "3s"
	env["PFORTE_SMTP_TIMEOUT"] = "1s" // the lease is at least twice it
	addrA, addrB := freeAddr(t), freeAddr(t)
	env["PFORTE_BASE_URL"] = "http://" + addrA // one public URL, as behind the balancer
	envA, envB := clone(env), clone(env)
	envA["PFORTE_ADDR"], envB["PFORTE_ADDR"] = addrA, addrB
	a, b := startInstance(t, envA), startInstance(t, envB)

	t.Run("session", func(t *testing.T) {
		rr := newRoundRobin(a.URL, b.URL)
		rr.signUp(t, smtp, "geteilt@example.de")
		for _, in := range []*instance{a, b} {
			if ans, err := rr.to(in.URL, "/konto", nil); err != nil || ans.Status != http.StatusOK {
				t.Fatalf("/konto on %s with the session of the round-robin sign-in: %d %v", in.URL, ans.Status, err)
			}
		}
		kept := rr.copyOf(a.URL)
		if ans, err := rr.to(b.URL, "/abmelden", url.Values{}); err != nil || ans.Status != http.StatusSeeOther {
			t.Fatalf("logout on B: %d %v", ans.Status, err)
		}
		ans, err := kept.to(a.URL, "/konto", nil)
		if err != nil || ans.Status != http.StatusSeeOther || !strings.HasPrefix(ans.Header.Get("Location"), "/anmelden") {
			t.Fatalf("/konto on A right after the logout on B: %d %q %v; the session lives on", ans.Status, ans.Header.Get("Location"), err)
		}
	})

	t.Run("login throttle", func(t *testing.T) {
		rr := newRoundRobin(a.URL, b.URL)
		rr.signUp(t, smtp, "drossel@example.de")
		seen := map[string]int{}
		for i := range throttle.FreeFailures {
			ans := rr.must(t, "/anmelden", url.Values{"email": {"drossel@example.de"}, "password": {"Falsch-Passwort1"}})
			if ans.Status != http.StatusUnauthorized {
				t.Fatalf("wrong password %d on %s: %d %q", i+1, ans.Instance, ans.Status, ans.Code())
			}
			seen[ans.Instance]++
		}
		ans := rr.must(t, "/anmelden", url.Values{"email": {"drossel@example.de"}, "password": {goodPassword}})
		if ans.Status != http.StatusTooManyRequests || ans.Code() != "throttled" || ans.Header.Get("Retry-After") == "" {
			t.Fatalf("right password on %s after %d wrong ones spread over both (%v): %d %q", ans.Instance,
				throttle.FreeFailures, seen, ans.Status, ans.Code())
		}
	})

	t.Run("PIN lockout", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "register.csv")
		if err := os.WriteFile(file, []byte("number,name,street,postcode,city\n4712,Zimmerei Anders,Am Hang 3,97070,Würzburg\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		mustCommand(t, env, "businesses", "import", file)
		out := strings.Split(strings.TrimSpace(mustCommand(t, env, "pins", "issue", "4712")), "\n")
		pin := out[len(out)-1]
		rr := newRoundRobin(a.URL, b.URL)
		rr.signUp(t, smtp, "betrieb@example.de")
		for i := range business.MaxPINFailures {
			ans := rr.must(t, "/betrieb/verknuepfen", url.Values{"business": {"4712"}, "pin": {fmt.Sprintf("23456789ABC%c", 'D'+i)}})
			if ans.Status != http.StatusUnprocessableEntity || ans.Code() != "pin-invalid" {
				t.Fatalf("wrong PIN %d on %s: %d %q", i+1, ans.Instance, ans.Status, ans.Code())
			}
		}
		ans := rr.must(t, "/betrieb/verknuepfen", url.Values{"business": {"4712"}, "pin": {pin}})
		if ans.Status != http.StatusTooManyRequests || ans.Code() != "pin-locked" {
			t.Fatalf("right PIN on %s after %d wrong ones spread over both: %d %q", ans.Instance, business.MaxPINFailures, ans.Status, ans.Code())
		}
	})

	t.Run("1000 registrations, one instance killed", func(t *testing.T) {
		registrationsWithKill(t, smtp, dbURL, a, b)
	})
}

// registrationsWithKill registers 1,000 new addresses with 16 round-robin
// clients over a and b, kills b with SIGKILL after the 500th answer, and
// then checks, against the database and the SMTP server, that every
// account exists that was answered as done and that every account that
// exists got its confirmation mail once. A registration in flight on b
// when it died has no answer: it may or may not have been committed, and
// if it was, its mail must go out all the same.
//
// The one duplicate allowed is a mail b had handed to the SMTP server but
// not yet recorded as sent when it died: after its lease the outbox gives
// it to a again. It keeps its Message-ID; there is at most one (each
// instance sends one mail at a time) and its outbox row shows two claims.
func registrationsWithKill(t *testing.T, smtp *smtptest.Server, dbURL string, a, b *instance) {
	const total, clients = 1000, 32
	var (
		mu       sync.Mutex
		cond     = sync.NewCond(&mu)
		inflight int
		done     []string
		unknown  int // no answer: the request was on b when it died, or went to the dead b
		problems []string
		killing  bool
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	kill := make(chan struct{})
	// reserve lets a request start while done and in flight stay within
	// total, so that exactly total registrations are answered as done.
	reserve := func() bool {
		mu.Lock()
		defer mu.Unlock()
		for len(done)+inflight >= total {
			if len(done) >= total {
				return false
			}
			cond.Wait()
		}
		inflight++
		return true
	}
	start := time.Now()
	for range clients {
		wg.Go(func() {
			rr := newRoundRobin(a.URL, b.URL)
			for reserve() {
				email := fmt.Sprintf("welle%05d@example.de", next.Add(1))
				ans, ok, err := rr.register(email)
				mu.Lock()
				inflight--
				switch {
				case ok:
					done = append(done, email)
					if len(done) == total/2 {
						killing = true
						close(kill)
					}
				case err != nil && killing:
					unknown++
				case len(problems) < 10:
					problems = append(problems, fmt.Sprintf("%s on %s: %d %q %v", email, ans.Instance, ans.Status, ans.Code(), err))
				}
				cond.Broadcast()
				mu.Unlock()
			}
		})
	}
	<-kill
	b.Kill()
	wg.Wait()
	elapsed := time.Since(start)
	for _, p := range problems {
		t.Error(p)
	}

	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	accounts := map[string]bool{}
	rows, err := db.Query(`SELECT email FROM accounts WHERE email LIKE 'welle%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			t.Fatal(err)
		}
		accounts[e] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, e := range done {
		if !accounts[e] {
			t.Errorf("%s was answered as registered, but its account is gone", e)
		}
	}

	// The outbox runs empty: a sends what b queued, had claimed, or had in
	// hand when it died (after the lease).
	deadline := time.Now().Add(time.Minute)
	for {
		var waiting int
		if err := db.QueryRow(`SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mails still waiting in the outbox a minute after the run", waiting)
		}
		time.Sleep(100 * time.Millisecond)
	}
	mailed := time.Since(start)

	got := map[string][]smtptest.Received{}
	for _, m := range smtp.Messages() {
		if strings.HasPrefix(m.To, "welle") {
			got[m.To] = append(got[m.To], m)
		}
	}
	duplicates := 0
	for e := range accounts {
		switch ms := got[e]; {
		case len(ms) == 0:
			t.Errorf("%s: account committed, no confirmation mail", e)
		case len(ms) == 2 && ms[0].Header.Get("Message-Id") == ms[1].Header.Get("Message-Id"):
			var claims int
			if err := db.QueryRow(`SELECT attempts FROM outbox WHERE recipient = $1`, e).Scan(&claims); err != nil {
				t.Fatal(err)
			}
			if claims < 2 {
				t.Errorf("%s: two mails, but its outbox row was claimed %d time(s)", e, claims)
			}
			duplicates++
		case len(ms) > 1:
			t.Errorf("%s: %d confirmation mails", e, len(ms))
		}
	}
	if duplicates > 1 {
		t.Errorf("%d mails sent twice; the killed instance had at most one in hand", duplicates)
	}
	for e := range got {
		if !accounts[e] {
			t.Errorf("a confirmation mail to %s, which has no account", e)
		}
	}
	if len(done) != total {
		t.Errorf("%d registrations answered as done, want %d", len(done), total)
	}
	t.Logf("%d registrations answered as done in %.1fs (%d without answer after the kill), %d accounts, "+
		"all mailed after %.1fs, %d sent twice (the one in hand of the killed instance)",
		len(done), elapsed.Seconds(), unknown, len(accounts), mailed.Seconds(), duplicates)

	b.Restart()
	if ans, err := newRoundRobin(b.URL).do("/anmelden", nil); err != nil || ans.Status != http.StatusOK {
		t.Errorf("the killed instance after its restart: %d %v", ans.Status, err)
	}
}
