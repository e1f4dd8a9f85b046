package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"pforte/mail/smtptest"
	"pforte/store/storetest"
)

// portal is the real program, started through run for one test, with a
// real SMTP server on loopback capturing its mails.
type portal struct {
	t      testing.TB
	URL    string
	DBURL  string
	SMTP   *smtptest.Server
	env    map[string]string
	client *http.Client
	stdout *syncBuffer
	stderr *syncBuffer
	stop   func()
	// base is the context the program runs in (a test's clock rides on
	// it); nil means context.Background().
	base context.Context
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// testEnv is the environment every test portal gets: fast hashes, the
// test SMTP server, per-client limits off (one client address sends
// everything); tests may override any of it.
func testEnv(dbURL, smtpURL, addr string) map[string]string {
	return map[string]string{
		"PFORTE_ADDR":        addr,
		"PFORTE_BASE_URL":    "http://" + addr,
		"PFORTE_DATABASE":    dbURL,
		"PFORTE_SMTP_URL":    smtpURL,
		"PFORTE_ARGON2":      "m=8192,t=1,p=1",
		"PFORTE_RATE_LIMITS": "off",
		"PFORTE_LOG_LEVEL":   "warn",
	}
}

// startPortal runs `pforte serve` on dbURL until the test ends.
func startPortal(t testing.TB, dbURL string, override map[string]string) *portal {
	t.Helper()
	return startPortalIn(t, nil, dbURL, override)
}

// startPortalIn is startPortal with the program running in base.
func startPortalIn(t testing.TB, base context.Context, dbURL string, override map[string]string) *portal {
	t.Helper()
	srv := smtptest.Start(t)
	addr := freeAddr(t)
	env := testEnv(dbURL, srv.URL(), addr)
	// The generated development key goes to a folder of the test's own.
	env["PFORTE_DATA_DIR"] = t.TempDir()
	for k, v := range override {
		env[k] = v
	}
	p := &portal{t: t, URL: "http://" + env["PFORTE_ADDR"], DBURL: dbURL, SMTP: srv, env: env,
		stdout: &syncBuffer{}, stderr: &syncBuffer{}, base: base}
	p.client = p.newClient()
	p.start()
	t.Cleanup(func() { p.stop() })
	return p
}

func (p *portal) start() {
	t := p.t
	base := p.base
	if base == nil {
		base = context.Background()
	}
	ctx, cancel := context.WithCancel(base)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return p.env[k] }, strings.NewReader(""), p.stdout, p.stderr)
	}()
	var once sync.Once
	p.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve ended with %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("serve did not stop within 30s")
			}
		})
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("serve ended early: %v\n%s", err, p.stderr.String())
		default:
		}
		res, err := http.Get(p.URL + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("portal did not come up: %v\n%s", err, p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// newClient is a browser without JavaScript: cookies, no redirects
// followed (the tests look at each answer).
func (p *portal) newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// page is one answer.
type page struct {
	Status int
	Header http.Header
	Body   string
}

// Code is the data-error-code on the page, or "".
func (pg page) Code() string {
	m := regexp.MustCompile(`data-error-code="([^"]+)"`).FindStringSubmatch(pg.Body)
	if m == nil {
		return ""
	}
	return m[1]
}

// Rules lists the data-rule values inside the error.
func (pg page) Rules() []string {
	var out []string
	for _, m := range regexp.MustCompile(`data-rule="([^"]+)"`).FindAllStringSubmatch(pg.Body, -1) {
		out = append(out, m[1])
	}
	return out
}

func (p *portal) do(c *http.Client, req *http.Request) page {
	p.t.Helper()
	res, err := c.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func (p *portal) get(c *http.Client, path string) page {
	p.t.Helper()
	req, _ := http.NewRequest("GET", p.abs(path), nil)
	return p.do(c, req)
}

func (p *portal) post(c *http.Client, path string, form url.Values) page {
	p.t.Helper()
	req, _ := http.NewRequest("POST", p.abs(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return p.do(c, req)
}

func (p *portal) abs(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return p.URL + path
}

// linkIn returns the first link in the newest mail to addr whose path
// starts with prefix, as a URL of the test server.
func (p *portal) linkIn(to, prefix string) string {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		msgs := p.SMTP.Messages()
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].To != to && !contains(msgs[i].Rcpt, to) {
				continue
			}
			for _, l := range smtptest.Links(msgs[i].Text) {
				if base := p.env["PFORTE_BASE_URL"]; strings.HasPrefix(l, base+prefix) {
					return p.URL + strings.TrimPrefix(l, base)
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("no mail to %s with a link to %s", to, prefix)
	return ""
}

// mailsTo counts the mails delivered to addr so far.
func (p *portal) mailsTo(to string) int {
	n := 0
	for _, m := range p.SMTP.Messages() {
		if m.To == to || contains(m.Rcpt, to) {
			n++
		}
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// hidden reads the value of a hidden input from a page.
func hidden(body, name string) string {
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return htmlUnescape(m[1])
}

func htmlUnescape(s string) string {
	r := strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">")
	return r.Replace(s)
}

// signUp registers addr with pw and confirms it through the mailed link.
func (p *portal) signUp(addr, pw string) {
	p.t.Helper()
	c := p.newClient()
	if pg := p.post(c, "/registrieren", url.Values{"email": {addr}, "password": {pw}, "password_repeat": {pw}}); pg.Status != 200 {
		p.t.Fatalf("register %s: %d %s", addr, pg.Status, pg.Code())
	}
	link := p.linkIn(addr, "/registrieren/bestaetigen")
	form := p.get(c, link)
	if form.Status != 200 {
		p.t.Fatalf("confirm form: %d %s", form.Status, form.Code())
	}
	if pg := p.post(c, "/registrieren/bestaetigen", url.Values{"token": {hidden(form.Body, "token")}}); pg.Status != 200 {
		p.t.Fatalf("confirm: %d %s", pg.Status, pg.Code())
	}
}

// login signs in with a fresh client and returns it.
func (p *portal) login(addr, pw string) *http.Client {
	p.t.Helper()
	c := p.newClient()
	pg := p.post(c, "/anmelden", url.Values{"email": {addr}, "password": {pw}})
	if pg.Status != http.StatusSeeOther {
		p.t.Fatalf("login %s: %d %s", addr, pg.Status, pg.Code())
	}
	return c
}

// eachPortal runs fn against a fresh portal on SQLite and on PostgreSQL.
func eachPortal(t *testing.T, override map[string]string, fn func(t *testing.T, p *portal)) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		fn(t, startPortal(t, dbURL, override))
	})
}

// cli runs one pforte command against the portal's database.
func (p *portal) cli(args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	err = run(context.Background(), args, func(k string) string { return p.env[k] }, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}
