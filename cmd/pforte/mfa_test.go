package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"pforte/store/storetest"
)

// testClock is the clock of the second factor in a test portal: the real
// time plus steps the test takes, so that a test can move to the next
// 30-second period without waiting for it.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// step moves the clock on by one TOTP period.
func (c *testClock) step() {
	c.mu.Lock()
	c.offset += 30 * time.Second
	c.mu.Unlock()
}

// eachClockedPortal is eachPortal with the second factor on a test clock.
func eachClockedPortal(t *testing.T, override map[string]string, fn func(t *testing.T, p *portal, clk *testClock)) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		clk := &testClock{}
		ctx := context.WithValue(context.Background(), clockKey{}, clk.Now)
		fn(t, startPortalIn(t, ctx, dbURL, override), clk)
	})
}

// code is the app's code for secret at the clock's time, as an
// authenticator app computes it.
func (c *testClock) code(t *testing.T, secret string) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, c.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

var (
	secretAttr   = regexp.MustCompile(`data-totp-secret="([A-Z2-7]+)"`)
	recoveryAttr = regexp.MustCompile(`<code data-recovery-code>([A-Z0-9-]+)</code>`)
)

// enrol turns the app's codes on for the signed-in client c and returns
// the secret and the recovery codes.
func enrol(t *testing.T, p *portal, cl *http.Client, clk *testClock, pw string) (string, []string) {
	t.Helper()
	form := p.get(cl, "/konto/zwei-faktor")
	m := secretAttr.FindStringSubmatch(form.Body)
	if form.Status != 200 || m == nil || !strings.Contains(form.Body, `src="data:image/png;base64,`) {
		t.Fatalf("enrol page: %d, secret %v", form.Status, m)
	}
	pg := p.post(cl, "/konto/zwei-faktor", url.Values{"code": {clk.code(t, m[1])}, "current_password": {pw}})
	codes := recoveryAttr.FindAllStringSubmatch(pg.Body, -1)
	if pg.Status != 200 || len(codes) != 10 {
		t.Fatalf("turn on: %d %q, %d codes", pg.Status, pg.Code(), len(codes))
	}
	var out []string
	for _, c := range codes {
		out = append(out, c[1])
	}
	return m[1], out
}

func TestSecondFactorEnrolAndLogin(t *testing.T) {
	eachClockedPortal(t, nil, func(t *testing.T, p *portal, clk *testClock) {
		addr := "hanna@example.de"
		p.signUp(addr, goodPW)
		c := p.login(addr, goodPW)
		other := p.login(addr, goodPW)

		// Refusals while turning it on: a wrong code (422), a wrong
		// current password (401); neither turns anything on.
		form := p.get(c, "/konto/zwei-faktor")
		secret := secretAttr.FindStringSubmatch(form.Body)[1]
		if pg := p.post(c, "/konto/zwei-faktor", url.Values{"code": {"000000"}, "current_password": {goodPW}}); pg.Status != 422 || pg.Code() != "mfa-invalid" {
			t.Fatalf("wrong code: %d %q", pg.Status, pg.Code())
		}
		pg := p.post(c, "/konto/zwei-faktor", url.Values{"code": {clk.code(t, secret)}, "current_password": {otherPW}})
		if pg.Status != 401 || pg.Code() != "invalid-credentials" {
			t.Fatalf("wrong password: %d %q", pg.Status, pg.Code())
		}
		// The form comes back with the secret the app has scanned.
		if m := secretAttr.FindStringSubmatch(pg.Body); m == nil || m[1] != secret {
			t.Fatalf("secret after a mistake: %v, want %s", m, secret)
		}
		secret, codes := enrol(t, p, c, clk, goodPW)
		waitFor(t, func() bool { return p.subjectTo(addr, "Zweiter Faktor eingeschaltet") })
		// The other session was signed in without the factor: it ended.
		if pg := p.get(other, "/konto"); pg.Status != 303 {
			t.Fatalf("other session after turning on: %d", pg.Status)
		}
		// A reload after a refused form on a POST path leads back to the page.
		for _, path := range []string{"/konto/zwei-faktor/aus", "/konto/zwei-faktor/wiederherstellungscodes"} {
			if pg := p.get(c, path); pg.Status != 303 || pg.Header.Get("Location") != "/konto/zwei-faktor" {
				t.Fatalf("GET %s: %d %q", path, pg.Status, pg.Header.Get("Location"))
			}
		}
		if pg := p.get(c, "/konto/sicherheit"); pg.Status != 200 || !strings.Contains(pg.Body, `data-second-factor="on"`) {
			t.Fatalf("security page: %d", pg.Status)
		}

		// The password alone opens no session: 303 to the second step.
		b := p.newClient()
		pg = p.post(b, "/anmelden", url.Values{"email": {addr}, "password": {goodPW}, "next": {"/konto/passwort"}})
		if pg.Status != 303 || pg.Header.Get("Location") != "/anmelden/zweiter-faktor" || sessionCookie(t, b, p) != "" {
			t.Fatalf("password step: %d %q session=%q", pg.Status, pg.Header.Get("Location"), sessionCookie(t, b, p))
		}
		if pg := p.get(b, "/konto"); pg.Status != 303 {
			t.Fatalf("konto before the code: %d", pg.Status)
		}
		// Recovery codes have letters: the field must not ask phones for digits only.
		if pg := p.get(b, "/anmelden/zweiter-faktor"); !strings.Contains(pg.Body, `inputmode="text"`) || strings.Contains(pg.Body, `inputmode="numeric"`) {
			t.Fatal("the code field asks for digits only")
		}
		if pg := p.get(b, "/anmelden/zweiter-faktor"); pg.Status != 200 || !strings.Contains(pg.Body, "Wiederherstellungscode") ||
			!strings.Contains(pg.Body, "setzen unsere Mitarbeiterinnen") {
			t.Fatalf("second step page: %d", pg.Status)
		}
		// Wrong code, and the code used to turn it on (same period): both refused.
		for _, bad := range []string{"123456", clk.code(t, secret)} {
			if pg := p.post(b, "/anmelden/zweiter-faktor", url.Values{"code": {bad}}); pg.Status != 401 || pg.Code() != "mfa-invalid" {
				t.Fatalf("code %s: %d %q", bad, pg.Status, pg.Code())
			}
		}
		clk.step()
		now := clk.code(t, secret)
		pg = p.post(b, "/anmelden/zweiter-faktor", url.Values{"code": {now}})
		if pg.Status != 303 || pg.Header.Get("Location") != "/konto/passwort" || sessionCookie(t, b, p) == "" {
			t.Fatalf("right code: %d %q %q", pg.Status, pg.Header.Get("Location"), pg.Code())
		}
		if pg := p.get(b, "/konto"); pg.Status != 200 {
			t.Fatalf("konto after the code: %d", pg.Status)
		}
		// The same code again, in a fresh login: a replay.
		d := p.newClient()
		p.post(d, "/anmelden", url.Values{"email": {addr}, "password": {goodPW}})
		if pg := p.post(d, "/anmelden/zweiter-faktor", url.Values{"code": {now}}); pg.Status != 401 || pg.Code() != "mfa-invalid" {
			t.Fatalf("replayed code: %d %q", pg.Status, pg.Code())
		}

		// A recovery code, typed carelessly, works once and is mailed about.
		careless := strings.ToLower(strings.ReplaceAll(codes[0], "-", " "))
		if pg := p.post(d, "/anmelden/zweiter-faktor", url.Values{"code": {careless}}); pg.Status != 303 {
			t.Fatalf("recovery code: %d %q", pg.Status, pg.Code())
		}
		waitFor(t, func() bool { return p.subjectTo(addr, "Wiederherstellungscode benutzt") })
		e := p.newClient()
		p.post(e, "/anmelden", url.Values{"email": {addr}, "password": {goodPW}})
		if pg := p.post(e, "/anmelden/zweiter-faktor", url.Values{"code": {codes[0]}}); pg.Status != 401 || pg.Code() != "mfa-invalid" {
			t.Fatalf("used recovery code: %d %q", pg.Status, pg.Code())
		}

		// New recovery codes: the old ones stop working.
		if pg := p.post(b, "/konto/zwei-faktor/wiederherstellungscodes", url.Values{"current_password": {otherPW}}); pg.Status != 401 {
			t.Fatalf("new codes with a wrong password: %d", pg.Status)
		}
		pg = p.post(b, "/konto/zwei-faktor/wiederherstellungscodes", url.Values{"current_password": {goodPW}})
		fresh := recoveryAttr.FindAllStringSubmatch(pg.Body, -1)
		if pg.Status != 200 || len(fresh) != 10 {
			t.Fatalf("new codes: %d %d", pg.Status, len(fresh))
		}
		waitFor(t, func() bool { return p.subjectTo(addr, "Neue Wiederherstellungscodes") })
		if pg := p.post(e, "/anmelden/zweiter-faktor", url.Values{"code": {codes[1]}}); pg.Status != 401 {
			t.Fatalf("old recovery code after new ones: %d", pg.Status)
		}
		if pg := p.post(e, "/anmelden/zweiter-faktor", url.Values{"code": {fresh[1][1]}}); pg.Status != 303 {
			t.Fatalf("new recovery code: %d %q", pg.Status, pg.Code())
		}
		// The pending login is used up with the session it opened.
		if pg := p.post(e, "/anmelden/zweiter-faktor", url.Values{"code": {fresh[2][1]}}); pg.Code() != "session-expired" {
			t.Fatalf("pending login used twice: %d %q", pg.Status, pg.Code())
		}

		// A password reset leaves the second factor on.
		p.post(p.newClient(), "/passwort-vergessen", url.Values{"email": {addr}})
		link := p.linkIn(addr, "/passwort-neu")
		f := p.newClient()
		tok := hidden(p.get(f, link).Body, "token")
		if pg := p.post(f, "/passwort-neu", url.Values{"token": {tok}, "password": {otherPW}, "password_repeat": {otherPW}}); pg.Status != 303 {
			t.Fatalf("reset: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(f, "/anmelden", url.Values{"email": {addr}, "password": {otherPW}}); pg.Header.Get("Location") != "/anmelden/zweiter-faktor" {
			t.Fatalf("after reset: %d %q", pg.Status, pg.Header.Get("Location"))
		}
		clk.step()
		if pg := p.post(f, "/anmelden/zweiter-faktor", url.Values{"code": {clk.code(t, secret)}}); pg.Status != 303 {
			t.Fatalf("code after reset: %d %q", pg.Status, pg.Code())
		}

		// Turning it off needs the password and a code.
		clk.step()
		if pg := p.post(f, "/konto/zwei-faktor/aus", url.Values{"current_password": {otherPW}, "code": {"999999"}}); pg.Status != 422 || pg.Code() != "mfa-invalid" {
			t.Fatalf("off with a wrong code: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(f, "/konto/zwei-faktor/aus", url.Values{"current_password": {goodPW}, "code": {clk.code(t, secret)}}); pg.Status != 401 {
			t.Fatalf("off with the old password: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(f, "/konto/zwei-faktor/aus", url.Values{"current_password": {otherPW}, "code": {clk.code(t, secret)}}); pg.Status != 303 {
			t.Fatalf("off: %d %q", pg.Status, pg.Code())
		}
		waitFor(t, func() bool { return p.subjectTo(addr, "Zweiter Faktor ausgeschaltet") })
		if pg := p.post(p.newClient(), "/anmelden", url.Values{"email": {addr}, "password": {otherPW}}); pg.Header.Get("Location") != "/konto" {
			t.Fatalf("login after off: %d %q", pg.Status, pg.Header.Get("Location"))
		}
		assertAudit(t, p, "second-factor-on", "second-factor-failed", "second-factor-passed", "recovery-code-used",
			"recovery-codes-new", "second-factor-off")
		assertNoSecret(t, p, secret)
	})
}

func TestSecondFactorThrottle(t *testing.T) {
	eachClockedPortal(t, nil, func(t *testing.T, p *portal, clk *testClock) {
		addr := "ida@example.de"
		p.signUp(addr, goodPW)
		secret, _ := enrol(t, p, p.login(addr, goodPW), clk, goodPW)
		// A right code after 4 wrong ones is a whole login: the count
		// starts again.
		clk.step()
		a := p.newClient()
		p.post(a, "/anmelden", url.Values{"email": {addr}, "password": {goodPW}})
		for i := range 4 {
			p.post(a, "/anmelden/zweiter-faktor", url.Values{"code": {"22222" + string(rune('0'+i))}})
		}
		if pg := p.post(a, "/anmelden/zweiter-faktor", url.Values{"code": {clk.code(t, secret)}}); pg.Status != 303 {
			t.Fatalf("right code after 4 wrong: %d %q", pg.Status, pg.Code())
		}
		for i := range 4 {
			if pg := p.post(p.newClient(), "/anmelden", url.Values{"email": {addr}, "password": {"Falsch-Passwort1"}}); pg.Status != 401 {
				t.Fatalf("wrong password %d after a good login: %d %q", i, pg.Status, pg.Code())
			}
		}
		p.post(p.newClient(), "/anmelden", url.Values{"email": {addr}, "password": {goodPW}}) // the count starts again
		clk.step()
		c := p.newClient()
		p.post(c, "/anmelden", url.Values{"email": {addr}, "password": {goodPW}})
		for i := range 5 {
			if pg := p.post(c, "/anmelden/zweiter-faktor", url.Values{"code": {"11111" + string(rune('0'+i))}}); pg.Status != 401 {
				t.Fatalf("wrong code %d: %d", i, pg.Status)
			}
		}
		// Now even the right code waits, and so does the password.
		pg := p.post(c, "/anmelden/zweiter-faktor", url.Values{"code": {clk.code(t, secret)}})
		if pg.Status != 429 || pg.Code() != "throttled" || pg.Header.Get("Retry-After") == "" {
			t.Fatalf("after 5 wrong codes: %d %q", pg.Status, pg.Code())
		}
		if pg := p.post(p.newClient(), "/anmelden", url.Values{"email": {addr}, "password": {goodPW}}); pg.Status != 429 {
			t.Fatalf("password after 5 wrong codes: %d", pg.Status)
		}
		assertAudit(t, p, "throttled")
	})
}

// subjectTo reports whether a mail to addr with a subject containing s
// has arrived.
func (p *portal) subjectTo(addr, s string) bool {
	for _, m := range p.SMTP.Messages() {
		if (m.To == addr || contains(m.Rcpt, addr)) && strings.Contains(m.Subject, s) {
			return true
		}
	}
	return false
}

// assertNoSecret checks that secret is neither in the log nor in the
// database in the clear.
func assertNoSecret(t *testing.T, p *portal, secret string) {
	t.Helper()
	if strings.Contains(p.stderr.String(), secret) {
		t.Fatal("the TOTP secret is in the log")
	}
	out, _, err := p.cli("audit", "--json")
	if err != nil || strings.Contains(out, secret) {
		t.Fatalf("audit: %v, secret in it: %v", err, strings.Contains(out, secret))
	}
}

func TestSecondFactorRequired(t *testing.T) {
	eachClockedPortal(t, map[string]string{"PFORTE_MFA": "required"}, func(t *testing.T, p *portal, clk *testClock) {
		addr := "olga@example.de"
		p.signUp(addr, goodPW)
		c := p.login(addr, goodPW)
		// Before a second factor is set up, nothing else opens.
		for _, path := range []string{"/konto", "/konto/sicherheit", "/betrieb", "/konto/daten"} {
			if pg := p.get(c, path); pg.Status != 303 || pg.Header.Get("Location") != "/konto/zwei-faktor" {
				t.Fatalf("%s before enrolment: %d %q", path, pg.Status, pg.Header.Get("Location"))
			}
		}
		if pg := p.post(c, "/konto/sitzungen/andere-beenden", nil); pg.Status != 303 || pg.Header.Get("Location") != "/konto/zwei-faktor" {
			t.Fatalf("POST before enrolment: %d %q", pg.Status, pg.Header.Get("Location"))
		}
		secret, _ := enrol(t, p, c, clk, goodPW)
		// The session now shows the factor: everything opens.
		if pg := p.get(c, "/konto"); pg.Status != 200 {
			t.Fatalf("konto after enrolment: %d", pg.Status)
		}
		d := p.newClient()
		p.post(d, "/anmelden", url.Values{"email": {addr}, "password": {goodPW}})
		clk.step()
		if pg := p.post(d, "/anmelden/zweiter-faktor", url.Values{"code": {clk.code(t, secret)}}); pg.Status != 303 {
			t.Fatalf("login with code: %d %q", pg.Status, pg.Code())
		}
		if pg := p.get(d, "/konto"); pg.Status != 200 {
			t.Fatalf("konto after login with code: %d", pg.Status)
		}
	})
}

func TestHelpExplainsSecondFactor(t *testing.T) {
	p := startPortal(t, storetest.SQLiteURL(t), nil)
	pg := p.get(p.newClient(), "/hilfe")
	for _, want := range []string{`id="zweiter-faktor"`, `id="passkeys"`, `id="wiederherstellungscodes"`, `id="telefon-verloren"`,
		`id="fehler-mfa-invalid"`, "Weder Telefon noch Codes", "Mit Passkey anmelden"} {
		if !strings.Contains(pg.Body, want) {
			t.Errorf("/hilfe lacks %q", want)
		}
	}
}
