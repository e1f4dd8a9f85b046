package faults

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pforte/mail/smtptest"
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
	// The timeout turns a hang into a failed request the test reports.
	return &roundRobin{urls: urls, c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// answer is a response as the test reads it.
type answer struct {
	Status int
	Header http.Header
	Body   string
	// Instance is the base URL that answered.
	Instance string
}

var codeAttr = regexp.MustCompile(`data-error-code="([^"]+)"`)

// Code is the page's data-error-code, "" for none.
func (a answer) Code() string {
	if m := codeAttr.FindStringSubmatch(a.Body); m != nil {
		return m[1]
	}
	return ""
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
	res, err := rr.c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return answer{Status: res.StatusCode, Header: res.Header, Body: string(b), Instance: base}, err
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
