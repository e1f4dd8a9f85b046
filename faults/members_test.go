package faults

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"pforte/mail/smtptest"

	_ "modernc.org/sqlite" // the test reads the instance's SQLite file
)

// memberPassword meets the default policy and is no address's part.
const memberPassword = "Werkbank-Hobel-73!"

// reply is one HTTP answer of the portal.
type reply struct {
	Status int
	Header http.Header
	Body   string
}

var errorCodeRE = regexp.MustCompile(`data-error-code="([^"]+)"`)

// Code is the page's data-error-code, or "".
func (a reply) Code() string {
	if m := errorCodeRE.FindStringSubmatch(a.Body); m != nil {
		return m[1]
	}
	return ""
}

func (a reply) String() string { return fmt.Sprintf("%d %q", a.Status, a.Code()) }

// call sends one request (a form when form is not nil) and reads the
// whole answer; it returns errors instead of failing, for goroutines.
func call(c *http.Client, method, target string, form url.Values) (reply, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		return reply{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return do(c, req)
}

// do sends req and reads the whole answer.
func do(c *http.Client, req *http.Request) (reply, error) {
	res, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return reply{Status: res.StatusCode, Header: res.Header, Body: string(b)}, err
}

// mustCall is call that fails the test on a transport error.
func mustCall(t testing.TB, c *http.Client, method, target string, form url.Values) reply {
	t.Helper()
	a, err := call(c, method, target, form)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return a
}

var tokenRE = regexp.MustCompile(`name="token" value="([^"]*)"`)

// register signs addr up with memberPassword and answers the page.
func register(c *http.Client, in *instance, addr string) (reply, error) {
	return call(c, "POST", in.URL+"/registrieren", url.Values{"email": {addr},
		"password": {memberPassword}, "password_repeat": {memberPassword}})
}

// confirm opens the confirmation link mailed to addr and submits its form.
func confirm(t testing.TB, in *instance, smtp *smtptest.Server, addr string) {
	t.Helper()
	m := smtp.WaitFor(t, addr, 30*time.Second)
	var link string
	for _, l := range smtptest.Links(m.Text) {
		if rest, ok := strings.CutPrefix(l, in.env["PFORTE_BASE_URL"]+"/registrieren/bestaetigen"); ok {
			link = in.URL + "/registrieren/bestaetigen" + rest
		}
	}
	if link == "" {
		t.Fatalf("no confirmation link in the mail to %s:\n%s", addr, m.Text)
	}
	c := browser()
	form := mustCall(t, c, "GET", link, nil)
	tok := tokenRE.FindStringSubmatch(form.Body)
	if form.Status != 200 || tok == nil {
		t.Fatalf("confirmation form for %s: %s", addr, form)
	}
	if a := mustCall(t, c, "POST", in.URL+"/registrieren/bestaetigen", url.Values{"token": {tok[1]}}); a.Status != 200 {
		t.Fatalf("confirming %s: %s", addr, a)
	}
}

// signUp registers and confirms addr.
func signUp(t testing.TB, in *instance, smtp *smtptest.Server, addr string) {
	t.Helper()
	if a, err := register(browser(), in, addr); err != nil || a.Status != 200 {
		t.Fatalf("registering %s: %v %s", addr, err, a)
	}
	confirm(t, in, smtp, addr)
}

// login signs addr in on c with memberPassword and answers the page.
func login(c *http.Client, in *instance, addr string) (reply, error) {
	return call(c, "POST", in.URL+"/anmelden", url.Values{"email": {addr}, "password": {memberPassword}})
}

// openSQLite opens the instance's SQLite file beside it, for checks.
func openSQLite(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
