package faults

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pforte/mail/smtptest"
)

// businesses is the size of the test's business register.
const businesses = 20000

// TestSQLiteBusyUnderOperatorCommands runs `pforte serve` on an SQLite
// file with clients signing in, registering, asking for PIN letters and
// reading /konto, while the operator's bulk commands run as processes of
// their own on the same file: a large users import and the purge of what
// it imported, a large business register and the letters. SQLite has one
// writer at a time; every answer and every command must still succeed,
// and "database is locked" (SQLITE_BUSY) must reach nobody.
func TestSQLiteBusyUnderOperatorCommands(t *testing.T) {
	dir := t.TempDir()
	smtp := smtptest.Start(t)
	env := baseEnv("sqlite:"+filepath.Join(dir, "pforte.db"), smtp.URL(), dir)
	env["PFORTE_ADDR"] = freeAddr(t)
	env["PFORTE_BASE_URL"] = "http://portal.example" // letters render refuses a loopback URL
	in := startInstance(t, env)

	// A register to ask letters for, and members who sign in.
	register := writeCSV(t, dir, "register.csv", "number,name,street,postcode,city", businesses, func(i int) string {
		return fmt.Sprintf("B%06d,Tischlerei Nummer %d,Hauptstraße %d,10115,Berlin", i, i, i%200+1)
	})
	mustCommand(t, env, "businesses", "import", register)
	const clients = 6
	members := make([]string, clients)
	for i := range members {
		members[i] = fmt.Sprintf("mitglied%d@betrieb.example", i)
		signUp(t, in, smtp, members[i])
	}

	// The bulk work: accounts of the old portal that never came back, and
	// the register again with every name changed.
	const imported = 100000
	users := writeCSV(t, dir, "users.csv", "email,created_at,last_login_at,confirmed,legacy_password_hash", imported, func(i int) string {
		return fmt.Sprintf("alt%d@altportal.example,2014-02-01,2016-06-30,true,", i)
	})
	register2 := writeCSV(t, dir, "register2.csv", "number,name,street,postcode,city", businesses, func(i int) string {
		return fmt.Sprintf("B%06d,Tischlerei %d GmbH,Hauptstraße %d,10115,Berlin", i, i, i%200+1)
	})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var failures sync.Map // "what: answer" → count, for the report
	var fail atomic.Int64
	report := func(what string) {
		fail.Add(1)
		n, _ := failures.LoadOrStore(what, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
	}
	var answered, slowest atomic.Int64
	var wg sync.WaitGroup
	for i, addr := range members {
		wg.Go(func() { memberLoad(ctx, in, i, addr, report, &answered, &slowest) })
	}

	// The operator's commands, two at a time, as separate processes.
	var cmds sync.WaitGroup
	var cmdErrs sync.Map
	run := func(args ...string) {
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Minute)
		defer ccancel()
		begin := time.Now()
		out, errOut, err := command(cctx, env, args...)
		t.Logf("pforte %s: %v\n%s", strings.Join(args, " "), time.Since(begin), out[max(0, len(out)-200):])
		if err != nil || strings.Contains(errOut, "locked") || strings.Contains(errOut, "BUSY") {
			cmdErrs.Store(strings.Join(args, " "), fmt.Sprintf("%v\n%s%s", err, out, errOut))
		}
	}
	// The members' pace without the commands, as a yardstick: the time
	// of their first 120 answers.
	begin := time.Now()
	for answered.Load() < 120 {
		time.Sleep(10 * time.Millisecond)
	}
	alone := float64(answered.Load()) / time.Since(begin).Seconds()
	answered.Store(0)
	start := time.Now()
	cmds.Go(func() {
		run("users", "import", users)
		run("users", "purge", "--last-login-before", "2020-01-01")
	})
	cmds.Go(func() {
		run("businesses", "import", register2)
		run("letters", "render", "--out", filepath.Join(dir, "briefe"))
	})
	cmds.Wait()
	took := time.Since(start)
	cancel()
	wg.Wait()

	if ended, err := in.Ended(); ended {
		t.Fatalf("pforte serve ended during the run: %v\n%s", err, in.Log())
	}
	cmdErrs.Range(func(k, v any) bool {
		t.Errorf("pforte %s failed: %s", k, v)
		return true
	})
	failures.Range(func(k, v any) bool {
		t.Errorf("%d× %s", v.(*atomic.Int64).Load(), k)
		return true
	})
	if log := in.Log(); strings.Contains(log, "locked") || strings.Contains(log, "SQLITE_BUSY") {
		t.Errorf("the server's log tells of a locked database:\n%s", log)
	}
	during := float64(answered.Load()) / took.Seconds()
	t.Logf("commands took %v; %d answers to the members (%.0f/s, %.0f/s without the commands), %d failed, the slowest after %v",
		took, answered.Load(), during, alone, fail.Load(), time.Duration(slowest.Load()))
	// Sharing the machine with four commands slows the members down, but
	// a command that keeps the write lock starves them: a tenth of their
	// pace and less.
	if during < alone/4 {
		t.Errorf("while the commands ran the members got %.1f answers/s, %.0f%% of their %.1f/s without them: they waited for the write lock",
			during, 100*during/alone, alone)
	}

	// The commands did their work: the imported accounts are purged again,
	// every register entry renamed, and the letters written.
	db := openSQLite(t, filepath.Join(dir, "pforte.db"))
	var left, renamed int
	if err := db.QueryRow(`SELECT count(*) FROM accounts WHERE email LIKE '%@altportal.example'`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM businesses WHERE name LIKE '% GmbH'`).Scan(&renamed); err != nil {
		t.Fatal(err)
	}
	if left != 0 || renamed != businesses {
		t.Errorf("after the commands: %d imported accounts left (want 0), %d businesses renamed (want %d)", left, renamed, businesses)
	}
	if letters, _ := filepath.Glob(filepath.Join(dir, "briefe", "*.pdf")); len(letters) == 0 {
		t.Error("letters render wrote no letter")
	}
}

// memberLoad is one member's browser until ctx ends: sign in, read
// /konto, ask for a PIN letter, register a new address, sign out; every
// answer that is not the expected one is reported.
func memberLoad(ctx context.Context, in *instance, i int, addr string, report func(string), answered, slowest *atomic.Int64) {
	var sent time.Time
	call := func(c *http.Client, method, target string, form url.Values) (reply, error) {
		sent = time.Now()
		return call(c, method, target, form)
	}
	login := func(c *http.Client, in *instance, addr string) (reply, error) {
		sent = time.Now()
		return login(c, in, addr)
	}
	register := func(c *http.Client, in *instance, addr string) (reply, error) {
		sent = time.Now()
		return register(c, in, addr)
	}
	expect := func(what string, a reply, err error, status int) bool {
		took := int64(time.Since(sent))
		for old := slowest.Load(); took > old && !slowest.CompareAndSwap(old, took); old = slowest.Load() {
		}
		if ctx.Err() != nil {
			return false
		}
		answered.Add(1)
		if err != nil {
			report(what + ": " + err.Error())
			return false
		}
		if a.Status != status {
			report(fmt.Sprintf("%s: %s", what, a))
			return false
		}
		return true
	}
	for n := 0; ctx.Err() == nil; n++ {
		c := browser()
		a, err := login(c, in, addr)
		if !expect("login", a, err, http.StatusSeeOther) {
			continue
		}
		a, err = call(c, "GET", in.URL+"/konto", nil)
		expect("GET /konto", a, err, http.StatusOK)
		if n < 3 { // more requests are throttled per account, rightly
			a, err = call(c, "POST", in.URL+"/betrieb/pin-beantragen", url.Values{"business": {fmt.Sprintf("B%06d", (i*7919+n*104729)%businesses)}})
			expect("PIN request", a, err, http.StatusOK)
		}
		a, err = register(c, in, fmt.Sprintf("neu%d-%d@betrieb.example", i, n))
		expect("registration", a, err, http.StatusOK)
		a, err = call(c, "POST", in.URL+"/abmelden", url.Values{})
		expect("logout", a, err, http.StatusSeeOther)
	}
}

// writeCSV writes header and n rows made by row into dir/name.
func writeCSV(t testing.TB, dir, name, header string, n int, row func(i int) string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(header + "\n")
	for i := range n {
		b.WriteString(row(i) + "\n")
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
